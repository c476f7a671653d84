"""Runs one rule over one fixture file, the way the engine would, and reads the fixture's markers.

Fixture conventions (tests/rules/fixtures/<RULE>/):
- `bad_*` files must make the rule fire; `good_*` files must not.
- A comment line `# expect: HG402` (several ids may be given, comma-separated) says that the rule
  fires on the next line that is not a comment or blank. Every finding of the fixture's rule must
  be expected, and every expectation met.
- An optional comment line `# options: {"json": "object"}` gives the rule options for this file;
  `# build-arg: NAME=VALUE` passes a build argument.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullguard.config import Config
from hullguard.engine import ScanRequest, scan
from hullguard.model import Finding, TargetStatus
from hullguard.registry import Rule, get_rule

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"^\s*(?:#|//)\s*expect:\s*(.+?)\s*$")  # `//` in Jenkinsfiles
_OPTIONS = re.compile(r"^\s*#\s*options:\s*(\{.*\})\s*$")
_BUILD_ARG = re.compile(r"^\s*#\s*build-arg:\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


@dataclass
class Fixture:
    path: Path
    rule: Rule
    expected: set[tuple[str, int]] = field(default_factory=set)
    options: dict[str, Any] = field(default_factory=dict)
    build_args: dict[str, str] = field(default_factory=dict)

    @property
    def must_fire(self) -> bool:
        return self.path.name.startswith("bad_")


def load_fixture(path: Path) -> Fixture:
    rule = get_rule(path.parent.name)
    assert rule is not None, f"{path}: no rule {path.parent.name}"
    fixture = Fixture(path=path, rule=rule)
    lines = path.read_text(encoding="utf-8").splitlines()
    pending: list[str] = []
    for number, line in enumerate(lines, start=1):
        if m := _EXPECT.match(line):
            pending.extend(x.strip().upper() for x in m.group(1).split(","))
            continue
        if m := _OPTIONS.match(line):
            fixture.options.update(json.loads(m.group(1)))
            continue
        if m := _BUILD_ARG.match(line):
            fixture.build_args[m.group(1)] = m.group(2)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        for rule_id in pending:
            fixture.expected.add((rule_id, number))
        pending = []
    return fixture


def run_fixture(fixture: Fixture) -> list[Finding]:
    """The findings of the fixture's own rule on its file, through the engine and the real
    source for the file's kind (by its name: `*.Dockerfile`, `*.compose.yaml`, Kubernetes
    `*.yaml`, `*.sh`; `*.github.yml` and `*.gitlab-ci.yml` are scanned as a
    copy at `.github/workflows/ci.yml` or `.gitlab-ci.yml`)."""
    rule = fixture.rule
    config = Config(
        select=(rule.id,),
        rule_options={rule.id: fixture.options},
        build_args=fixture.build_args,
        fail_on=None,
    )
    name = fixture.path.name
    ci_path = (
        ".github/workflows/ci.yml"
        if name.endswith(".github.yml")
        else ".gitlab-ci.yml"
        if name.endswith(".gitlab-ci.yml")
        else None
    )
    if ci_path is not None:  # CI files are recognised by their path: scan a copy placed there
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / ci_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fixture.path, target)
            report = scan(ScanRequest(paths=(folder,), config=config))
    else:
        report = scan(ScanRequest(paths=(str(fixture.path),), config=config))
    assert [t.status for t in report.targets] == [TargetStatus.OK], report.targets
    return [f for f in report.findings if f.rule_id == rule.id]


def matches_expectation(finding: Finding, expected: dict[str, Any]) -> bool:
    """A finding against one `expect` entry of a TOML fixture: each key given must agree
    (`path`, `line`, `logical`, `severity`; `message` is a fragment)."""
    location = finding.location
    checks = {
        "path": location.path,
        "line": location.line,
        "logical": location.logical,
        "severity": finding.severity.value,
    }
    if "message" in expected and expected["message"] not in finding.message:
        return False
    return all(checks[k] == v for k, v in expected.items() if k in checks)


def check_expectations(
    path: Path, rule_id: str, findings: list[Finding], expected: list[dict[str, Any]]
) -> None:
    """A good_ fixture gives no finding; a bad_ one exactly the expected ones."""
    if path.name.startswith("good_"):
        assert not findings, [f"{f.location}: {f.message}" for f in findings]
        return
    assert findings, f"{rule_id} did not fire on {path.name}"
    unmatched = [f for f in findings if not any(matches_expectation(f, e) for e in expected)]
    missing = [e for e in expected if not any(matches_expectation(f, e) for f in findings)]
    assert not unmatched, [f"unexpected: {f.location}: {f.message}" for f in unmatched]
    assert not missing, f"expected but not found: {missing}"
    assert len(findings) == len(expected), [f"{f.location}: {f.message}" for f in findings]
