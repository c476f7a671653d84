"""Every rule fixture: bad files fire exactly where marked, good files stay silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.harness import FIXTURES, load_fixture, run_fixture

FIXTURE_FILES = sorted(
    p
    for p in FIXTURES.glob("HG*/*")
    if p.name.startswith(("bad_", "good_"))
    and not p.name.endswith(
        (".hostroot.toml", ".host.toml", ".image.toml", ".imageconfig.json", ".vuln.toml")
    )
)  # host rule fixtures (TOML descriptions of a machine) have runners of their own


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    fixture = load_fixture(path)
    findings = run_fixture(fixture)
    got = {(f.rule_id, f.location.line) for f in findings}
    if fixture.must_fire:
        assert fixture.expected, (
            f"{path}: a bad_ fixture needs `# expect: {fixture.rule.id}` markers"
        )
        assert got == fixture.expected
    else:
        assert got == set(), f"{path}: rule fired on a good fixture: {sorted(got)}"
