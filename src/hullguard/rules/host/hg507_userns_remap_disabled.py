"""HG507: the daemon runs containers without user namespace remapping."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Located, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge


@rule(
    id="HG507",
    name="userns-remap-disabled",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=("cis-docker:2.9", "cwe:250"),
    fix='set `"userns-remap": "default"` in /etc/docker/daemon.json (or run Docker rootless)',
)
def userns_remap_disabled(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a Docker daemon that neither remaps container users into a user namespace
    (`userns-remap`) nor runs rootless. Judged from the Engine API's security options when
    the daemon answers, else from `daemon.json`, the units and the command line.

    ## Why is this bad?
    Without remapping, root in a container is root on the host: a container escape, or a
    host folder mounted by mistake, gives the attacker uid 0 outside.

    ## Example
    ```json
    {"log-driver": "journald"}
    ```
    Use instead:
    ```json
    {"log-driver": "journald", "userns-remap": "default"}
    ```

    ## How to fix
    Set `userns-remap` (`default` creates the `dockremap` user) and restart the daemon, or
    run the engine rootless.

    ## Notes
    Remapping changes file ownership in volumes and is incompatible with `--userns=host`
    containers; test before turning it on.
    """
    if not docker_present(audit):
        return
    if audit.daemon is not None and audit.daemon.rootless:
        return
    found = judge(
        audit,
        "userns",
        lambda s: (
            Located(bool(s.userns_remap.value.strip()), s.userns_remap.location)
            if s.userns_remap is not None
            else None
        ),
        default=False,
    )
    if found is not None and not found.value:
        yield ctx.finding(
            at=found.location,
            message=f"containers' root is the host's root: no user namespace remapping and not "
            f"rootless ({found.source})",
        )
