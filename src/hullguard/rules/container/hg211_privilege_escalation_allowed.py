"""HG211: the container's processes may gain privileges (no no-new-privileges)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import CI, ContainerSpec


@rule(
    id="HG211",
    name="privilege-escalation-allowed",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.26",
        "checkov:CKV_K8S_20",
        "kics:27fcc7d6-c49b-46e0-98f1-6c082a6a2750",
        "pss:restricted/allowPrivilegeEscalation",
        "cwe:269",
    ),
    fix='set `security_opt: ["no-new-privileges:true"]` (`--security-opt '
    "no-new-privileges`), or `allowPrivilegeEscalation: false` in Kubernetes",
)
def privilege_escalation_allowed(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container that does not set the kernel's `no_new_privs` flag: no
    `no-new-privileges` security option in compose or `docker run`, no
    `allowPrivilegeEscalation: false` in Kubernetes.

    ## Why is this bad?
    Without `no_new_privs`, a process in the container can gain privileges by executing a
    setuid or setgid binary (`su`, `sudo`, `passwd`, a planted one) or a file with
    capabilities. An attacker who lands as an unprivileged user then climbs back to root in
    the container, and from there to whatever root reaches.

    ## Example
    ```yaml
    services:
      web:
        image: nginx:1.27
    ```
    ```sh
    docker run nginx:1.27
    ```
    Use instead:
    ```yaml
    services:
      web:
        image: nginx:1.27
        security_opt:
          - no-new-privileges:true
    ```

    ## How to fix
    Add the option to every container (or set `"no-new-privileges": true` in the daemon's
    `daemon.json` for all of them). Few workloads need setuid binaries at run time; those that
    do are better rebuilt without them.

    ## Notes
    Reported where the setting is written when it is written as false, at the container
    otherwise.

    Advice only: not given for the containers a CI pipeline starts for its jobs and services,
    which live for one job and run as the runner decides.
    """
    if spec.kind == CI:
        return
    setting = spec.no_new_privileges
    if setting is not None and setting.value is True:
        return
    if setting is None:
        yield ctx.finding(
            at=spec.anchor,
            message=f"{spec.name} does not forbid privilege escalation: setuid binaries and "
            "file capabilities can raise its privileges",
            resource=spec.resource,
        )
    else:
        yield ctx.finding(
            at=setting,
            message=f"{spec.name} explicitly allows privilege escalation",
            resource=spec.resource,
        )
