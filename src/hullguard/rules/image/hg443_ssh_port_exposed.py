"""HG443: the image exposes the SSH port."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE, Context, rule
from hullguard.spec import ImageSpec

_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.I)
SSH_PORT = 22


@rule(
    id="HG443",
    name="ssh-port-exposed",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(IMAGE,),
    references=(
        "checkov:CKV_DOCKER_1",
        "trivy:DS-0004",
        "kics:5907595b-5b6d-4142-b173-dbb0e73fbff8",
    ),
    fix="remove port 22 from EXPOSE and the SSH server from the image; use `docker exec`",
)
def ssh_port_exposed(spec: ImageSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags an image that exposes TCP port 22, the SSH port: `EXPOSE 22`, `EXPOSE 22/tcp`, or a
    port range that covers 22.

    ## Why is this bad?
    An exposed SSH port means an SSH server inside the container: a second program next to the
    application, with its own keys or passwords to manage and rotate, its own vulnerabilities,
    and a way in that bypasses the orchestrator's access control and audit log. Containers
    are reached with `docker exec` or `kubectl exec`, which need none of that.

    ## Example
    ```dockerfile
    EXPOSE 8080 22
    ```
    Use instead:
    ```dockerfile
    EXPOSE 8080
    ```

    ## How to fix
    Remove 22 from EXPOSE and the SSH server from the image; get a shell with `docker exec`,
    `kubectl exec` or `kubectl debug`.

    ## Notes
    The ports are those of the final image (the final stage and the stages it is built FROM).
    A port still written as a variable after ARG/ENV expansion is not reported, nor is
    `22/udp`. The installation of an SSH server is reported by HG434.
    """
    for port in spec.exposed_ports:
        match = _PORT.match(port.value.strip())
        if not match or (match.group(3) or "tcp").lower() != "tcp":
            continue
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if low <= SSH_PORT <= high:
            what = "covers the SSH port, 22" if high != low else "exposes the SSH port"
            yield ctx.finding(at=port, message=f"EXPOSE {port.value} {what}")
