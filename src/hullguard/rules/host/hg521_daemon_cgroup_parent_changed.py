"""HG521: the daemon puts containers under a non-default cgroup parent."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import judge


@rule(
    id="HG521",
    name="daemon-cgroup-parent-changed",
    pillar=5,
    severity=Severity.INFO,
    targets=(HOST,),
    references=("cis-docker:2.10", "cwe:400"),
    fix="remove `cgroup-parent` unless the cgroup it names has been set up with the limits "
    "you intend",
)
def daemon_cgroup_parent_changed(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises when `cgroup-parent` is set in `daemon.json`, the units or the command line, so
    that its limits can be confirmed.

    ## Why is this bad?
    Containers inherit the resource limits of their parent cgroup. A parent chosen without
    limits lets containers starve the host; one shared with other services lets them starve
    each other.

    ## Example
    ```json
    {"cgroup-parent": "/anything"}
    ```
    Use instead:
    ```json
    {}
    ```

    ## How to fix
    Remove the setting, or give the named cgroup the limits you intend and suppress the
    finding with a reason.

    ## Notes
    Advice: a changed parent is not wrong in itself.
    """
    found = judge(audit, None, lambda s: s.cgroup_parent)
    if found is not None and found.value.strip():
        yield ctx.finding(
            at=found.location,
            message=f"containers run under the cgroup parent {found.value}: confirm its "
            f"limits ({found.source})",
        )
