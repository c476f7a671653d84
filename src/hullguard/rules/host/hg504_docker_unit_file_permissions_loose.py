"""HG504: a docker.service or docker.socket unit file is not root:root 0644."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._files import ownership_and_mode_issues
from hullguard.sources.host import FileRole


@rule(
    id="HG504",
    name="docker-unit-file-permissions-loose",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(HOST,),
    references=("cis-docker:3.1", "cis-docker:3.2", "cis-docker:3.3", "cis-docker:3.4", "cwe:732"),
    fix="chown root:root UNIT && chmod 0644 UNIT for docker.service, docker.socket and their "
    "drop-ins",
)
def docker_unit_file_permissions_loose(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags the `docker.service` and `docker.socket` unit files, and their `*.d/*.conf`
    drop-ins, that are not owned by root:root or whose mode allows more than `0644`.

    ## Why is this bad?
    The unit decides how `dockerd` starts, as root. Whoever can write it can add
    `-H tcp://0.0.0.0:2375` or run any program as root at the next restart.

    ## Example
    ```sh
    $ ls -l /etc/systemd/system/docker.service.d/override.conf
    -rw-rw-rw- 1 deploy deploy 120 May 3 10:00 override.conf
    ```
    Use instead:
    ```sh
    -rw-r--r-- 1 root root 120 May 3 10:00 override.conf
    ```

    ## How to fix
    `chown root:root` and `chmod 0644` each reported file.

    ## Notes
    Units are found in /etc/systemd/system, /run/systemd/system, /lib/systemd/system and
    /usr/lib/systemd/system, as systemd looks them up.
    """
    for fact in audit.files.of_role(FileRole.UNIT) if audit.files is not None else ():
        issues = ownership_and_mode_issues(fact, 0o644)
        if issues:
            yield ctx.finding(at=fact.location, message=f"{fact.path} is " + "; ".join(issues))
