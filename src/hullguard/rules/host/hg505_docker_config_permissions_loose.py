"""HG505: /etc/docker, daemon.json or the daemon's environment file is loosely owned or moded."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._files import loose_files
from hullguard.sources.host import FileRole

_MAX_MODE = {FileRole.CONFIG_DIR: 0o755, FileRole.DAEMON_JSON: 0o644, FileRole.ENV_FILE: 0o644}


@rule(
    id="HG505",
    name="docker-config-permissions-loose",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(HOST,),
    references=(
        "cis-docker:3.5",
        "cis-docker:3.6",
        "cis-docker:3.17",
        "cis-docker:3.18",
        "cis-docker:3.19",
        "cis-docker:3.20",
        "cis-docker:3.21",
        "cis-docker:3.22",
        "cwe:732",
    ),
    fix="chown root:root and chmod 0755 /etc/docker, chmod 0644 /etc/docker/daemon.json, "
    "/etc/default/docker and /etc/sysconfig/docker",
)
def docker_config_permissions_loose(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `/etc/docker` when it is not root:root with at most `0755`, and
    `/etc/docker/daemon.json`, `/etc/default/docker` and `/etc/sysconfig/docker` when they are
    not root:root with at most `0644`.

    ## Why is this bad?
    These files configure a daemon that runs as root: whoever can change them can turn off
    TLS, add a TCP listener, point at a registry they control or disable the seccomp
    profile, and the change takes effect at the next restart.

    ## Example
    ```sh
    $ ls -ld /etc/docker /etc/docker/daemon.json
    drwxrwxrwx 2 root root   4096 /etc/docker
    -rw-rw-r-- 1 root deploy  120 /etc/docker/daemon.json
    ```
    Use instead:
    ```sh
    drwxr-xr-x 2 root root   4096 /etc/docker
    -rw-r--r-- 1 root root    120 /etc/docker/daemon.json
    ```

    ## How to fix
    `chown root:root` each reported path, `chmod 0755 /etc/docker` and `chmod 0644` the
    files.

    ## Notes
    TLS keys and certificates under /etc/docker have their own, stricter rule (HG506).
    """
    for fact, issues in loose_files(audit.files, _MAX_MODE):
        yield ctx.finding(at=fact.location, message=f"{fact.path} is " + "; ".join(issues))
