"""HG516: the daemon is told not to manage the firewall."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import judge


@rule(
    id="HG516",
    name="iptables-management-disabled",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(HOST,),
    references=("cis-docker:2.4", "cwe:284"),
    fix='remove `"iptables": false` (and --iptables=false) so that the daemon keeps its '
    "firewall rules in step with the containers",
)
def iptables_management_disabled(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `iptables` turned off in `daemon.json`, the units or the command line.

    ## Why is this bad?
    With it off, the daemon no longer writes the rules that isolate its networks and
    implement `icc: false`; hand-written rules drift from the containers actually running,
    and ports end up reachable that should not be, or isolation silently disappears.

    ## Example
    ```json
    {"iptables": false}
    ```
    Use instead:
    ```json
    {}
    ```

    ## How to fix
    Let the daemon manage iptables, and add your own rules to the `DOCKER-USER` chain.

    ## Notes
    Only an explicit `false` is reported: on is the default.
    """
    found = judge(audit, None, lambda s: s.iptables)
    if found is not None and not found.value:
        yield ctx.finding(
            at=found.location,
            message=f"the daemon may not manage iptables ({found.source})",
        )
