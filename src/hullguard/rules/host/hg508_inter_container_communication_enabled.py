"""HG508: containers on the default bridge can reach each other freely."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge


@rule(
    id="HG508",
    name="inter-container-communication-enabled",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(HOST,),
    references=("cis-docker:2.2", "cwe:923"),
    fix='set `"icc": false` in /etc/docker/daemon.json and connect containers that must talk '
    "through user-defined networks",
)
def inter_container_communication_enabled(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon whose default bridge lets every container talk to every other (`icc`
    on, Docker's default). Judged from the default bridge's options in the Engine API, else
    from the files.

    ## Why is this bad?
    One compromised container can probe and attack every other container on `docker0`:
    databases, admin ports and metadata services that were never meant to be reachable.

    ## Example
    ```json
    {"icc": true}
    ```
    Use instead:
    ```json
    {"icc": false}
    ```

    ## How to fix
    Set `"icc": false`, and put containers that need each other on a user-defined network
    (or link them explicitly).

    ## Notes
    User-defined networks are not affected by `icc`; this rule is about the default bridge.
    """
    if not docker_present(audit):
        return
    found = judge(audit, "icc", lambda s: s.icc, default=True)
    if found is not None and found.value:
        yield ctx.finding(
            at=found.location,
            message=f"inter-container communication on the default bridge is on ({found.source})",
        )
