"""The registry client's bounds against real misbehaving servers on 127.0.0.1: a deadline per
operation that a server sending a byte every few seconds, or never answering, cannot outlast;
redirects followed to another loopback port without the credentials, loops cut after a few
hops, and redirects to plain HTTP off loopback or down from HTTPS refused."""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hullguard.image.registry import RegistryClient, RegistryError, RegistryOptions
from hullguard.imageref import parse_image_ref

Handler = Callable[[http.server.BaseHTTPRequestHandler, threading.Event], None]

CONFIG = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": CONFIG_DIGEST,
            "size": len(CONFIG),
        },
        "layers": [],
    }
).encode()


class _Server:
    """A threading HTTP(S) server on 127.0.0.1 whose requests `handle` answers; stopped (and
    its slow answers ended) by `stop`."""

    def __init__(self, handle: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.stopping = threading.Event()
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Answer(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, dict(self.headers)))
                handle(self, outer.stopping)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def serve() -> Iterator[Callable[..., _Server]]:
    started: list[_Server] = []

    def start(handle: Handler, tls: ssl.SSLContext | None = None) -> _Server:
        server = _Server(handle, tls)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _client(ref: str, *hosts: str, **options: object) -> RegistryClient:
    settings = RegistryOptions(insecure_registries=frozenset(hosts), **options)  # type: ignore[arg-type]
    return RegistryClient(parse_image_ref(ref), settings)


def _send(handler: http.server.BaseHTTPRequestHandler, body: bytes, kind: str = "") -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    if kind:
        handler.send_header("Content-Type", kind)
    handler.end_headers()
    handler.wfile.write(body)


