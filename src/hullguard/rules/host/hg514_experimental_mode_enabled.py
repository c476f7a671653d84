"""HG514: the daemon runs with experimental features."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge


@rule(
    id="HG514",
    name="experimental-mode-enabled",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=("cis-docker:2.18", "cwe:1164"),
    fix='remove `"experimental": true` from /etc/docker/daemon.json (and --experimental)',
)
def experimental_mode_enabled(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon with experimental features on, from the Engine API, else from the files.

    ## Why is this bad?
    Experimental features are not covered by Docker's stability and security guarantees and
    change between releases; a production daemon should not depend on them.

    ## Example
    ```json
    {"experimental": true}
    ```
    Use instead:
    ```json
    {}
    ```

    ## How to fix
    Turn experimental mode off and restart the daemon.

    ## Notes
    The client's own experimental flag does not matter here.
    """
    if not docker_present(audit):
        return
    found = judge(audit, "experimental", lambda s: s.experimental)
    if found is not None and found.value:
        yield ctx.finding(at=found.location, message=f"experimental mode is on ({found.source})")
