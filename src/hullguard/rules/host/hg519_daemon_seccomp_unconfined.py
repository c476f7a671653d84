"""HG519: the daemon's default seccomp profile is turned off for every container."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import API, api_location, judge


@rule(
    id="HG519",
    name="daemon-seccomp-unconfined",
    pillar=5,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cis-docker:2.17", "cis-docker:5.22", "cwe:250"),
    fix="remove `seccomp-profile: unconfined`; keep Docker's built-in profile, or name a "
    "custom profile file",
)
def daemon_seccomp_unconfined(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon whose default seccomp profile is `unconfined`: from the Engine API's
    security options (`name=seccomp,profile=unconfined`) when it reports one, else from
    `seccomp-profile` in the files.

    ## Why is this bad?
    The default profile blocks about 50 system calls that containers do not need and that
    most kernel escapes use (`keyctl`, `unshare`, `mount`, `bpf`...). Without it every
    container that does not set its own profile runs unfiltered.

    ## Example
    ```json
    {"seccomp-profile": "unconfined"}
    ```
    Use instead:
    ```json
    {"seccomp-profile": "/etc/docker/seccomp-custom.json"}
    ```

    ## How to fix
    Remove the setting to get the built-in profile, or point it at a reviewed custom file.

    ## Notes
    Containers that turn seccomp off themselves are reported by HG210.
    """
    daemon = audit.daemon
    if daemon is not None:
        for option in daemon.security_options:
            fields = dict(part.partition("=")[::2] for part in option.split(","))
            if fields.get("name") == "seccomp":
                if fields.get("profile") == "unconfined":
                    yield ctx.finding(
                        at=api_location(audit, "security_options"),
                        message=f"the daemon's default seccomp profile is unconfined ({API})",
                    )
                return
    found = judge(audit, None, lambda s: s.seccomp_profile)
    if found is not None and found.value.strip().lower() == "unconfined":
        yield ctx.finding(
            at=found.location,
            message=f"the daemon's default seccomp profile is unconfined ({found.source})",
        )
