"""Pod Security Standards conformance.

Kubernetes' own pod-security-admission fixtures (v1.25) evaluated with the rules of their level
give the expected verdict: a `fail` pod draws at least one finding, a `pass` pod none. Our own
fixtures under `pss_fixtures/` cover what the standard added after 1.25 (newer safe sysctls, the
appArmorProfile field, probe and lifecycle hosts, user-namespace relaxations, image volumes).
The Kubernetes rule fixtures under `fixtures/HG2xx|HG302` are also run here, marker by marker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullguard.model import Finding
from hullguard.registry import WORKLOAD, Context, Rule, all_rules
from hullguard.sources.kubernetes import load_kubernetes
from tests.rules.harness import FIXTURES, load_fixture

PSA_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "psa-v1.25"
OWN_FIXTURES = Path(__file__).parent / "pss_fixtures"

# Where the current standard deliberately gives another verdict than 1.25 did: since
# Kubernetes 1.35 a pod in its own user namespace (`hostUsers: false`) may unmask /proc at
# the baseline level; the restricted level still forbids it (HG247).
SUPERSEDED = {
    "baseline/v1.25/fail/procmount0.yaml": "procMount relaxed for hostUsers: false in 1.35",
    "baseline/v1.25/fail/procmount1.yaml": "procMount relaxed for hostUsers: false in 1.35",
}


def level_rules(level: str) -> list[Rule]:
    """The rules a PSS profile selects: baseline controls, plus restricted ones at restricted."""
    prefixes = ("pss:baseline/",) if level == "baseline" else ("pss:baseline/", "pss:restricted/")
    return [
        r
        for r in all_rules()
        if WORKLOAD in r.targets and any(ref.startswith(prefixes) for ref in r.references)
    ]


def evaluate(text: str, display: str, rules: list[Rule]) -> list[Finding]:
    result = load_kubernetes(text, display)
    assert result.errors == (), result.errors
    assert result.workloads, f"{display}: no workload"
    findings: list[Finding] = []
    for workload in result.workloads:
        for rule in rules:
            ctx = Context(rule, target_kind=WORKLOAD, path=display, options=dict(rule.options))
            findings.extend(rule.func(workload, ctx))
    return findings


def _psa_cases() -> list[dict[str, object]]:
    manifest = PSA_FIXTURES / "manifest.jsonl"
    if not manifest.is_file():
        return []
    return [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]


PSA_CASES = _psa_cases()


def test_psa_fixtures_present() -> None:
    if not PSA_CASES:
        pytest.skip(f"pod-security-admission fixtures not found at {PSA_FIXTURES}")
    on_disk = {
        p.relative_to(PSA_FIXTURES).as_posix() for p in PSA_FIXTURES.glob("*/v1.25/*/*.yaml")
    }
    assert on_disk == {str(c["path"]) for c in PSA_CASES}


@pytest.mark.parametrize("case", PSA_CASES, ids=lambda c: str(c["path"]))
def test_psa_fixture_verdict(case: dict[str, object]) -> None:
    path = str(case["path"])
    findings = evaluate((PSA_FIXTURES / path).read_text(), path, level_rules(str(case["level"])))
    shown = [(f.rule_id, f.message) for f in findings]
    must_fail = case["expect"] == "fail"
    if path in SUPERSEDED:
        must_fail = not must_fail
    if must_fail:
        assert findings, f"{path}: expected a violation of {case['control']}"
    else:
        assert not findings, f"{path}: expected no finding, got {shown}"


def test_superseded_fixtures_still_fail_restricted() -> None:
    if not PSA_CASES:
        pytest.skip(f"pod-security-admission fixtures not found at {PSA_FIXTURES}")
    for path in SUPERSEDED:
        findings = evaluate((PSA_FIXTURES / path).read_text(), path, level_rules("restricted"))
        assert "HG247" in {f.rule_id for f in findings}


OWN_CASES = sorted(OWN_FIXTURES.glob("*/*/*.yaml"))


@pytest.mark.parametrize("path", OWN_CASES, ids=lambda p: p.relative_to(OWN_FIXTURES).as_posix())
def test_own_fixture_verdict(path: Path) -> None:
    level, expect = path.parent.parent.name, path.parent.name
    findings = evaluate(path.read_text(), path.name, level_rules(level))
    if expect == "fail":
        assert findings, f"{path}: expected a violation at {level}"
    else:
        assert not findings, f"{path}: {[(f.rule_id, f.message) for f in findings]}"


def test_profiles_have_one_pss_id_per_rule() -> None:
    rules = level_rules("restricted")
    assert {r.id for r in level_rules("baseline")} == {
        "HG230", "HG231", "HG232", "HG233", "HG234", "HG235", "HG236", "HG237", "HG238",
        "HG239", "HG240", "HG302",
    }  # fmt: skip
    assert len(rules) == 19
    for rule in rules:
        assert len([r for r in rule.references if r.startswith("pss:")]) == 1, rule.id


K8S_RULE_FIXTURES = sorted(FIXTURES.glob("HG*/*.k8s.yaml"))


@pytest.mark.parametrize("path", K8S_RULE_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_kubernetes_rule_fixture(path: Path) -> None:
    fixture = load_fixture(path)
    findings = evaluate(path.read_text(), path.name, [fixture.rule])
    got = {(f.rule_id, f.location.line) for f in findings}
    if fixture.must_fire:
        assert fixture.expected and got == fixture.expected
    else:
        assert got == set()


def test_messages_name_the_container_and_value() -> None:
    path = FIXTURES / "HG233" / "bad_sys_admin.k8s.yaml"
    findings = evaluate(path.read_text(), path.name, level_rules("baseline"))
    assert [(f.rule_id, f.location.line, f.message, f.resource) for f in findings] == [
        (
            "HG233",
            14,
            "container `fuse` of Pod/fuse adds capability SYS_ADMIN, beyond the default set",
            "Pod/fuse/containers/fuse",
        ),
        (
            "HG233",
            16,
            "container `fuse` of Pod/fuse adds capability CAP_NET_RAW, beyond the default set",
            "Pod/fuse/containers/fuse",
        ),
    ]
