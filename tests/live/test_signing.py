"""Live: sign and verify images in a real registry (Debian's docker-registry) on loopback.

A one-layer busybox image (an OCI layout written here, pushed with skopeo) is signed and
verified; a tampered payload, a wrong key, a signature for another digest, a moved tag and a
registry that answers errors each fail verification with a clear reason.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hullguard.cli import cli
from hullguard.image.registry import RegistryOptions
from hullguard.signing.keys import generate_keypair, load_private_key, load_public_key
from hullguard.signing.push import RegistryWriter, canonical_json
from hullguard.signing.sign import (
    docker_reference,
    parse_ref,
    sign_image,
    signature_tag,
    simple_signing_payload,
)
from hullguard.signing.verify import verify_image
from tests.live.registry import Registry, insecure, registry
from tests.live.test_registry_source import _blob, _image_documents
from tests.signing.sigstore import IDENTITY, ISSUER, LocalSigstore, cosign_annotations

__all__ = ["registry"]

pytestmark = pytest.mark.live
BUSYBOX = Path("/bin/busybox")


def _push_busybox(registry: Registry, tmp: Path, name: str, marker: str) -> str:
    layout = tmp / f"layout-{marker}"
    layer, config, _ = _image_documents(
        "amd64", {"bin/busybox": BUSYBOX.read_bytes(), "marker": marker.encode()}
    )
    layer_d = _blob(layout, layer, "application/vnd.oci.image.layer.v1.tar+gzip")
    config_d = _blob(layout, config, "application/vnd.oci.image.config.v1+json")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_d,
            "layers": [layer_d],
        }
    ).encode()
    manifest_d = _blob(layout, manifest, "application/vnd.oci.image.manifest.v1+json")
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest_d]}))
    return registry.push(f"oci:{layout}", name)


@pytest.fixture(scope="module")
def keys() -> dict[str, tuple[bytes, bytes]]:
    return {"ours": generate_keypair("pw"), "other": generate_keypair("pw")}


def _private(
    keys: dict[str, tuple[bytes, bytes]], which: str = "ours"
) -> ec.EllipticCurvePrivateKey:
    return load_private_key(keys[which][0], "pw")


def _public(keys: dict[str, tuple[bytes, bytes]], which: str = "ours") -> ec.EllipticCurvePublicKey:
    return load_public_key(keys[which][1])


def test_sign_then_verify(
    registry: Registry, tmp_path: Path, keys: dict[str, tuple[bytes, bytes]]
) -> None:
    ref = _push_busybox(registry, tmp_path, "sign/busybox:1", "a")
    options = insecure(registry)
    signed = sign_image(ref, _private(keys), options)
    again = sign_image(ref, _private(keys), options)
    assert again.signatures == 2  # appended, as cosign does
    result = verify_image(ref, _public(keys), options)
    assert result.digest == signed.digest
    assert [s.valid for s in result.signatures] == [True, True]
    with RegistryWriter(parse_ref(ref), options) as client:
        found = client.optional_manifest(signature_tag(signed.digest))
    assert found is not None
    layer = found[0]["layers"][0]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    assert "dev.cosignproject.cosign/signature" in layer["annotations"]
    # wrong key
    wrong = verify_image(ref, _public(keys, "other"), options)
    assert not wrong.verified
    assert all("does not verify with this key" in s.reason for s in wrong.signatures)


def test_the_cli(registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = _push_busybox(registry, tmp_path, "cli/busybox:1", "b")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COSIGN_PASSWORD", "secret")
    runner = CliRunner()
    assert runner.invoke(cli, ["keygen"]).exit_code == 0
    assert (tmp_path / "cosign.key").stat().st_mode & 0o777 == 0o600
    args = ["--insecure-registry", registry.host]
    unsigned = runner.invoke(cli, ["verify", "--key", "cosign.pub", ref, *args])
    assert unsigned.exit_code == 1
    assert "no signatures" in unsigned.output
    signed = runner.invoke(cli, ["sign", "--key", "cosign.key", ref, *args])
    assert signed.exit_code == 0, signed.output
    ok = runner.invoke(cli, ["verify", "--key", "cosign.pub", ref, *args])
    assert ok.exit_code == 0, ok.output
    monkeypatch.setenv("COSIGN_PASSWORD", "wrong")
    bad = runner.invoke(cli, ["sign", "--key", "cosign.key", ref, *args])
    assert bad.exit_code == 2
    assert "wrong password" in bad.output
    garbage = runner.invoke(cli, ["verify", "--key", "cosign.key", ref, *args])
    assert garbage.exit_code == 2
    assert "not a `PUBLIC KEY`" in garbage.output


def _put_signature(
    registry: Registry, ref: str, digest: str, payload: bytes, signature: str
) -> None:
    with RegistryWriter(parse_ref(ref), insecure(registry)) as client:
        payload_digest = client.push_blob(payload)
        config = b"{}"
        config_digest = client.push_blob(config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "size": 2,
                "digest": config_digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "size": len(payload),
                    "digest": payload_digest,
                    "annotations": {"dev.cosignproject.cosign/signature": signature},
                }
            ],
        }
        client.push_manifest(
            signature_tag(digest),
            canonical_json(manifest),
            "application/vnd.oci.image.manifest.v1+json",
        )


def _signature_of(registry: Registry, ref: str, digest: str) -> tuple[bytes, str]:
    with RegistryWriter(parse_ref(ref), insecure(registry)) as client:
        found = client.optional_manifest(signature_tag(digest))
        assert found is not None
        layer = found[0]["layers"][0]
        return client.blob(layer["digest"], 1 << 20), layer["annotations"][
            "dev.cosignproject.cosign/signature"
        ]


def test_tampering_fails_with_a_reason(
    registry: Registry, tmp_path: Path, keys: dict[str, tuple[bytes, bytes]]
) -> None:
    options = insecure(registry)
    public = _public(keys)
    first = _push_busybox(registry, tmp_path, "tamper/busybox:1", "c")
    second = _push_busybox(registry, tmp_path, "tamper/busybox:2", "d")
    signed = sign_image(first, _private(keys), options)
    payload, signature = _signature_of(registry, first, signed.digest)
    # a signature for another digest, copied under the second image's .sig tag
    other = verify_image(second, public, options)
    assert other.digest is not None
    _put_signature(registry, second, other.digest, payload, signature)
    copied = verify_image(second, public, options)
    assert not copied.verified
    assert "payload digest mismatch" in copied.signatures[0].reason
    # a tampered payload
    _put_signature(registry, first, signed.digest, payload.replace(b"}", b" }", 1), signature)
    tampered = verify_image(first, public, options)
    assert not tampered.verified
    assert "bad signature" in tampered.signatures[0].reason
    # payload not JSON, annotation missing or huge
    junk_signature = base64.b64encode(
        _private(keys).sign(b"not json", ec.ECDSA(hashes.SHA256()))
    ).decode()
    _put_signature(registry, second, other.digest, b"not json", junk_signature)
    assert "not JSON" in verify_image(second, public, options).signatures[0].reason
    _put_signature(registry, second, other.digest, payload, "A" * 100_000)
    assert "huge" in verify_image(second, public, options).signatures[0].reason
    # a moved tag: `:1` now names an unsigned image
    moved = _push_busybox(registry, tmp_path, "tamper/busybox:1", "e")
    result = verify_image(moved, public, options)
    assert not result.verified
    assert result.digest != signed.digest
    assert "no signatures" in result.problems[0]


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if "/manifests/" in self.path and ".sig" not in self.path:
            body = b'{"schemaVersion":2,"layers":[]}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_failing_registry(failing: str, keys: dict[str, tuple[bytes, bytes]]) -> None:
    options = RegistryOptions(insecure_registries=frozenset({failing}), timeout=5)
    result = verify_image(f"{failing}/x/y:1", _public(keys), options)
    assert not result.verified
    assert any("server error 500" in p for p in result.problems)
    refused = CliRunner().invoke(cli, ["verify", "--key", "/nonexistent.pub", f"{failing}/x/y:1"])
    assert refused.exit_code == 2


def test_scan_requires_signed_pinned_images(
    registry: Registry, tmp_path: Path, keys: dict[str, tuple[bytes, bytes]]
) -> None:
    signed_ref = _push_busybox(registry, tmp_path, "policy/signed:1", "p")
    unsigned_ref = _push_busybox(registry, tmp_path, "policy/unsigned:1", "q")
    options = insecure(registry)
    signed = sign_image(signed_ref, _private(keys), options)
    unsigned = verify_image(unsigned_ref, _public(keys), options)
    assert unsigned.digest is not None
    (tmp_path / "cosign.pub").write_bytes(keys["ours"][1])
    (tmp_path / ".hullguard.toml").write_text(
        f'[signatures]\ninsecure-registries = ["{registry.host}"]\n'
    )
    project = tmp_path / "project"
    project.mkdir()
    compose = project / "docker-compose.yml"
    compose.write_text(
        "services:\n"
        f"  signed:\n    image: {registry.host}/policy/signed@{signed.digest}\n"
        f"  unsigned:\n    image: {registry.host}/policy/unsigned@{unsigned.digest}\n"
        f"  tagged:\n    image: {signed_ref}\n"
    )
    args = [
        "scan",
        str(project),
        "--config",
        str(tmp_path / ".hullguard.toml"),
        "--select",
        "HG620,HG621,HG622",
        "--require-signed",
        "--key",
        str(tmp_path / "cosign.pub"),
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = {(f["rule_id"], f["resource"]) for f in report["findings"]}
    assert found == {
        ("HG621", "services.unsigned"),
        ("HG620", "services.tagged"),
    }, result.output
    message = next(f["message"] for f in report["findings"] if f["rule_id"] == "HG621")
    assert "no signatures" in message
    # without the policy, the same file gives none of these findings
    quiet = CliRunner().invoke(cli, [*args[:6], "--format", "json"])
    assert json.loads(quiet.output)["findings"] == [], quiet.output


def _put_keyless(
    registry: Registry, ref: str, digest: str, sigstore: LocalSigstore, **leaf: Any
) -> None:
    """A keyless signature stored as cosign stores one: the simple-signing payload as the
    layer, the signature, certificate, chain and log entry in its annotations."""
    parsed = parse_ref(ref)
    payload = simple_signing_payload(docker_reference(parsed), digest)
    signed = sigstore.sign(payload, payload, **leaf)
    annotations = cosign_annotations(signed, sigstore)
    with RegistryWriter(parsed, insecure(registry)) as client:
        payload_digest = client.push_blob(payload)
        config_digest = client.push_blob(b"{}")
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "size": 2,
                "digest": config_digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "size": len(payload),
                    "digest": payload_digest,
                    "annotations": annotations,
                }
            ],
        }
        client.push_manifest(
            signature_tag(digest),
            canonical_json(manifest),
            "application/vnd.oci.image.manifest.v1+json",
        )


def test_keyless_signatures_with_a_trusted_root(
    registry: Registry, tmp_path: Path, keys: dict[str, tuple[bytes, bytes]]
) -> None:
    sigstore = LocalSigstore()
    ref = _push_busybox(registry, tmp_path, "keyless/busybox:1", "k")
    digest = verify_image(ref, _public(keys), insecure(registry)).digest
    assert digest is not None
    _put_keyless(registry, ref, digest, sigstore)
    root = tmp_path / "trusted_root.json"
    root.write_text(json.dumps(sigstore.trusted_root()))
    (tmp_path / "cosign.pub").write_bytes(keys["ours"][1])
    runner = CliRunner()
    base = ["verify", ref, "--insecure-registry", registry.host]
    keyless = [
        "--trusted-root",
        str(root),
        "--certificate-oidc-issuer",
        ISSUER,
    ]
    ok = runner.invoke(cli, [*base, *keyless, "--certificate-identity", IDENTITY])
    assert ok.exit_code == 0, ok.output
    assert f"valid: {signature_tag(digest)}" in ok.output
    assert f"keyless: signed by {IDENTITY} (issuer {ISSUER})" in ok.output
    pattern = runner.invoke(
        cli, [*base, *keyless, "--certificate-identity-regexp", r"@example\.test$"]
    )
    assert pattern.exit_code == 0, pattern.output
    stranger = runner.invoke(cli, [*base, *keyless, "--certificate-identity", "x@example.test"])
    assert stranger.exit_code == 1
    assert f"identity mismatch: signed by {IDENTITY}, not x@example.test" in stranger.output
    other_issuer = [*keyless[:3], "https://other.example.test"]
    issuer = runner.invoke(cli, [*base, *other_issuer, "--certificate-identity", IDENTITY])
    assert issuer.exit_code == 1
    assert "issuer mismatch" in issuer.output
    # a trusted root of another Sigstore: the CA is unknown, the SET is another log's
    stranger_root = tmp_path / "other_root.json"
    stranger_root.write_text(json.dumps(LocalSigstore().trusted_root()))
    foreign = runner.invoke(
        cli,
        [
            *base,
            "--trusted-root",
            str(stranger_root),
            *keyless[2:],
            "--certificate-identity",
            IDENTITY,
        ],
    )
    assert foreign.exit_code == 1
    assert "bad SET: the entry is from the log" in foreign.output
    # with a key only, the keyless signature is present but not verified offline
    with_key = runner.invoke(cli, [*base, "--key", str(tmp_path / "cosign.pub")])
    assert with_key.exit_code == 1
    assert (
        "keyless signature (Fulcio certificate): present, not verified offline" in with_key.output
    )
    # usage errors: a root without identity, a root that is not one
    assert runner.invoke(cli, [*base, "--trusted-root", str(root)]).exit_code == 2
    bad_root = tmp_path / "bad.json"
    bad_root.write_text("{}")
    bad = runner.invoke(
        cli, [*base, "--trusted-root", str(bad_root), *keyless[2:], "--certificate-identity", "a"]
    )
    assert bad.exit_code == 2
    assert "not a Sigstore trusted root" in bad.output
    # an expired certificate (logged eleven minutes after its start)
    late = sigstore.now + datetime.timedelta(minutes=11)
    expired_ref = _push_busybox(registry, tmp_path, "keyless/busybox:2", "l")
    expired_digest = verify_image(expired_ref, _public(keys), insecure(registry)).digest
    assert expired_digest is not None
    _put_keyless(registry, expired_ref, expired_digest, sigstore, logged_at=late)
    expired = runner.invoke(
        cli,
        [
            "verify",
            expired_ref,
            "--insecure-registry",
            registry.host,
            *keyless,
            "--certificate-identity",
            IDENTITY,
        ],
    )
    assert expired.exit_code == 1
    assert "expired at signing time" in expired.output


def test_scan_accepts_keyless_signed_images(
    registry: Registry, tmp_path: Path, keys: dict[str, tuple[bytes, bytes]]
) -> None:
    sigstore = LocalSigstore()
    signed_ref = _push_busybox(registry, tmp_path, "keyless-policy/signed:1", "m")
    other_ref = _push_busybox(registry, tmp_path, "keyless-policy/other:1", "n")
    options = insecure(registry)
    signed = verify_image(signed_ref, None, options).digest
    other = verify_image(other_ref, None, options).digest
    assert signed is not None and other is not None
    _put_keyless(registry, signed_ref, signed, sigstore)
    _put_keyless(registry, other_ref, other, sigstore, identity="intruder@example.test")
    (tmp_path / "trusted_root.json").write_text(json.dumps(sigstore.trusted_root()))
    (tmp_path / ".hullguard.toml").write_text(
        "[signatures]\n"
        "require = true\n"
        'trusted-root = "trusted_root.json"\n'
        f'certificate-identity = "{IDENTITY}"\n'
        f'certificate-oidc-issuer = "{ISSUER}"\n'
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "docker-compose.yml").write_text(
        "services:\n"
        f"  signed:\n    image: {registry.host}/keyless-policy/signed@{signed}\n"
        f"  other:\n    image: {registry.host}/keyless-policy/other@{other}\n"
    )
    args = [
        "scan",
        str(project),
        "--config",
        str(tmp_path / ".hullguard.toml"),
        "--select",
        "HG620,HG621,HG622",
        "--insecure-registry",
        registry.host,
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = [(f["rule_id"], f["resource"]) for f in report["findings"]]
    assert found == [("HG621", "services.other")], result.output
    assert "identity mismatch: signed by intruder@example.test" in report["findings"][0]["message"]
