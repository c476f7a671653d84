"""Keyless settings in `[signatures]` and on the command line: parsed, checked together, and
bad combinations refused with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hullguard.cli import SigningArgs, _run_config, cli
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


def _root(tmp_path: Path) -> str:
    root = tmp_path / "root.json"
    root.write_text(json.dumps(LocalSigstore().trusted_root()))
    return str(root)


@pytest.mark.parametrize("command", ["scan", "host"])
@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (["--certificate-identity", IDENTITY], "needs the OIDC issuer"),
        (
            ["--certificate-oidc-issuer", ISSUER],
            "needs one of certificate-identity and certificate-identity-regexp",
        ),
        (
            [
                "--certificate-oidc-issuer",
                ISSUER,
                "--certificate-identity",
                IDENTITY,
                "--certificate-identity-regexp",
                ".*",
            ],
            "needs one of certificate-identity and certificate-identity-regexp",
        ),
        (
            ["--certificate-oidc-issuer", ISSUER, "--certificate-identity-regexp", "(x"],
            "certificate-identity-regexp `(x` is not a regular expression",
        ),
    ],
)
def test_scan_and_host_refuse_keyless_options_that_do_not_hold_together(
    tmp_path: Path, command: str, options: list[str], reason: str
) -> None:
    target = ["scan", str(tmp_path)] if command == "scan" else ["host", "--no-daemon"]
    result = CliRunner().invoke(
        cli, [*target, "--require-signed", "--trusted-root", _root(tmp_path), *options]
    )
    assert result.exit_code == 2, result.output
    assert "signatures: " in result.output
    assert reason in result.output


@pytest.mark.parametrize("command", ["scan", "host"])
def test_an_identity_without_a_trusted_root_is_a_usage_error(tmp_path: Path, command: str) -> None:
    target = ["scan", str(tmp_path)] if command == "scan" else ["host", "--no-daemon"]
    result = CliRunner().invoke(
        cli, [*target, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER]
    )
    assert result.exit_code == 2, result.output
    assert "a certificate identity or OIDC issuer needs a trusted root" in result.output


def test_a_trusted_root_given_on_the_command_line_is_read(tmp_path: Path) -> None:
    keyless = ["--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER]
    missing = CliRunner().invoke(
        cli,
        [
            "scan",
            str(tmp_path),
            "--require-signed",
            "--trusted-root",
            str(tmp_path / "absent.json"),
            *keyless,
        ],
    )
    assert missing.exit_code == 2, missing.output
    assert "absent.json" in missing.output
    assert "No such file" in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    unusable = CliRunner().invoke(
        cli, ["host", "--no-daemon", "--require-signed", "--trusted-root", str(bad), *keyless]
    )
    assert unusable.exit_code == 2, unusable.output
    assert "not a Sigstore trusted root" in unusable.output


def test_command_line_keyless_options_replace_the_configured_ones(tmp_path: Path) -> None:
    (tmp_path / ".hullguard.toml").write_text(
        '[signatures]\ntrusted-root = "root.json"\n'
        'certificate-identity-regexp = "^nobody@"\n'
        f'certificate-oidc-issuer = "{ISSUER}"\n'
    )
    _root(tmp_path)
    config = _run_config(
        str(tmp_path / ".hullguard.toml"),
        tmp_path,
        fail_on=None,
        profile=None,
        select=(),
        ignore=(),
        signing=SigningArgs(
            require_signed=True,
            certificate_identity=IDENTITY,
            certificate_oidc_issuer="https://other.example.test",
        ),
    )
    assert config.signatures == SignaturePolicy(
        require=True,
        trusted_root=str(tmp_path / "root.json"),
        certificate_identity=IDENTITY,
        certificate_oidc_issuer="https://other.example.test",
    )
    unchanged = _run_config(
        str(tmp_path / ".hullguard.toml"),
        tmp_path,
        fail_on=None,
        profile=None,
        select=(),
        ignore=(),
    )
    assert unchanged.signatures.certificate_identity_regexp == "^nobody@"
    assert unchanged.signatures.certificate_identity is None
