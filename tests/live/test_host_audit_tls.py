"""`read_daemon` against a real private daemon that listens on TCP with TLS client verification:
read with the client certificates, refused without them, and a daemon certificate from another
CA refused by the client. The certificates are a throwaway CA, server and client made with
`openssl` for the module alone."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hullguard.model import TargetStatus
from hullguard.sources.daemon import DAEMON, TLSSettings, read_daemon
from tests.live.conftest import unavailable
from tests.live.daemon import DaemonUnavailable, DockerDaemon, start_docker_daemon

pytestmark = pytest.mark.live

LISTEN_TIMEOUT = 10.0

OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = hullguard-test

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing here


def _openssl(openssl: str, *args: str | Path) -> None:
    result = subprocess.run(
        [openssl, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))}: {result.stderr}")


def _make_certificates(folder: Path) -> Certificates:
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("no `openssl` to make test certificates (Debian package openssl)")
    config = folder / "openssl.cnf"
    config.write_text(OPENSSL_CONFIG, encoding="utf-8")
    key_options = ("-newkey", "rsa:2048", "-nodes", "-config", config)

    def make_ca(name: str) -> tuple[Path, Path]:
        cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
        _openssl(openssl, "req", "-x509", *key_options, "-extensions", "ca", "-days", "2",
                 "-subj", f"/CN=hullguard test {name}", "-keyout", key, "-out", cert)  # fmt: skip
        return cert, key

    def make_leaf(name: str, ca: tuple[Path, Path]) -> tuple[Path, Path]:
        cert, key, request = (folder / f"{name}{suffix}" for suffix in (".pem", "-key.pem", ".csr"))
        _openssl(openssl, "req", "-new", *key_options, "-subj", f"/CN={name}",
                 "-keyout", key, "-out", request)  # fmt: skip
        _openssl(openssl, "x509", "-req", "-in", request, "-CA", ca[0], "-CAkey", ca[1],
                 "-CAcreateserial", "-days", "2", "-extfile", config, "-extensions", name,
                 "-out", cert)  # fmt: skip
        return cert, key

    ca = make_ca("ca")
    server = make_leaf("server", ca)
    client = make_leaf("client", ca)
    other_ca, _ = make_ca("other-ca")
    for path in folder.glob("*-key.pem"):
        path.chmod(0o600)
    return Certificates(ca[0], *server, *client, other_ca)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_listener(port: int, daemon: DockerDaemon) -> None:
    deadline = time.monotonic() + LISTEN_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise DaemonUnavailable(
        f"dockerd answers on its unix socket but does not listen on 127.0.0.1:{port}:\n"
        f"{daemon.log_tail(15)}"
    )


@dataclass(frozen=True)
class TLSDaemon:
    daemon: DockerDaemon
    endpoint: str
    certificates: Certificates


@pytest.fixture(scope="module")
def tls_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSDaemon]:
    """A second private dockerd on its unix socket and on `tcp://127.0.0.1:PORT` with
    `--tlsverify`; stopped however the module ends."""
    certificates = _make_certificates(tmp_path_factory.mktemp("tls"))
    port = _free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    flags = (
        "--tlsverify",
        f"--tlscacert={certificates.ca}",
        f"--tlscert={certificates.server_cert}",
        f"--tlskey={certificates.server_key}",
    )
    try:
        daemon = start_docker_daemon(extra_hosts=(endpoint,), extra_flags=flags)
    except DaemonUnavailable as exc:
        unavailable(f"cannot start a private Docker daemon listening on TCP with TLS: {exc}")
    try:
        try:
            _wait_for_listener(port, daemon)
        except DaemonUnavailable as exc:
            unavailable(str(exc))
        yield TLSDaemon(daemon, endpoint, certificates)
    finally:
        daemon.stop()


def _client_tls(certificates: Certificates) -> TLSSettings:
    return TLSSettings(
        ca_cert=str(certificates.ca),
        client_cert=str(certificates.client_cert),
        client_key=str(certificates.client_key),
    )


def test_the_daemon_is_read_with_client_certificates(tls_daemon: TLSDaemon) -> None:
    tls = _client_tls(tls_daemon.certificates)
    result = read_daemon(tls_daemon.endpoint, tls=tls, env={})
    assert result.errors == ()
    assert result.state is not None
    assert result.state.endpoint == tls_daemon.endpoint
    assert result.state.version
    assert [(t.kind, t.path, t.status) for t in result.targets] == [
        (DAEMON, tls_daemon.endpoint, TargetStatus.OK)
    ]
    # the same daemon, through its unix socket, tells the same story
    assert read_daemon(tls_daemon.daemon.host, env={}).state is not None


def _refused(result_errors: tuple[str, ...], endpoint: str) -> str:
    (message,) = result_errors
    assert message.startswith(("TLS with ", "cannot reach the Docker daemon at ")), message
    assert endpoint in message
    assert "Traceback" not in message
    return message


def test_without_client_certificates_the_daemon_refuses(tls_daemon: TLSDaemon) -> None:
    tls = TLSSettings(ca_cert=str(tls_daemon.certificates.ca))
    result = read_daemon(tls_daemon.endpoint, tls=tls, env={}, timeout=5)
    assert result.state is None
    assert result.containers == ()
    message = _refused(tuple(e.message for e in result.errors), tls_daemon.endpoint)
    (target,) = result.targets
    assert (target.kind, target.status, target.note) == (DAEMON, TargetStatus.ERROR, message)


def test_a_daemon_certificate_from_another_ca_is_refused(tls_daemon: TLSDaemon) -> None:
    certificates = tls_daemon.certificates
    tls = TLSSettings(
        ca_cert=str(certificates.other_ca),
        client_cert=str(certificates.client_cert),
        client_key=str(certificates.client_key),
    )
    result = read_daemon(tls_daemon.endpoint, tls=tls, env={}, timeout=5)
    assert result.state is None
    message = _refused(tuple(e.message for e in result.errors), tls_daemon.endpoint)
    assert "certificate verify failed" in message


def test_a_ca_bundle_in_the_environment_does_not_replace_the_given_ca(
    tls_daemon: TLSDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tls_daemon.certificates.other_ca
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    result = read_daemon(tls_daemon.endpoint, tls=_client_tls(tls_daemon.certificates), env={})
    assert result.errors == ()
    assert result.state is not None
