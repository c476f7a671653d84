"""HG543: the host's container engine has a known container escape."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host_escapes._escapes import escape_findings
from hullguard.sources.host_packages import Component


@rule(
    id="HG543",
    name="engine-container-escape",
    pillar=5,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cis-docker:1.2.2", "cwe:1395"),
    fix="upgrade Docker Engine to a fixed release (25.0.6, 26.1.5, 27.1.1 or later)",
)
def engine_container_escape(host: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a host whose Docker Engine (Moby) is affected by a known escape: the runc it bundled
    before 18.09.2 (CVE-2019-5736), the BuildKit it embeds before 25.0.2 (CVE-2024-23651,
    CVE-2024-23652, CVE-2024-23653: builds that reach, delete or run privileged on the host),
    and the authorization plugin bypass (CVE-2024-41110).

    ## Why is this bad?
    The engine builds images and starts containers as root. A build of an untrusted Dockerfile
    or frontend on an affected engine touches the host's files; an authorization bypass lets a
    client create the privileged containers that the plugin is there to refuse.

    ## Example
    ```text
    Engine API /version   Version: 24.0.7
    ```
    24.0.7 embeds a BuildKit older than 0.12.5 (CVE-2024-23651..23653) and has the AuthZ
    bypass (CVE-2024-41110).

    ## How to fix
    Upgrade the engine to a maintained release (Docker's packages or the distribution's
    security update) and restart the daemon. Until then, build untrusted Dockerfiles on a
    separate, disposable builder.

    ## Notes
    CVE-2024-41110 only matters where an authorization plugin is configured: when the daemon
    reports none, the finding is kept at low severity. Debian's `docker.io` reports a
    distribution build (`20.10.24+dfsg1`); without Debian fixed versions in the data the
    verdict is marked uncertain.
    """
    yield from escape_findings(Component.ENGINE, host, ctx, "engine")
