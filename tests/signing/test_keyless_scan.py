"""Live: `scan` with the keyless options on the command line, against a real registry on
loopback holding keyless signatures as cosign stores them (a test Fulcio, Rekor and CT log)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hullguard.cli import cli
from hullguard.signing.verify import verify_image
from tests.live.registry import Registry, insecure, registry
from tests.live.test_signing import _push_busybox, _put_keyless
from tests.signing.sigstore import IDENTITY, ISSUER, LocalSigstore

__all__ = ["registry"]

pytestmark = pytest.mark.live


def test_scan_verifies_keyless_signatures_with_command_line_options(
    registry: Registry, tmp_path: Path
) -> None:
    sigstore = LocalSigstore()
    signed_ref = _push_busybox(registry, tmp_path, "keyless-cli/signed:1", "p")
    other_ref = _push_busybox(registry, tmp_path, "keyless-cli/other:1", "q")
    signed = verify_image(signed_ref, None, insecure(registry)).digest
    other = verify_image(other_ref, None, insecure(registry)).digest
    assert signed is not None and other is not None
    _put_keyless(registry, signed_ref, signed, sigstore)
    _put_keyless(registry, other_ref, other, sigstore, identity="intruder@example.test")
    root = tmp_path / "trusted_root.json"
    root.write_text(json.dumps(sigstore.trusted_root()))
    project = tmp_path / "project"
    project.mkdir()
    (project / "docker-compose.yml").write_text(
        "services:\n"
        f"  signed:\n    image: {registry.host}/keyless-cli/signed@{signed}\n"
        f"  other:\n    image: {registry.host}/keyless-cli/other@{other}\n"
    )
    base = [
        "scan",
        str(project),
        "--require-signed",
        "--select",
        "HG620,HG621,HG622",
        "--insecure-registry",
        registry.host,
        "--format",
        "json",
        "--trusted-root",
        str(root),
        "--certificate-oidc-issuer",
        ISSUER,
    ]
    runner = CliRunner()

    def findings(*identity: str) -> list[tuple[str, str, str]]:
        result = runner.invoke(cli, [*base, *identity])
        assert result.exit_code in (0, 1), result.output
        report = json.loads(result.output)
        return [(f["rule_id"], f["resource"], f["message"]) for f in report["findings"]]

    exact = findings("--certificate-identity", IDENTITY)
    assert [(rule, resource) for rule, resource, _ in exact] == [("HG621", "services.other")]
    assert "identity mismatch: signed by intruder@example.test" in exact[0][2]
    pattern = findings("--certificate-identity-regexp", r"^intruder@")
    assert [(rule, resource) for rule, resource, _ in pattern] == [("HG621", "services.signed")]
    assert f"identity mismatch: signed by {IDENTITY}" in pattern[0][2]
    both = findings("--certificate-identity-regexp", r"@example\.test$")
    assert both == []
