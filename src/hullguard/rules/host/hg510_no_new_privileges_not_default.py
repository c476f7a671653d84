"""HG510: containers may gain privileges through setuid binaries unless each one says not to."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge


@rule(
    id="HG510",
    name="no-new-privileges-not-default",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(HOST,),
    references=("cis-docker:2.14", "cwe:269"),
    fix='set `"no-new-privileges": true` in /etc/docker/daemon.json',
)
def no_new_privileges_not_default(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon that does not set `no-new-privileges` for every container by default.
    The Engine API does not report this setting: it is judged from `daemon.json`, the units
    and the command line.

    ## Why is this bad?
    Without the flag, a process in a container can gain privileges through setuid and
    setgid binaries or file capabilities: a foothold as an ordinary user becomes root in
    the container, one step from the host.

    ## Example
    ```json
    {"icc": false}
    ```
    Use instead:
    ```json
    {"icc": false, "no-new-privileges": true}
    ```

    ## How to fix
    Set `"no-new-privileges": true` and restart the daemon; containers that truly need
    setuid (rare) can opt out.

    ## Notes
    Containers that set `no-new-privileges` themselves are judged by HG211.
    """
    if not docker_present(audit):
        return
    found = judge(audit, None, lambda s: s.no_new_privileges, default=False)
    if found is not None and not found.value:
        yield ctx.finding(
            at=found.location,
            message=f"no-new-privileges is not the default for containers ({found.source})",
        )
