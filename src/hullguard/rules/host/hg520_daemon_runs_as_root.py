"""HG520: the Docker daemon runs as root rather than rootless."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import API, api_location


@rule(
    id="HG520",
    name="daemon-runs-as-root",
    pillar=5,
    severity=Severity.INFO,
    targets=(HOST,),
    references=("cis-docker:2.1", "cwe:250"),
    fix="where the workloads allow it, run Docker in rootless mode (dockerd-rootless-setuptool.sh) "
    "or use rootless Podman",
)
def daemon_runs_as_root(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises when the Engine API reports a daemon that is not rootless.

    ## Why is this bad?
    A root daemon turns every daemon bug, socket exposure or container escape into root on
    the host. A rootless daemon runs as an ordinary user, so the same mistakes stay inside
    that user's account.

    ## Example
    ```sh
    $ docker info --format '{{.SecurityOptions}}'
    [name=apparmor name=seccomp,profile=builtin name=cgroupns]
    ```
    Use instead:
    ```sh
    [name=seccomp,profile=builtin name=rootless name=cgroupns]
    ```

    ## How to fix
    Install rootless Docker for the service account that runs the containers, and stop the
    system daemon if nothing else needs it.

    ## Notes
    Advice: rootless mode has limits (privileged ports, some storage drivers, AppArmor). It
    needs the running daemon: nothing is said when the API cannot be reached.
    """
    daemon = audit.daemon
    if daemon is not None and not daemon.rootless:
        yield ctx.finding(
            at=api_location(audit, "rootless"),
            message=f"the Docker daemon runs as root, not rootless ({API})",
        )
