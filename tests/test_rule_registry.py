"""Meta-tests: every rule is documented, referenced and has fixtures that fire and stay silent."""

from __future__ import annotations

import pytest

from hullguard.registry import DOC_SECTIONS, Rule, all_rules, doc_sections
from tests.rules.harness import FIXTURES

RULES = all_rules()
KNOWN_SCHEMES = {"hadolint", "checkov", "trivy", "grype", "cis-docker", "dockle", "kics"}
KNOWN_SCHEMES |= {"pss", "cwe"}


def test_rules_are_discovered() -> None:
    assert len(RULES) >= 25
    assert len({r.name for r in RULES}) == len(RULES), "rule names must be unique"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_documentation(rule: Rule) -> None:
    sections = doc_sections(rule.doc)
    missing = [s for s in DOC_SECTIONS if not sections.get(s)]
    assert not missing, f"{rule.id} docstring lacks sections: {missing}"
    assert "```" in sections["Example"], f"{rule.id}: the Example section needs a code block"
    assert rule.summary, f"{rule.id}: empty summary"
    assert rule.fix.strip(), f"{rule.id}: no one-line fix"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_references(rule: Rule) -> None:
    assert rule.references, f"{rule.id} has no references to other tools or standards"
    schemes = {ref.split(":", 1)[0] for ref in rule.references}
    assert schemes <= KNOWN_SCHEMES, (
        f"{rule.id}: unknown reference schemes {schemes - KNOWN_SCHEMES}"
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_fixtures(rule: Rule) -> None:
    folder = FIXTURES / rule.id
    assert folder.is_dir(), f"{rule.id}: no fixture folder {folder}"
    names = [p.name for p in folder.iterdir()]
    assert any(n.startswith("bad_") for n in names), f"{rule.id}: no bad_ fixture (must fire)"
    assert any(n.startswith("good_") for n in names), f"{rule.id}: no good_ fixture (must not fire)"


def test_fixture_folders_name_real_rules() -> None:
    ids = {r.id for r in RULES}
    stray = [p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ids]
    assert not stray, f"fixture folders for unknown rules: {stray}"
