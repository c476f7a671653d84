"""Compose `profiles`: every service is judged and a gated one names its profiles in each
message; `--compose-profile` (or `compose-profiles` in the configuration) keeps only the
services `docker compose --profile NAME up` would start."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hullguard.cli import main
from hullguard.config import ConfigError, config_from_mapping
from hullguard.sources.compose import ComposeResult, load_compose

TreeWriter = Callable[[dict[str, str | bytes]], Path]

COMPOSE = """services:
  web:
    image: nginx:1.27
  shell:
    image: docker:27-cli
    profiles: [debug]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  tests:
    image: alpine:3.20
    privileged: true
    profiles: [test, ci]
"""


def load(root: Path, *names: str, profiles: tuple[str, ...] | None = None) -> ComposeResult:
    return load_compose(
        [root / n for n in names or ("compose.yaml",)],
        lambda p: os.path.relpath(p, root),
        profiles=profiles,
    )


def names(result: ComposeResult) -> list[str]:
    return [c.name for c in result.containers]


def test_every_service_is_judged_and_a_gated_one_names_its_profiles(tree: TreeWriter) -> None:
    result = load(tree({"compose.yaml": COMPOSE}))
    assert result.errors == ()
    assert names(result) == [
        "service `web`",
        "service `shell` (profile `debug`)",
        "service `tests` (profiles `test`, `ci`)",
    ]
    assert [c.resource for c in result.containers] == [
        "services.web",
        "services.shell",
        "services.tests",
    ]


@pytest.mark.parametrize(
    ("profiles", "expected"),
    [
        ((), ["web"]),
        (("debug",), ["web", "shell"]),
        (("ci",), ["web", "tests"]),
        (("debug", "test"), ["web", "shell", "tests"]),
        (("*",), ["web", "shell", "tests"]),
        (("other",), ["web"]),
    ],
)
def test_profiles_keep_what_docker_compose_up_starts(
    tree: TreeWriter, profiles: tuple[str, ...], expected: list[str]
) -> None:
    result = load(tree({"compose.yaml": COMPOSE}), profiles=profiles)
    assert [c.resource.removeprefix("services.") for c in result.containers] == expected


def test_profiles_merge_across_files_and_reset(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": COMPOSE,
            "more.yaml": "services:\n  web:\n    profiles: [prod]\n  shell:\n    profiles: [ops]\n",
            "reset.yaml": "services:\n  tests:\n    profiles: !reset []\n",
        }
    )
    merged = load(root, "compose.yaml", "more.yaml")
    assert names(merged) == [
        "service `web` (profile `prod`)",
        "service `shell` (profiles `debug`, `ops`)",
        "service `tests` (profiles `test`, `ci`)",
    ]
    assert names(load(root, "compose.yaml", "more.yaml", profiles=("ops",))) == [
        "service `shell` (profiles `debug`, `ops`)"
    ]
    assert names(load(root, "compose.yaml", "reset.yaml", profiles=())) == [
        "service `web`",
        "service `tests`",
    ]


def test_profiles_are_inherited_through_extends_and_interpolated(tree: TreeWriter) -> None:
    root = tree(
        {
            ".env": "TOOLS=tools\n",
            "compose.yaml": (
                "services:\n"
                "  base:\n"
                "    image: alpine:3.20\n"
                "    profiles: ['${TOOLS}']\n"
                "  debugger:\n"
                "    extends: base\n"
                "    cap_add: [SYS_PTRACE]\n"
            ),
        }
    )
    result = load(root)
    assert names(result) == [
        "service `base` (profile `tools`)",
        "service `debugger` (profile `tools`)",
    ]
    assert load(root, profiles=()).containers == ()


def test_profiles_of_the_wrong_type(tree: TreeWriter) -> None:
    result = load(
        tree({"compose.yaml": "services:\n  a:\n    image: a\n    profiles: debug\n"}),
        profiles=(),
    )
    assert [(e.path, e.line, e.message) for e in result.errors] == [
        ("compose.yaml", 4, "services.a.profiles must be a list, not a string")
    ]
    assert names(result) == ["service `a`"]


# --- the command line and the configuration ----------------------------------------------------


def scan_json(root: Path, *args: str) -> dict[str, object]:
    out = root / "report.json"
    code = main(["scan", str(root), "--format", "json", "--output", str(out), *args])
    assert code in (0, 1)
    data: dict[str, object] = json.loads(out.read_text())
    return data


def found(report: dict[str, object]) -> list[tuple[str, str, str]]:
    rows = report["findings"]
    assert isinstance(rows, list)
    return [(f["rule_id"], f["resource"], f["message"]) for f in rows]


def test_cli_names_the_profile_in_each_message(tree: TreeWriter) -> None:
    root = tree({"docker-compose.yml": COMPOSE})
    assert found(scan_json(root, "--select", "HG101,HG201")) == [
        (
            "HG101",
            "services.shell",
            "service `shell` (profile `debug`) mounts the Docker socket `/var/run/docker.sock`",
        ),
        (
            "HG201",
            "services.tests",
            "service `tests` (profiles `test`, `ci`) runs privileged: every capability, every "
            "host device, no seccomp, AppArmor or SELinux confinement",
        ),
    ]


def test_cli_compose_profile_keeps_the_services_it_starts(tree: TreeWriter) -> None:
    root = tree({"docker-compose.yml": COMPOSE})
    report = scan_json(root, "--select", "HG101,HG201", "--compose-profile", "debug")
    assert [(rule, resource) for rule, resource, _ in found(report)] == [
        ("HG101", "services.shell")
    ]
    report = scan_json(root, "--select", "HG101,HG201", "--compose-profile", "test,debug")
    assert [rule for rule, _, _ in found(report)] == ["HG101", "HG201"]
    report = scan_json(root, "--select", "HG101,HG201", "--compose-profile", "prod")
    assert found(report) == []


def test_configuration_compose_profiles(tree: TreeWriter) -> None:
    root = tree(
        {
            "docker-compose.yml": COMPOSE,
            ".hullguard.toml": 'compose-profiles = ["ci"]\nselect = ["HG101", "HG201"]\n',
        }
    )
    assert [rule for rule, _, _ in found(scan_json(root))] == ["HG201"]
    (root / ".hullguard.toml").write_text('compose-profiles = []\nselect = ["HG101", "HG201"]\n')
    assert found(scan_json(root)) == []  # as plain `docker compose up`: no profile enabled
    assert [rule for rule, _, _ in found(scan_json(root, "--compose-profile", "debug"))] == [
        "HG101"
    ]


def test_configuration_compose_profiles_must_be_names() -> None:
    assert config_from_mapping({}, "c.toml").compose_profiles is None
    assert config_from_mapping({"compose-profiles": "debug"}, "c.toml").compose_profiles == (
        "debug",
    )
    with pytest.raises(ConfigError, match="`compose-profiles` must be a list of strings"):
        config_from_mapping({"compose-profiles": [1]}, "c.toml")
    with pytest.raises(ConfigError, match="`compose-profiles` must be a list of profile names"):
        config_from_mapping({"compose-profiles": [" "]}, "c.toml")
