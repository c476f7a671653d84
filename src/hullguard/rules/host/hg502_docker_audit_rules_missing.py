"""HG502: no audit rule watches a Docker file or binary."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Location, Severity
from hullguard.registry import HOST, Context, rule

_BY_NAME = ("/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/lib/systemd/", "/usr/lib/systemd/",
            "/etc/systemd/")  # fmt: skip


def _key(path: str) -> str:
    """Binaries and units are one thing whichever folder holds them."""
    return posixpath.basename(path) if path.startswith(_BY_NAME) else path


@rule(
    id="HG502",
    name="docker-audit-rules-missing",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=(*(f"cis-docker:1.1.{n}" for n in range(3, 19)), "cwe:778"),
    fix="add `-w PATH -k docker` for each Docker file and binary to "
    "/etc/audit/rules.d/docker.rules "
    "and load them with `augenrules --load`",
)
def docker_audit_rules_missing(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    For each Docker file and binary present on the host (`dockerd`, `containerd`, the shims,
    `runc`, `/var/lib/docker`, `/etc/docker`, `daemon.json`, `/etc/default/docker`,
    `/etc/sysconfig/docker`, `/etc/containerd/config.toml`, `/run/containerd`, the
    containerd socket and the `docker.service`/`docker.socket` units), flags the ones that no
    rule in `/etc/audit/rules.d/*.rules` or `/etc/audit/audit.rules` watches (`-w PATH`, or a
    syscall rule with `-F path=` / `-F dir=`).

    ## Why is this bad?
    The daemon runs as root and these files decide what it does. Without an audit trail, a
    changed `daemon.json`, a replaced `runc` or a new unit drop-in leaves no record of who
    did it and when.

    ## Example
    ```text
    # /etc/audit/rules.d/docker.rules watches only the binary
    -w /usr/bin/dockerd -k docker
    ```
    Use instead:
    ```text
    -w /usr/bin/dockerd -k docker
    -w /var/lib/docker -k docker
    -w /etc/docker -k docker
    -w /usr/lib/systemd/system/docker.service -k docker
    -w /usr/lib/systemd/system/docker.socket -k docker
    -w /etc/docker/daemon.json -k docker
    -w /usr/bin/containerd -k docker
    -w /usr/bin/runc -k docker
    ```

    ## How to fix
    Add a watch for each reported path and load the rules (`augenrules --load`).

    ## Notes
    Read from files: whether auditd runs and has loaded the rules needs the running kernel
    (`auditctl -l`). A watch on a folder covers what is beneath it; binaries and units are
    matched by name, so a watch on `/usr/bin/runc` covers `/usr/sbin/runc`.
    """
    files = audit.files
    if files is None or not files.present_paths:
        return
    watched = [w.value for w in files.audit_watches]
    keys = {_key(w) for w in watched}
    reported: set[str] = set()
    for path in files.present_paths:
        key = _key(path)
        if key in keys or key in reported:
            continue
        if any(path == w or path.startswith(w.rstrip("/") + "/") for w in watched):
            continue
        reported.add(key)
        where = (
            "no audit rules at all" if not files.audit_rules_read else "no audit rule watches it"
        )
        yield ctx.finding(
            at=Location(logical=f"audit-rules:{path}"),
            message=f"{path} is not audited: {where}",
        )
