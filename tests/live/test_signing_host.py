"""Live: `hullguard host --require-signed --key` against the real test daemon, whose
containers run images the daemon pulled from the real test registry on loopback (dockerd treats
127.0.0.0/8 as an insecure registry by default): a signed image pinned by digest gives no
HG62x finding, an unsigned one is invalid (HG621), one referenced by tag is unpinned (HG620)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hullguard.cli import cli
from hullguard.signing.keys import generate_keypair, load_private_key
from hullguard.signing.sign import sign_image
from hullguard.signing.verify import verify_image
from tests.live.daemon import DockerDaemon
from tests.live.registry import Registry, insecure, registry
from tests.live.test_signing import _push_busybox

__all__ = ["registry"]

pytestmark = pytest.mark.live
NAMES = ("hg-sig-signed", "hg-sig-unsigned", "hg-sig-tagged")


@pytest.fixture(scope="module")
def estate(
    docker_daemon: DockerDaemon, registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Images pushed, one signed, pulled by the daemon from the registry; containers created
    from them by digest, and one by tag. Yields the references and the public key's path."""
    tmp = tmp_path_factory.mktemp("signing-host")
    private_pem, public_pem = generate_keypair("pw")
    (tmp / "cosign.pub").write_bytes(public_pem)
    options = insecure(registry)
    signed_tag = _push_busybox(registry, tmp, "host/signed:1", "s")
    unsigned_tag = _push_busybox(registry, tmp, "host/unsigned:1", "u")
    signed = sign_image(signed_tag, load_private_key(private_pem, "pw"), options)
    unsigned_digest = verify_image(unsigned_tag, None, options).digest
    assert unsigned_digest is not None
    refs = {
        "hg-sig-signed": f"{registry.host}/host/signed@{signed.digest}",
        "hg-sig-unsigned": f"{registry.host}/host/unsigned@{unsigned_digest}",
        "hg-sig-tagged": signed_tag,
    }
    for name, ref in refs.items():
        docker_daemon.docker("pull", ref)
        docker_daemon.docker(
            "create", "--name", name, "--network=none", ref, "/bin/busybox", "sleep", "3600"
        )
    try:
        yield {**refs, "key": str(tmp / "cosign.pub")}
    finally:
        docker_daemon.docker("rm", "--force", *NAMES, check=False)
        docker_daemon.docker("image", "rm", "--force", *refs.values(), check=False)


def test_host_requires_signed_pinned_images(
    docker_daemon: DockerDaemon, registry: Registry, estate: dict[str, str], tmp_path: Path
) -> None:
    inspected = json.loads(docker_daemon.docker("inspect", "hg-sig-signed").stdout)
    assert inspected[0]["Config"]["Image"] == estate["hg-sig-signed"]
    args = [
        "host",
        "--docker-host",
        docker_daemon.host,
        "--root",
        str(tmp_path),
        "--select",
        "HG620,HG621,HG622",
        "--require-signed",
        "--key",
        estate["key"],
        "--insecure-registry",
        registry.host,
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    ours = [f for f in report["findings"] if f["resource"].removeprefix("container/") in NAMES]
    found = {(f["rule_id"], f["resource"]) for f in ours}
    assert found == {
        ("HG621", "container/hg-sig-unsigned"),
        ("HG620", "container/hg-sig-tagged"),
    }, result.output
    unsigned = next(f for f in ours if f["rule_id"] == "HG621")
    assert "no signatures" in unsigned["message"]


def test_host_without_the_registry_as_insecure_cannot_verify(
    docker_daemon: DockerDaemon, estate: dict[str, str], tmp_path: Path
) -> None:
    """Without --insecure-registry the plain-HTTP registry is asked over HTTPS, which fails:
    the pinned images are unverified, not passed."""
    args = [
        "host",
        "--docker-host",
        docker_daemon.host,
        "--root",
        str(tmp_path),
        "--select",
        "HG620,HG621,HG622",
        "--require-signed",
        "--key",
        estate["key"],
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args)
    report = json.loads(result.output)
    ours = {
        (f["rule_id"], f["resource"])
        for f in report["findings"]
        if f["resource"].removeprefix("container/") in NAMES
    }
    assert ("HG620", "container/hg-sig-tagged") in ours
    assert ("HG621", "container/hg-sig-signed") not in ours
    signed = [f for f in report["findings"] if f["resource"] == "container/hg-sig-signed"]
    assert [f["rule_id"] for f in signed] == ["HG622"], result.output
