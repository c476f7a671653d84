"""HG506: the daemon's TLS key, certificates or registry certificates are loosely protected."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._files import loose_files
from hullguard.sources.host import FileRole

_MAX_MODE = {
    FileRole.TLS_CA: 0o444,
    FileRole.TLS_CERT: 0o444,
    FileRole.TLS_KEY: 0o400,
    FileRole.REGISTRY_CERT: 0o444,
}
_WHAT = {
    FileRole.TLS_CA: "the daemon's TLS CA certificate",
    FileRole.TLS_CERT: "the daemon's TLS certificate",
    FileRole.TLS_KEY: "the daemon's TLS private key",
    FileRole.REGISTRY_CERT: "the registry certificate",
}


@rule(
    id="HG506",
    name="docker-tls-file-permissions-loose",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(HOST,),
    references=(*(f"cis-docker:3.{n}" for n in range(7, 15)), "cwe:732"),
    fix="chown root:root the files; chmod 0400 the daemon's key, 0444 the certificates",
)
def docker_tls_file_permissions_loose(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags the files named by the daemon's `tlscacert`, `tlscert` and `tlskey` (from
    `daemon.json` or the command line) and the files under `/etc/docker/certs.d/`, when they
    are not owned by root:root, when a certificate allows more than `0444`, or when the key
    allows more than `0400`. A key readable by others than root is high severity.

    ## Why is this bad?
    With the server key, anyone can impersonate the daemon to its clients; with write access
    to the CA certificate, anyone can make the daemon trust their own client certificates
    and so reach the API as root.

    ## Example
    ```sh
    $ ls -l /etc/docker/tls
    -rw-r--r-- 1 root root 1679 server-key.pem
    ```
    Use instead:
    ```sh
    -r-------- 1 root root 1679 server-key.pem
    ```

    ## How to fix
    `chown root:root` the files, `chmod 0400` the key and `chmod 0444` the certificates.

    ## Notes
    Only paths written as absolute paths are checked.
    """
    for fact, issues in loose_files(audit.files, _MAX_MODE):
        readable = fact.role is FileRole.TLS_KEY and bool(fact.mode & 0o044 or fact.uid != 0)
        yield ctx.finding(
            at=fact.location,
            message=f"{fact.path}, {_WHAT[fact.role]}, is " + "; ".join(issues),
            severity=Severity.HIGH if readable else None,
        )
