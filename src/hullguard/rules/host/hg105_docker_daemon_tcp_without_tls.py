"""HG105: the Docker daemon listens on TCP without mutual TLS."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import api_location, file_settings, where

_NOT_TCP = ("unix://", "fd://", "npipe://", "ssh://")
_ADDRESS = re.compile(r"^(?:tcp|http|https)?(?:://)?(?P<host>\[[^\]]*\]|[^:/]*)(?::(?P<port>\d+))?")
_LOOPBACK = ("127.", "localhost", "[::1]")


def tcp_host(value: str) -> str | None:
    """The host part of a `-H` address that is TCP (`tcp://0.0.0.0:2375`, `:2376`), else None."""
    text = value.strip().lower()
    if not text or text.startswith(_NOT_TCP) or text.startswith("/"):
        return None
    match = _ADDRESS.match(text)
    return match.group("host") if match else None


@rule(
    id="HG105",
    name="docker-daemon-tcp-without-tls",
    pillar=1,
    severity=Severity.CRITICAL,
    targets=(HOST,),
    references=("cis-docker:2.7", "cwe:306", "cwe:319"),
    fix="remove the tcp:// host, or add `tlsverify: true` with tlscacert, tlscert and tlskey so "
    "that only clients with a certificate from your CA are served",
)
def docker_daemon_tcp_without_tls(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a Docker daemon told to listen on TCP without `--tlsverify`, wherever the address
    is set: `hosts` in `daemon.json`, `-H` in the `ExecStart` of `docker.service` or its
    drop-ins, `DOCKER_OPTS` in `/etc/default/docker`, a TCP `ListenStream` of
    `docker.socket`, the command line of the running `dockerd`, and the plain-text endpoint
    (port 2375) the audit itself reached the engine on.

    ## Why is this bad?
    The Docker API is root on the host. Without TLS, anyone who can reach the port runs any
    container they like, privileged and with the host's `/` mounted; `--tls` without
    `--tlsverify` encrypts but still serves every client. Scanners find open 2375 ports within
    minutes and turn them into cryptominers.

    ## Example
    ```ini
    # /etc/systemd/system/docker.service.d/override.conf
    [Service]
    ExecStart=
    ExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375
    ```
    Use instead:
    ```json
    {
      "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"],
      "tlsverify": true,
      "tlscacert": "/etc/docker/tls/ca.pem",
      "tlscert": "/etc/docker/tls/server-cert.pem",
      "tlskey": "/etc/docker/tls/server-key.pem"
    }
    ```

    ## How to fix
    Drop the TCP address and reach the daemon over `ssh://` if it must be remote, or turn on
    `tlsverify` with a CA that signs only your clients' certificates.

    ## Notes
    `tlsverify` is judged from the merged settings: set in any of the places above it
    protects every address. An address on loopback only is reported at high severity.
    """
    settings = file_settings(audit)
    verified = settings.tlsverify is not None and settings.tlsverify.value
    encrypted = settings.tls is not None and settings.tls.value
    if not verified:
        reason = (
            "with TLS but without tlsverify: every client is served"
            if encrypted
            else "without TLS: unencrypted and unauthenticated"
        )
        for host in settings.hosts:
            address = tcp_host(host.value)
            if address is None:
                continue
            loopback = address.startswith(_LOOPBACK)
            yield ctx.finding(
                at=host,
                message=f"the Docker daemon listens on {host.value} {reason} "
                f"(set in {where(host.location)})",
                severity=Severity.HIGH if loopback else None,
            )
    daemon = audit.daemon
    if daemon is not None and daemon.endpoint.lower().startswith(("tcp://", "http://")):
        address = tcp_host(daemon.endpoint)
        if daemon.endpoint.rstrip("/").endswith(":2375") and address is not None:
            yield ctx.finding(
                at=api_location(audit, "endpoint"),
                message=f"the Engine API answered on {daemon.endpoint}, the plain-text port: "
                "no TLS, no client authentication",
            )
