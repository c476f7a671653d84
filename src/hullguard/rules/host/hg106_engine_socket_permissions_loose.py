"""HG106: a container engine's socket is owned or moded more loosely than root:docker 0660."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.sources.host import FileRole


@rule(
    id="HG106",
    name="engine-socket-permissions-loose",
    pillar=1,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=(
        "cis-docker:3.15",
        "cis-docker:3.16",
        "cis-docker:3.23",
        "cis-docker:3.24",
        "cwe:732",
    ),
    fix="chown root:docker /var/run/docker.sock && chmod 0660 /var/run/docker.sock (root:root "
    "for containerd, Podman and CRI-O), and fix the unit or tool that loosened it",
)
def engine_socket_permissions_loose(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags the control socket of Docker (`/var/run/docker.sock`, `/run/docker.sock`),
    containerd, Podman or CRI-O when it is not owned by root, when its group is not `docker`
    (Docker) or `root` (the others), or when its mode allows more than `0660`.
    A world-writable socket is critical.

    ## Why is this bad?
    Connecting to a unix socket needs write permission on it. Whoever can connect to an
    engine's socket can start a privileged container with the host's `/` mounted: a socket
    writable by everyone makes every local user, and every compromised service, root.

    ## Example
    ```sh
    $ ls -l /var/run/docker.sock
    srw-rw-rw- 1 root docker 0 May  3 10:00 /var/run/docker.sock
    ```
    Use instead:
    ```sh
    $ ls -l /var/run/docker.sock
    srw-rw---- 1 root docker 0 May  3 10:00 /var/run/docker.sock
    ```

    ## How to fix
    Set the owner and mode back (`chown root:docker`, `chmod 0660`) and remove what loosened
    them: a `SocketMode=` in a `docker.socket` drop-in, a `chmod 666` in a boot script.

    ## Notes
    `/var/run` and `/run` are usually the same folder: the socket is reported once.
    """
    for fact in audit.files.of_role(FileRole.SOCKET) if audit.files is not None else ():
        allowed = {"root", "docker"} if fact.engine == "Docker" else {"root"}
        issues: list[str] = []
        severity = Severity.MEDIUM
        if fact.mode & 0o002:
            issues.append(f"world-writable (mode {fact.mode_text}): every local user can use it")
            severity = Severity.CRITICAL
        if fact.uid != 0:
            issues.append(f"owned by {fact.owner}, not root")
            severity = max(severity, Severity.HIGH)
        if fact.gid != 0 and fact.group not in allowed:
            issues.append(f"group {fact.group}, not {' or '.join(sorted(allowed))}")
            if fact.mode & 0o020:
                severity = max(severity, Severity.HIGH)
        if fact.mode & ~0o662:
            issues.append(f"mode {fact.mode_text} allows more than 0660")
        if issues:
            yield ctx.finding(
                at=fact.location,
                message=f"the {fact.engine} socket {fact.path} is " + "; ".join(issues),
                severity=severity,
            )
