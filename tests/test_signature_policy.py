"""The signature policy offline: configuration, the CLI options and the engine's pass for live
containers (`judge`, as `hullguard host` uses it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hullguard.cli import cli
from hullguard.config import Config, ConfigError, SignaturePolicy, config_from_mapping
from hullguard.engine import Unit, judge
from hullguard.model import Located, Location
from hullguard.registry import CONTAINER
from hullguard.spec import ContainerSpec

DIGEST = "sha256:" + "a" * 64


def test_the_signatures_table(tmp_path: Path) -> None:
    source = str(tmp_path / ".hullguard.toml")
    config = config_from_mapping(
        {
            "signatures": {
                "require": True,
                "key": "cosign.pub",
                "insecure-registries": ["[::1]:5000"],
            }
        },
        source,
    )
    assert config.signatures == SignaturePolicy(True, str(tmp_path / "cosign.pub"), ("[::1]:5000",))
    assert config.options_for("HG621", {"require_signed": False})["require_signed"] is True
    assert "require_signed" not in config.options_for("HG410", {})
    for bad in (
        {"require": "yes"},
        {"key": 3},
        {"insecure-registries": ["registry.example.com:5000"]},
        {"verify": True},
    ):
        with pytest.raises(ConfigError, match="signatures"):
            config_from_mapping({"signatures": bad}, source)


def _unit(name: str, image: str) -> Unit:
    where = Location(logical=f"containers/{name}/Config.Image")
    spec = ContainerSpec(
        kind="live",
        name=f"container `{name}`",
        resource=f"containers/{name}",
        anchor=where,
        image=Located(image, where),
    )
    return Unit("container", f"containers/{name}", [(CONTAINER, spec)])


def test_live_containers_are_judged_offline_without_a_key() -> None:
    units = [_unit("web", f"registry.example.com/a@{DIGEST}"), _unit("db", "postgres:16")]
    config = Config(
        select=("HG620", "HG621", "HG622"), signatures=SignaturePolicy(require=True), fail_on=None
    )
    report = judge(units, config=config)
    found = sorted((f.rule_id, f.resource) for f in report.findings)
    assert found == [("HG620", "containers/db"), ("HG622", "containers/web")]
    assert "no public key" in next(f.message for f in report.findings if f.rule_id == "HG622")
    assert judge(units, config=Config(select=("HG62",))).findings == ()


def test_cli_options(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        f"services:\n  api:\n    image: registry.example.com/shop/api@{DIGEST}\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM registry.example.com/shop/base:1\n")
    runner = CliRunner()
    base = ["scan", str(tmp_path), "--select", "HG410,HG623", "--format", "json"]
    untrusted = runner.invoke(cli, [*base, "--require-signed"])
    assert untrusted.output.count('"rule_id": "HG623"') == 1, untrusted.output
    assert untrusted.output.count('"rule_id": "HG410"') == 1
    trusted = runner.invoke(
        cli, [*base, "--require-signed", "--trusted-registries", "registry.example.com/shop"]
    )
    assert '"rule_id"' not in trusted.output, trusted.output
    (tmp_path / "bad.pub").write_text("not a key")
    bad_key = runner.invoke(cli, [*base, "--require-signed", "--key", str(tmp_path / "bad.pub")])
    assert bad_key.exit_code == 2
    assert "Traceback" not in bad_key.output
