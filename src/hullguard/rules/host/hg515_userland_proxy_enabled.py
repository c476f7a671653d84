"""HG515: published ports go through the userland proxy."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge


@rule(
    id="HG515",
    name="userland-proxy-enabled",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=("cis-docker:2.16", "cwe:1188"),
    fix='set `"userland-proxy": false` in /etc/docker/daemon.json',
)
def userland_proxy_enabled(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon that forwards published ports through `docker-proxy` processes (the
    default) rather than with kernel NAT rules alone. The Engine API does not report this
    setting: it is judged from `daemon.json`, the units and the command line.

    ## Why is this bad?
    Each published port adds a root-owned proxy process to the host's attack surface, and
    the proxy hides the client's address from the container.

    ## Example
    ```json
    {"icc": false}
    ```
    Use instead:
    ```json
    {"icc": false, "userland-proxy": false}
    ```

    ## How to fix
    Set `"userland-proxy": false` and restart the daemon.

    ## Notes
    Some old kernels and hairpin-NAT set-ups need the proxy; test before changing it.
    """
    if not docker_present(audit):
        return
    found = judge(audit, None, lambda s: s.userland_proxy, default=True)
    if found is not None and found.value:
        yield ctx.finding(at=found.location, message=f"the userland proxy is on ({found.source})")
