"""HG201: the container runs privileged."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import ContainerSpec


@rule(
    id="HG201",
    name="privileged-container",
    pillar=2,
    severity=Severity.CRITICAL,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.5",
        "checkov:CKV_K8S_16",
        "kics:ae5b6871-7f45-42e0-bb4c-ab300c4d2026",
        "pss:baseline/privileged",
        "cwe:250",
    ),
    fix="remove `privileged`; add only the capabilities and devices the workload needs",
)
def privileged_container(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container started with full privileges: `privileged: true` in compose,
    `securityContext.privileged: true` in Kubernetes, `docker run --privileged`, or
    `HostConfig.Privileged` on a running container.

    ## Why is this bad?
    A privileged container gets every capability, every host device, and no seccomp,
    AppArmor or SELinux confinement. Root in it can mount the host's disks, load kernel
    modules and write the cgroup release agent: escaping is a matter of one command.

    ## Example
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        privileged: true
    ```
    ```sh
    docker run --privileged monitoring/agent:2.1
    ```
    Use instead:
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        cap_drop: [ALL]
        cap_add: [SYS_PTRACE]
    ```

    ## How to fix
    Find out what the workload really needs (usually one or two capabilities, or one device)
    and grant only that with `cap_add` and `devices`. Tools that build images need no
    privileges with a rootless builder (BuildKit rootless, kaniko, buildah).

    ## Notes
    `privileged: false` written out is not reported. HG215 reports a privileged container
    that also runs as root as a host-takeover path.
    """
    if spec.privileged is not None and spec.privileged.value is True:
        yield ctx.finding(
            at=spec.privileged,
            message=f"{spec.name} runs privileged: every capability, every host device, no "
            "seccomp, AppArmor or SELinux confinement",
            resource=spec.resource,
        )