def _redirect(handler: http.server.BaseHTTPRequestHandler, code: int, location: str) -> None:
    handler.send_response(code)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _drip(handler: http.server.BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    """Headers, then one byte of a long body every half second until stopped."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        while not stopping.wait(0.5):
            handler.wfile.write(b"{")
            handler.wfile.flush()
    except OSError:
        pass


def test_a_body_sent_a_byte_at_a_time_ends_at_the_deadline(
    serve: Callable[..., _Server],
) -> None:
    server = serve(_drip)
    with (
        _client(f"{server.host}/slow/image:1", server.host, deadline=2, timeout=30) as client,
        pytest.raises(RegistryError) as caught,
    ):
        client.pull()
    message = str(caught.value)
    assert f"http://{server.host}/v2/slow/image/manifests/1" in message
    assert "within the 2 s deadline" in message


def _stall(handler: http.server.BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    """Headers and a little of the body, then nothing until stopped."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(b'{"schemaVersion":')
    handler.wfile.flush()
    stopping.wait(120)


def test_a_body_that_stalls_ends_at_the_deadline(serve: Callable[..., _Server]) -> None:
    server = serve(_stall)
    with (
        _client(f"{server.host}/stall/image:1", server.host, deadline=1.5, timeout=30) as client,
        pytest.raises(RegistryError, match=r"within the 1\.5 s deadline for one operation"),
    ):
        client.pull()


def _header_drip(handler: http.server.BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    """A status line, then a header that never ends, a byte every half second."""
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stopping.wait(0.5):
            handler.wfile.write(b"a")
            handler.wfile.flush()
    except OSError:
        pass


def test_headers_sent_a_byte_at_a_time_end_at_the_deadline(
    serve: Callable[..., _Server],
) -> None:
    server = serve(_header_drip)
    with (
        _client(f"{server.host}/slow/image:1", server.host, deadline=2, timeout=30) as client,
        pytest.raises(RegistryError, match="within the 2 s deadline"),
    ):
        client.pull()


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts connections and never answers, closed by the test."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stopping.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(10)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_server_that_never_answers_ends_at_the_deadline(silent: str) -> None:
    with (
        _client(f"{silent}/quiet/image:1", silent, deadline=1.5, timeout=60) as client,
        pytest.raises(RegistryError, match=r"within the 1\.5 s deadline"),
    ):
        client.pull()


def test_a_slow_layer_ends_at_its_size_bound(serve: Callable[..., _Server]) -> None:
    server = serve(_drip)
    digest = "sha256:" + "a" * 64
    client = _client(f"{server.host}/slow/image:1", server.host, deadline=1, min_throughput=50_000)
    cut: list[str] = []
    with client, pytest.raises(RegistryError) as caught, client.open_blob(digest, 100000) as stream:
        try:
            stream.read()
        except OSError as exc:
            cut.append(str(exc))
    assert len(cut) == 1
    assert "plus 100000 bytes at 50000 bytes/s" in cut[0]
    assert f"/v2/slow/image/blobs/{digest}" in str(caught.value)
    assert "3 s (the 1 s deadline plus 100000 bytes at 50000 bytes/s)" in str(caught.value)


def test_the_cli_reports_a_stalled_registry_without_a_traceback(
    serve: Callable[..., _Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from hullguard.cli import cli
    from hullguard.signing.keys import generate_keypair

    server = serve(_drip)
    (tmp_path / "cosign.pub").write_bytes(generate_keypair("pw")[1])
    monkeypatch.setenv("HULLGUARD_REGISTRY_DEADLINE", "2")
    result = CliRunner().invoke(
        cli,
        [
            "verify",
            "--key",
            str(tmp_path / "cosign.pub"),
            "--insecure-registry",
            server.host,
            f"{server.host}/slow/image:1",
        ],
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "within the 2 s deadline" in result.output
    assert "Traceback" not in result.output


# --- redirects ------------------------------------------------------------------------------


def test_a_redirect_to_another_loopback_port_is_followed_without_the_credentials(
    serve: Callable[..., _Server], tmp_path: Path
) -> None:
    def storage(handler: http.server.BaseHTTPRequestHandler, _: threading.Event) -> None:
        if handler.path.endswith("/manifest"):
            _send(handler, MANIFEST, "application/vnd.oci.image.manifest.v1+json")
        else:
            _send(handler, CONFIG)

    blobs = serve(storage)
    basic = "Basic " + base64.b64encode(b"user:secret").decode()

    def registry(handler: http.server.BaseHTTPRequestHandler, _: threading.Event) -> None:
        if handler.headers.get("Authorization") != basic:
            handler.send_response(401)
            handler.send_header("WWW-Authenticate", 'Basic realm="test"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif "/manifests/" in handler.path:
            _redirect(handler, 307, f"http://{blobs.host}/store/manifest")
        else:
            _redirect(handler, 308, f"http://{blobs.host}/store/config")

    front = serve(registry)
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"auths": {front.host: {"username": "user", "password": "secret"}}})
    )
    with _client(
        f"{front.host}/team/app:1", front.host, blobs.host, docker_config=config
    ) as client:
        pulled = client.pull()
    assert pulled.config["architecture"] == "amd64"
    assert [path for path, _ in blobs.requests] == ["/store/manifest", "/store/config"]
    assert all("Authorization" not in headers for _, headers in blobs.requests)
    assert any(headers.get("Authorization") == basic for _, headers in front.requests)


def test_a_redirect_loop_ends_after_a_few_hops(serve: Callable[..., _Server]) -> None:
    def loop(handler: http.server.BaseHTTPRequestHandler, _: threading.Event) -> None:
        _redirect(handler, 302, handler.path + "x")

    server = serve(loop)
    with (
        _client(f"{server.host}/loop/app:1", server.host) as client,
        pytest.raises(RegistryError, match="more than 5 redirects"),
    ):
        client.pull()
    assert len(server.requests) == 6


def test_a_redirect_to_plain_http_off_loopback_is_refused(serve: Callable[..., _Server]) -> None:
    def away(handler: http.server.BaseHTTPRequestHandler, _: threading.Event) -> None:
        _redirect(handler, 307, "http://192.0.2.10:5000/v2/app/manifests/1")

    server = serve(away)
    with (
        _client(f"{server.host}/app:1", server.host, "192.0.2.10:5000") as client,
        pytest.raises(RegistryError, match=r"refusing http://192\.0\.2\.10:5000/v2/app"),
    ):
        client.pull()


def _tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 with a self-signed certificate, and that certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hullguard test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / "cert.pem"
    key_path = tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


def test_a_redirect_from_https_down_to_plain_http_is_refused(
    serve: Callable[..., _Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = serve(lambda handler, _: _send(handler, MANIFEST))
    context, certificate = _tls(tmp_path)

    def downgrade(handler: http.server.BaseHTTPRequestHandler, _: threading.Event) -> None:
        _redirect(handler, 307, f"http://{plain.host}/v2/app/manifests/1")

    secure = serve(downgrade, context)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
    with (
        _client(f"{secure.host}/app:1", plain.host) as client,
        pytest.raises(RegistryError, match="from HTTPS down to plain HTTP"),
    ):
        client.pull()
    assert [path for path, _ in secure.requests] == ["/v2/app/manifests/1"]
    assert plain.requests == []


def test_a_deadline_that_is_not_a_number_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from hullguard.cli import cli

    monkeypatch.setenv("HULLGUARD_REGISTRY_DEADLINE", "soon")
    result = CliRunner().invoke(cli, ["verify", "--key", "k.pub", "127.0.0.1:1/a:1"])
    assert result.exit_code == 2
    assert "HULLGUARD_REGISTRY_DEADLINE: `soon` is not a number of seconds" in result.output
