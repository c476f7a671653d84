"""The generated documentation matches the code."""

from __future__ import annotations

import tomllib

from hullguard.docs import covering_rules, generate
from hullguard.registry import all_rules
from tests.conftest import REPO

DOCS = REPO / "docs"


def test_generated_docs_are_current() -> None:
    stale = []
    for path, text in generate(DOCS).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path.relative_to(REPO)))
    assert not stale, f"regenerate with `make docs`: {stale}"


def test_no_orphan_rule_pages() -> None:
    ids = {r.id for r in all_rules()}
    orphans = [p.name for p in (DOCS / "rules").glob("HG*.md") if p.stem not in ids]
    assert not orphans


def test_every_other_tool_rule_is_covered_or_explained() -> None:
    rules = all_rules()
    unexplained = []
    for table in sorted((DOCS / "parity").glob("*.toml")):
        data = tomllib.loads(table.read_text(encoding="utf-8"))
        for entry in data["rule"]:
            covered = covering_rules(rules, table.stem, entry["id"])
            if not covered and not entry.get("not_covered", "").strip():
                unexplained.append(f"{table.stem}:{entry['id']}")
    assert not unexplained, f"neither covered nor explained: {unexplained}"


def test_parity_tables_list_hadolint_and_checkov() -> None:
    names = {p.stem for p in (DOCS / "parity").glob("*.toml")}
    assert {"hadolint", "checkov"} <= names
