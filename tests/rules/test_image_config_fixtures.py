"""Image rules against built images' configurations: `*.imageconfig.json` fixtures.

A fixture (tests/rules/fixtures/<RULE>/bad_*.imageconfig.json, good_*.imageconfig.json) is an
image configuration as a registry or `docker save` serves it (`config`, `history`, ...), plus an
`expect` key: the logical locations (`image/fixture:Config.Env[1]`, `image/fixture:history[3]`)
where the fixture's rule fires, each exactly once. A `good_` fixture expects nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hullguard.image.config import image_spec_from_config
from hullguard.model import Finding
from hullguard.registry import IMAGE, Context, Rule, get_rule, run_rule
from hullguard.secrets import find_secrets
from hullguard.sources.dockerfile import parse_dockerfile
from hullguard.spec import ImageSpec, image_spec_from_dockerfile
from tests.rules.harness import FIXTURES

CASES = sorted(FIXTURES.glob("*/*.imageconfig.json"))
REF = "fixture"


def spec_of(doc: Mapping[str, Any]) -> ImageSpec:
    config = doc.get("config")
    history = doc.get("history")
    return image_spec_from_config(
        config if isinstance(config, Mapping) else {},
        REF,
        history if isinstance(history, list) else [],
    )


def findings_of(rule: Rule, spec: ImageSpec) -> list[Finding]:
    ctx = Context(rule, target_kind=IMAGE, path=f"image/{REF}", options=rule.options)
    return list(run_rule(rule, spec, ctx))


def run_fixture(path: Path) -> tuple[list[Finding], dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    rule = get_rule(path.parent.name)
    assert rule is not None, path
    assert IMAGE in rule.targets, f"{rule.id} is not an image rule"
    return findings_of(rule, spec_of(doc)), doc


def test_there_are_fixtures() -> None:
    names = [p.name for p in CASES]
    assert any(n.startswith("bad_") for n in names)
    assert any(n.startswith("good_") for n in names)


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_image_config_fixture(path: Path) -> None:
    findings, doc = run_fixture(path)
    got = sorted(str(f.location.logical) for f in findings)
    expected = sorted(doc.get("expect", []))
    if path.name.startswith("good_"):
        assert not expected, f"{path.name}: a good_ fixture expects nothing"
        assert not findings, [f"{f.location.logical}: {f.message}" for f in findings]
        return
    assert expected, f"{path.name}: a bad_ fixture needs `expect`"
    assert got == expected, [f"{f.location.logical}: {f.message}" for f in findings]


def _texts(doc: Mapping[str, Any]) -> list[str]:
    config = doc.get("config", {})
    texts = [str(e) for e in config.get("Env", [])]
    texts += [str(v) for v in config.get("Labels", {}).values()]
    texts += [str(h.get("created_by", "")) for h in doc.get("history", [])]
    return texts


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_secret_in_messages(path: Path) -> None:
    findings, doc = run_fixture(path)
    secrets = {s.secret for text in _texts(doc) for s in find_secrets(text)}
    secrets |= {"changeme", "hunter2"}  # literal values of secret names in the fixtures
    for finding in findings:
        assert not any(s in finding.message for s in secrets), finding.message
        assert "sha256:" in finding.message, finding.message


def test_history_and_origin_are_filled_from_the_config() -> None:
    spec = image_spec_from_config(
        {"User": "app"},
        "x",
        [{"created_by": "ADD rootfs.tar /"}, {"empty_layer": True}, {"created_by": "USER app"}],
    )
    assert spec.origin == "image"
    assert [(h.value, h.location.logical) for h in spec.history] == [
        ("ADD rootfs.tar /", "image/x:history[0]"),
        ("USER app", "image/x:history[2]"),
    ]


def test_hg423_leaves_dockerfiles_to_hg420() -> None:
    dockerfile = parse_dockerfile(
        "FROM alpine:3.20\nENV DB_PASSWORD=changeme\nENV AWS_ACCESS_KEY_ID=AKIAZDOC9IS0J8HT9LGM\n",
        "Dockerfile",
    )
    spec = image_spec_from_dockerfile(dockerfile)
    assert spec is not None and spec.origin == "dockerfile" and not spec.history
    rule = get_rule("HG423")
    assert rule is not None
    assert findings_of(rule, spec) == []


def test_hg423_severity_and_repeated_history() -> None:
    findings, _ = run_fixture(FIXTURES / "HG423" / "bad_history.imageconfig.json")
    by_place = {f.location.logical: f for f in findings}
    npm = by_place["image/fixture:history[3]"]
    assert npm.severity.value == "critical"
    assert "and 1 later entry" in npm.message and "`RUN`" in npm.message
    assert "build argument `DB_PASSWORD`" in by_place["image/fixture:history[5]"].message
    assert by_place["image/fixture:history[5]"].severity.value == "high"
