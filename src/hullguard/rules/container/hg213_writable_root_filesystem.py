"""HG213: the container's root filesystem is writable (advice)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import CI, ContainerSpec


@rule(
    id="HG213",
    name="writable-root-filesystem",
    pillar=2,
    severity=Severity.INFO,
    targets=(CONTAINER,),
    references=("cis-docker:5.13", "checkov:CKV_K8S_22", "cwe:732"),
    fix="set `read_only: true` (`--read-only`, `readOnlyRootFilesystem: true`) and mount a "
    "tmpfs or a volume where the workload writes",
)
def writable_root_filesystem(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises a read-only root filesystem: flags a container that does not set `read_only:
    true` in compose, `--read-only` for `docker run` or `readOnlyRootFilesystem: true` in
    Kubernetes.

    ## Why is this bad?
    An attacker who gets code execution in a writable container can drop tools, replace the
    application's own files and persist across process restarts. A read-only root filesystem
    limits writes to the places the workload declares.

    ## Example
    ```yaml
    services:
      api:
        image: registry.example.com/api:1.8
    ```
    ```sh
    docker run registry.example.com/api:1.8
    ```
    Use instead:
    ```yaml
    services:
      api:
        image: registry.example.com/api:1.8
        read_only: true
        tmpfs: [/tmp]
    ```

    ## How to fix
    Set the option and give the workload a `tmpfs` for scratch files and a volume for data
    it must keep.

    ## Notes
    Advice, at info severity. Reported where the setting is written when it is written as
    false, at the container otherwise.

    Advice only: not given for the containers a CI pipeline starts for its jobs and services,
    which live for one job and run as the runner decides.
    """
    if spec.kind == CI:
        return
    setting = spec.read_only_rootfs
    if setting is not None and setting.value is True:
        return
    yield ctx.finding(
        at=setting if setting is not None else spec.anchor,
        message=f"{spec.name} has a writable root filesystem",
        resource=spec.resource,
    )
