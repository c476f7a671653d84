"""Live: images pulled from a real registry (Debian's docker-registry) on loopback.

Images built by the private daemon are saved with `docker save` and pushed with skopeo; pulled
back with `open_image("registry:...")` they give the same files and spec as the archive. A
multi-platform index (written here as an OCI layout, pushed with `skopeo --multi-arch all`) is
resolved with `--platform`; a registry with htpasswd basic auth is read with the credentials of
a Docker CLI config. Faults (401 without realm, 404, 429, garbage, a layer whose digest does not
match) come from a tiny fake registry served by the test.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hullguard.cli import cli
from hullguard.image.registry import RegistryOptions, host_platform, parse_platform
from hullguard.image.sources import open_image
from hullguard.model import ErrorKind
from tests.live.daemon import DockerDaemon
from tests.live.registry import HTPASSWD, Registry, insecure, registry, start_registry
from tests.live.test_image_sources import _comparable, images  # noqa: F401

__all__ = ["registry"]  # the shared fixture this module uses

pytestmark = pytest.mark.live


# --- images from the daemon --------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["hg-root:1", "hg-user:1"])
def test_registry_gives_the_same_image_as_the_archive(
    docker_daemon: DockerDaemon,
    images: dict[str, Path],  # noqa: F811
    registry: Registry,
    tag: str,
) -> None:
    pushed = registry.push(f"docker-archive:{images[tag]}", tag.replace("hg-", "saved/"))
    archive_ref = f"docker-archive:{images[tag]}"
    from_archive = open_image(archive_ref)
    from_registry = open_image(f"registry:{pushed}", registry=insecure(registry))
    assert from_registry.errors == ()
    assert _comparable(from_registry, f"registry:{pushed}") == _comparable(
        from_archive, archive_ref
    )
    assert from_registry.contents is not None
    assert len(from_registry.contents.layers) == len(from_archive.contents.layers)  # type: ignore[union-attr]
    # A plain reference the daemon does not know falls back to the registry.
    fallback = open_image(pushed, docker_host=docker_daemon.host, registry=insecure(registry))
    assert fallback.errors == ()
    assert fallback.targets[0].note is not None
    assert "pulled from the registry" in fallback.targets[0].note


def test_the_cli_reads_a_registry_image(
    images: dict[str, Path],  # noqa: F811
    registry: Registry,
) -> None:
    pushed = registry.push(f"docker-archive:{images['hg-root:1']}", "cli/root:1")
    result = CliRunner().invoke(
        cli,
        ["image", f"registry:{pushed}", "--insecure-registry", registry.host, "--format", "json"],
    )
    report = json.loads(result.output)
    assert report["errors"] == []
    assert "HG202" in {f["rule_id"] for f in report["findings"]}
    refused = CliRunner().invoke(
        cli, ["image", "registry:example.com/a:1", "--insecure-registry", "example.com:80"]
    )
    assert refused.exit_code == 2
    assert "only to registries on loopback" in refused.output
    bad = CliRunner().invoke(cli, ["image", f"registry:{pushed}", "--platform", "linux"])
    assert bad.exit_code == 2
    assert "os/arch" in bad.output


# --- a multi-platform index --------------------------------------------------------------------


def _layer(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _blob(root: Path, data: bytes, media_type: str, **more: object) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data), **more}


def _image_documents(
    arch: str, files: dict[str, bytes], variant: str | None = None
) -> tuple[bytes, bytes, bytes]:
    """(layer, config, manifest without blobs): for the fake registry and the layout."""
    layer = _layer(files)
    diff_id = "sha256:" + hashlib.sha256(gzip.decompress(layer)).hexdigest()
    platform = {"os": "linux", "architecture": arch, **({"variant": variant} if variant else {})}
    config = json.dumps(
        {
            **platform,
            "config": {"User": "1000", "Env": [f"ARCH={arch}"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": f"COPY arch-{arch} /arch"}],
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": _descriptor(config, "application/vnd.oci.image.config.v1+json"),
            "layers": [_descriptor(layer, "application/vnd.oci.image.layer.v1.tar+gzip")],
        }
    ).encode()
    return layer, config, manifest


def _descriptor(data: bytes, media_type: str, **more: object) -> dict[str, object]:
    return {
        "mediaType": media_type,
        "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
        "size": len(data),
        **more,
    }


PLATFORMS = [("amd64", None), ("arm64", "v8"), ("arm", "v7")]


def _multi_arch_layout(root: Path) -> None:
    entries = []
    for arch, variant in PLATFORMS:
        layer, config, manifest = _image_documents(
            arch, {f"arch-{arch}": f"{arch}\n".encode()}, variant
        )
        _blob(root, layer, "layer")
        _blob(root, config, "config")
        platform = {"os": "linux", "architecture": arch}
        if variant:
            platform["variant"] = variant
        entries.append(
            _blob(root, manifest, "application/vnd.oci.image.manifest.v1+json", platform=platform)
        )
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries,
    }
    outer = json.dumps(index).encode()
    top = _blob(
        root,
        outer,
        "application/vnd.oci.image.index.v1+json",
        annotations={"org.opencontainers.image.ref.name": "multi"},
    )
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


def test_a_multi_platform_index_is_resolved_by_platform(registry: Registry, tmp_path: Path) -> None:
    _multi_arch_layout(tmp_path / "layout")
    pushed = registry.push(f"oci:{tmp_path / 'layout'}:multi", "multi/arch:1", "--multi-arch=all")
    for wanted, arch in [
        ("linux/arm64", "arm64"),
        ("linux/arm/v7", "arm"),
        ("linux/amd64", "amd64"),
    ]:
        result = open_image(
            f"registry:{pushed}", registry=insecure(registry, platform=parse_platform(wanted))
        )
        assert result.errors == (), wanted
        assert result.contents is not None and result.spec is not None
        assert [f for f in result.contents.files if f.startswith("/arch")] == [f"/arch-{arch}"]
        assert [(e.name, e.value) for e in result.spec.env] == [("ARCH", arch)]
        assert result.targets[0].note is not None and wanted in result.targets[0].note
    default = open_image(f"registry:{pushed}", registry=insecure(registry))
    assert default.contents is not None
    wanted_arch = host_platform().architecture
    assert f"/arch-{wanted_arch}" in default.contents.files
    missing = open_image(
        f"registry:{pushed}", registry=insecure(registry, platform=parse_platform("linux/s390x"))
    )
    assert missing.contents is None
    message = missing.errors[0].message
    assert "no image for platform linux/s390x" in message
    assert "linux/arm/v7" in message and "linux/amd64" in message
    # By digest: the index itself, checked against the digest.
    digest = json.loads((tmp_path / "layout" / "index.json").read_text())["manifests"][0]["digest"]
    name = pushed.rsplit(":", 1)[0]
    by_digest = open_image(f"registry:{name}@{digest}", registry=insecure(registry))
    assert by_digest.errors == ()


# --- basic auth --------------------------------------------------------------------------------


def test_basic_auth_with_docker_config_credentials(tmp_path: Path) -> None:
    if HTPASSWD is None:
        pytest.skip("htpasswd (apache2-utils) is absent: no bcrypt htpasswd file to write")
    auth = ("hg-user", "hg-secret")
    (tmp_path / "auth-registry").mkdir()
    registry = start_registry(tmp_path / "auth-registry", auth)
    try:
        layout = tmp_path / "layout"
        _multi_arch_layout(layout)
        pushed = registry.push(
            f"oci:{layout}:multi",
            "private/app:1",
            "--multi-arch=all",
            f"--dest-creds={auth[0]}:{auth[1]}",
        )
        no_config = tmp_path / "none.json"
        anonymous = open_image(
            f"registry:{pushed}", registry=insecure(registry, docker_config=no_config)
        )
        assert anonymous.contents is None
        assert "docker login" in anonymous.errors[0].message
        assert anonymous.errors[0].kind is ErrorKind.READ
        assert anonymous.errors[0].path == f"registry:{pushed}"

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"auths": {f"http://{registry.host}": {"auth": token}}}))
        logged_in = open_image(
            f"registry:{pushed}", registry=insecure(registry, docker_config=config)
        )
        assert logged_in.errors == ()
        assert logged_in.contents is not None

        fields = tmp_path / "fields.json"
        fields.write_text(
            json.dumps({"auths": {registry.host: {"username": auth[0], "password": auth[1]}}})
        )
        assert (
            open_image(
                f"registry:{pushed}", registry=insecure(registry, docker_config=fields)
            ).errors
            == ()
        )

        wrong = tmp_path / "wrong.json"
        wrong.write_text(
            json.dumps({"auths": {registry.host: {"username": auth[0], "password": "nope"}}})
        )
        denied = open_image(f"registry:{pushed}", registry=insecure(registry, docker_config=wrong))
        assert denied.contents is None and "401" in denied.errors[0].message

        helper = tmp_path / "helper.json"
        helper.write_text(json.dumps({"credsStore": "desktop"}))
        noted = open_image(f"registry:{pushed}", registry=insecure(registry, docker_config=helper))
        assert "not supported" in noted.errors[0].message
        assert "docker-credential-desktop" in noted.errors[0].message
    finally:
        registry.stop()


# --- faults, from a fake registry --------------------------------------------------------------

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


def _fake_routes(port_box: list[int]) -> dict[str, Route]:
    layer, config, manifest = _image_documents("amd64", {"etc/hello": b"hi\n"})
    wrong_layer = _layer({"etc/hello": b"changed\n"})
    bad = json.loads(manifest)
    bad["layers"][0]["size"] = len(wrong_layer)
    bad_manifest = json.dumps(bad).encode()
    token_manifest = manifest

    def send(code: int, body: bytes = b"", **headers: str) -> Route:
        def route(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(code)
            for key, value in headers.items():
                handler.send_header(key.replace("_", "-"), value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        return route

    def needs_token(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") == "Bearer good-token":
            send(200, token_manifest, Content_Type="application/vnd.oci.image.manifest.v1+json")(
                handler
            )
            return
        realm = f"http://127.0.0.1:{port_box[0]}/token"
        challenge = f'Bearer realm="{realm}",service="fake",scope="repository:tokened:pull"'
        send(401, b"{}", WWW_Authenticate=challenge)(handler)

    def token(handler: http.server.BaseHTTPRequestHandler) -> None:
        ok = "scope=repository%3Atokened%3Apull" in (handler.path or "")
        send(200 if ok else 400, json.dumps({"token": "good-token"}).encode())(handler)

    blob = "/v2/{}/blobs/{}"
    other = "sha256:" + hashlib.sha256(b"other").hexdigest()
    return {
        "/v2/norealm/manifests/1": send(401, b"{}", WWW_Authenticate='Bearer service="x"'),
        "/v2/missing/manifests/1": send(404, b'{"errors":[]}'),
        "/v2/limited/manifests/1": send(429, b"{}", Retry_After="120"),
        "/v2/broken/manifests/1": send(503, b"down"),
        "/v2/garbage/manifests/1": send(200, b"<html>not json{", Content_Type="text/html"),
        "/v2/huge/manifests/1": send(200, b" " * (4 * 1024 * 1024 + 1)),
        "/v2/tokened/manifests/1": needs_token,
        "/token": token,
        "/v2/badlayer/manifests/1": send(
            200, bad_manifest, Content_Type="application/vnd.oci.image.manifest.v1+json"
        ),
        f"/v2/wrongdigest/manifests/{other}": send(
            200, manifest, Content_Type="application/vnd.oci.image.manifest.v1+json"
        ),
        **{
            blob.format(repo, _descriptor(config, "")["digest"]): send(200, config)
            for repo in ("badlayer", "tokened")
        },
        blob.format("tokened", _descriptor(layer, "")["digest"]): send(200, layer),
        blob.format("badlayer", _descriptor(layer, "")["digest"]): send(200, wrong_layer),
    }


@pytest.fixture(scope="module")
def fake_registry() -> Iterator[str]:
    port_box: list[int] = []
    routes = _fake_routes(port_box)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path.split("?")[0])
            if self.path.startswith("/token"):
                route = routes["/token"]
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            route(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_box.append(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{port_box[0]}"
    finally:
        server.shutdown()
        server.server_close()


def _fault(host: str, name: str, reference: str = ":1") -> str:
    ref = f"registry:{host}/{name}{reference}"
    result = open_image(ref, registry=RegistryOptions(insecure_registries=frozenset({host})))
    assert result.contents is None, name
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.path, error.kind) == (ref, ErrorKind.READ)
    return error.message


def test_registry_faults_are_clear_errors(fake_registry: str) -> None:
    assert "Bearer challenge has no realm" in _fault(fake_registry, "norealm")
    assert "no such image or tag (404)" in _fault(fake_registry, "missing")
    limited = _fault(fake_registry, "limited")
    assert "rate limited (429)" in limited and "Retry-After: 120" in limited
    assert "server error 503" in _fault(fake_registry, "broken")
    assert "not JSON" in _fault(fake_registry, "garbage")
    assert "larger than" in _fault(fake_registry, "huge")
    other = "sha256:" + hashlib.sha256(b"other").hexdigest()
    mismatch = _fault(fake_registry, "wrongdigest", f"@{other}")
    assert f"manifest {other}: its content does not match its digest" in mismatch


def test_a_token_is_fetched_from_the_realm(fake_registry: str) -> None:
    result = open_image(
        f"registry:{fake_registry}/tokened:1",
        registry=RegistryOptions(insecure_registries=frozenset({fake_registry})),
    )
    assert result.errors == ()
    assert result.contents is not None
    assert result.contents.files["/etc/hello"].size == 3


def test_a_layer_whose_digest_does_not_match_is_not_used(fake_registry: str) -> None:
    ref = f"registry:{fake_registry}/badlayer:1"
    result = open_image(
        ref, registry=RegistryOptions(insecure_registries=frozenset({fake_registry}))
    )
    assert result.contents is not None
    assert "/etc/hello" not in result.contents.files
    [error] = result.errors
    assert "its content does not match its digest" in error.message
    assert error.path == ref and error.kind is ErrorKind.READ


def test_plain_http_is_refused_beyond_loopback() -> None:
    ref = "registry:registry.example.com:5000/app:1"
    result = open_image(
        ref,
        registry=RegistryOptions(insecure_registries=frozenset({"registry.example.com:5000"})),
    )
    assert result.contents is None
    assert "refusing plain HTTP to registry.example.com:5000" in result.errors[0].message
