"""The `[sandbox]` table becomes HG603's rule options."""

from __future__ import annotations

import pytest

from hullguard.config import DEFAULT_SANDBOX_RUNTIMES, ConfigError, config_from_mapping


def test_sandbox_table_maps_to_hg603_options() -> None:
    config = config_from_mapping(
        {
            "sandbox": {
                "runtimes": ["runsc", "kata-*"],
                "workloads": {
                    "images": ["registry.example.com/tenants/*"],
                    "services": "runner",
                    "namespaces": ["tenants"],
                    "labels": ["sandbox=required"],
                },
            }
        },
        "test.toml",
    )
    assert config.rule_options["HG603"] == {
        "runtimes": ["runsc", "kata-*"],
        "images": ["registry.example.com/tenants/*"],
        "services": ["runner"],
        "namespaces": ["tenants"],
        "labels": ["sandbox=required"],
    }


def test_runtimes_default_and_rule_table_merge() -> None:
    config = config_from_mapping(
        {
            "rules": {"hg603": {"services": ["old"], "extra": 1}},
            "sandbox": {"workloads": {"services": ["runner"]}},
        },
        "test.toml",
    )
    options = config.rule_options["HG603"]
    assert options["runtimes"] == list(DEFAULT_SANDBOX_RUNTIMES)
    assert options["services"] == ["runner"]
    assert options["extra"] == 1
    assert options["labels"] == []


def test_no_sandbox_table_no_options() -> None:
    assert "HG603" not in config_from_mapping({}, "test.toml").rule_options


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("runsc", "`sandbox` must be a table"),
        ({"runtime": ["runsc"]}, "unknown key(s) in `sandbox`: runtime"),
        ({"runtimes": [1]}, "`sandbox.runtimes` must be a list"),
        ({"workloads": ["a"]}, "`sandbox.workloads` must be a table"),
        ({"workloads": {"pods": ["a"]}}, "unknown selector(s) in `sandbox.workloads`: pods"),
        ({"workloads": {"labels": ["sandbox"]}}, "'sandbox' must be `key=value`"),
        ({"workloads": {"labels": ["=x"]}}, "'=x' must be `key=value`"),
        ({"workloads": {"images": [""]}}, "`sandbox.workloads.images` must be a list"),
    ],
)
def test_bad_sandbox_tables(table: object, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_mapping({"sandbox": table}, "test.toml")
    assert "test.toml" in str(error.value)
    assert message in str(error.value)
