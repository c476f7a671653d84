"""HG518: the daemon logs at debug level."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import judge


@rule(
    id="HG518",
    name="debug-log-level",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=("cis-docker:2.3", "cwe:532"),
    fix='set `"log-level": "info"` and remove `"debug": true` (and -D)',
)
def debug_log_level(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon whose `log-level` is `debug` or `trace`, or with `debug` on, in
    `daemon.json`, the units or the command line.

    ## Why is this bad?
    Debug logs record API requests in detail (environment variables with secrets among
    them) and grow fast; `info` keeps what an audit needs.

    ## Example
    ```json
    {"debug": true}
    ```
    Use instead:
    ```json
    {"log-level": "info"}
    ```

    ## How to fix
    Set `log-level` to `info` and remove `debug`; turn debug on only while investigating.

    ## Notes
    Only an explicit setting is reported: `info` is the default.
    """
    level = judge(audit, None, lambda s: s.log_level)
    if level is not None and level.value.strip().lower() in ("debug", "trace"):
        yield ctx.finding(
            at=level.location, message=f"the daemon logs at {level.value} level ({level.source})"
        )
        return
    debug = judge(audit, None, lambda s: s.debug)
    if debug is not None and debug.value:
        yield ctx.finding(
            at=debug.location, message=f"the daemon runs in debug mode ({debug.source})"
        )
