"""HG509: containers stop whenever the daemon stops."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge


@rule(
    id="HG509",
    name="live-restore-disabled",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=("cis-docker:2.15", "cwe:400"),
    fix='set `"live-restore": true` in /etc/docker/daemon.json',
)
def live_restore_disabled(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon without `live-restore`, judged from the Engine API, else from the files.

    ## Why is this bad?
    Without it every container stops when the daemon restarts or crashes: a daemon upgrade,
    including a security one, becomes an outage, and so tends to be postponed.

    ## Example
    ```json
    {"icc": false}
    ```
    Use instead:
    ```json
    {"icc": false, "live-restore": true}
    ```

    ## How to fix
    Set `"live-restore": true` and reload the daemon (`systemctl reload docker`).

    ## Notes
    Swarm mode does not support live restore.
    """
    if not docker_present(audit):
        return
    found = judge(audit, "live_restore", lambda s: s.live_restore, default=False)
    if found is not None and not found.value:
        yield ctx.finding(at=found.location, message=f"live restore is off ({found.source})")
