"""HG208: the container keeps the engine's default capabilities (advice)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._capabilities import capability_name
from hullguard.spec import CI, ContainerSpec


@rule(
    id="HG208",
    name="capabilities-not-dropped",
    pillar=2,
    severity=Severity.LOW,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.4",
        "checkov:CKV_K8S_37",
        "kics:ce76b7d0-9e77-464d-b86f-c5c48e03e22d",
        "pss:restricted/capabilities",
        "cwe:250",
    ),
    fix="drop every capability (`cap_drop: [ALL]`, `--cap-drop=ALL`, "
    "`capabilities.drop: [ALL]`) and add back only what the workload needs",
)
def capabilities_not_dropped(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises dropping all capabilities: flags a container that does not drop `ALL`, and so
    keeps the engine's default set (Docker's has fourteen, among them `CHOWN`,
    `DAC_OVERRIDE`, `FOWNER`, `NET_RAW`, `SETUID`, `SETGID`, `SETFCAP` and `MKNOD`).

    ## Why is this bad?
    Most services need none of the default capabilities, yet each one is attack surface for
    a process that gets root in the container: `NET_RAW` spoofs traffic on the container
    network, `DAC_OVERRIDE` ignores file permissions on every mount, `SETUID` and `SETFCAP`
    help an attacker keep the privileges they found.

    ## Example
    ```yaml
    services:
      web:
        image: nginx:1.27
        cap_drop: [NET_RAW]
    ```
    ```sh
    docker run nginx:1.27
    ```
    Use instead:
    ```yaml
    services:
      web:
        image: nginx:1.27
        cap_drop: [ALL]
        cap_add: [NET_BIND_SERVICE, CHOWN, SETUID, SETGID]
    ```

    ## How to fix
    Drop `ALL`, run the workload, and add back one by one only the capabilities it fails
    without (often none for a service that runs as a non-root user on a port above 1024).

    ## Notes
    Advice, at low severity. Reported where `cap_drop` is written when it drops only some
    capabilities, at the container otherwise. `all` and `CAP_ALL` count as `ALL`.

    Advice only: not given for the containers a CI pipeline starts for its jobs and services,
    which live for one job and run as the runner decides.
    """
    if spec.kind == CI:
        return
    dropped = [capability_name(cap.value) for cap in spec.cap_drop]
    if "ALL" in dropped:
        return
    if spec.cap_drop:
        yield ctx.finding(
            at=spec.cap_drop[0],
            message=f"{spec.name} drops only {', '.join(dropped)} and keeps the rest of the "
            "engine's default capabilities",
            resource=spec.resource,
        )
    else:
        yield ctx.finding(
            at=spec.anchor,
            message=f"{spec.name} does not drop capabilities: it keeps the engine's default set",
            resource=spec.resource,
        )
