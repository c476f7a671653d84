"""Keyless settings in `[signatures]` and on the command line: parsed, checked together, and
bad combinations refused with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hullguard.cli import cli
from hullguard.config import Config, ConfigError, SignaturePolicy, config_from_mapping
from hullguard.engine import Unit, judge
from hullguard.model import Located, Location
from hullguard.registry import CONTAINER
from hullguard.spec import ContainerSpec
from tests.signing.sigstore import IDENTITY, ISSUER, LocalSigstore

DIGEST = "sha256:" + "a" * 64


def test_the_keyless_keys(tmp_path: Path) -> None:
    source = str(tmp_path / ".hullguard.toml")
    table = {
        "require": True,
        "trusted-root": "root.json",
        "certificate-identity-regexp": "^https://ci\\.example\\.test/",
        "certificate-oidc-issuer": ISSUER,
    }
    config = config_from_mapping({"signatures": table}, source)
    assert config.signatures == SignaturePolicy(
        require=True,
        trusted_root=str(tmp_path / "root.json"),
        certificate_identity_regexp="^https://ci\\.example\\.test/",
        certificate_oidc_issuer=ISSUER,
    )


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ({"trusted-root": "r.json", "certificate-identity": IDENTITY}, "needs the OIDC issuer"),
        ({"trusted-root": "r.json", "certificate-oidc-issuer": ISSUER}, "needs one of"),
        (
            {
                "trusted-root": "r.json",
                "certificate-oidc-issuer": ISSUER,
                "certificate-identity": IDENTITY,
                "certificate-identity-regexp": ".*",
            },
            "needs one of",
        ),
        ({"certificate-identity": IDENTITY}, "needs a trusted root"),
        (
            {
                "trusted-root": "r.json",
                "certificate-oidc-issuer": ISSUER,
                "certificate-identity-regexp": "(",
            },
            "is not a regular expression",
        ),
        ({"trusted-root": 3}, "must be a non-empty string"),
    ],
)
def test_bad_keyless_settings(tmp_path: Path, table: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        config_from_mapping({"signatures": table}, str(tmp_path / ".hullguard.toml"))


def _unit(image: str) -> Unit:
    where = Location(logical="containers/web/Config.Image")
    spec = ContainerSpec(
        kind="live",
        name="container `web`",
        resource="containers/web",
        anchor=where,
        image=Located(image, where),
    )
    return Unit("container", "containers/web", [(CONTAINER, spec)])


def test_an_unreadable_trusted_root_leaves_images_unverified(tmp_path: Path) -> None:
    policy = SignaturePolicy(
        require=True,
        trusted_root=str(tmp_path / "missing.json"),
        certificate_identity=IDENTITY,
        certificate_oidc_issuer=ISSUER,
    )
    config = Config(select=("HG622",), signatures=policy, fail_on=None)
    report = judge([_unit(f"registry.example.com/a@{DIGEST}")], config=config)
    assert [f.rule_id for f in report.findings] == ["HG622"]
    assert "trusted root" in report.findings[0].message
    assert "No such file" in report.findings[0].message


def test_the_commands_check_keyless_options(tmp_path: Path) -> None:
    root = tmp_path / "root.json"
    root.write_text(json.dumps(LocalSigstore().trusted_root()))
    runner = CliRunner()
    ref = "127.0.0.1:9/a/b@" + DIGEST
    no_trust = runner.invoke(cli, ["verify", ref])
    assert no_trust.exit_code == 2
    assert "give --key, or --trusted-root" in no_trust.output
    no_issuer = runner.invoke(
        cli, ["verify", ref, "--trusted-root", str(root), "--certificate-identity", IDENTITY]
    )
    assert no_issuer.exit_code == 2
    assert "needs the OIDC issuer" in no_issuer.output
    (tmp_path / ".hullguard.toml").write_text(
        '[signatures]\ntrusted-root = "nowhere.json"\n'
        f'certificate-identity = "{IDENTITY}"\ncertificate-oidc-issuer = "{ISSUER}"\n'
    )
    project = tmp_path / "project"
    project.mkdir()
    scan = runner.invoke(
        cli,
        [
            "scan",
            str(project),
            "--config",
            str(tmp_path / ".hullguard.toml"),
            "--require-signed",
        ],
    )
    assert scan.exit_code == 2
    assert "nowhere.json" in scan.output
    off_loopback = runner.invoke(
        cli, ["scan", str(project), "--insecure-registry", "registry.example.com:5000"]
    )
    assert off_loopback.exit_code == 2
    assert "allowed only to registries on loopback" in off_loopback.output
