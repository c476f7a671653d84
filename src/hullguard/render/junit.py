"""JUnit XML, the test report CI servers (GitLab, Jenkins, Azure DevOps...) show as test results.

One `<testsuite>` per target; in it one `<testcase>` per rule that ran on that target:

- a `<failure>` when the rule found something there (`message` counts the findings and quotes the
  first, `type` is the worst severity, the text lists every finding with its place and the fix);
- an `<error>` when the rule crashed on that target;
- nothing (a pass) when the rule ran and found nothing, so dashboards show what passed.

The report does not record which rules ran, so the caller passes them (`rules_run`: the rules
the run selected); without them every registered rule counts as run. A rule runs on a target
when it judges one of the models that kind of target yields (`MODELS`: a Dockerfile yields its
instructions and an image spec; a Compose file, containers; a Kubernetes manifest, containers
and workloads...). An unreadable target is one `<error>` test case, a skipped one a
`<skipped>` test case; the run's other errors (unparsable lines, bad suppressions) are `<error>`
test cases of their file's suite, or of a suite `hullguard` when they name no target.

GitLab keys a test case by `classname` and `name` and shows `classname` as the suite, so
`classname` is the target's name and `name` the rule's id and name (unique within a target).
Durations are not measured: `time` is 0. Characters XML 1.0 cannot carry (control characters a
scanned file may hold) are written as `\\xNN`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

from hullguard.model import ErrorEntry, ErrorKind, Finding, Location, Report, TargetStatus
from hullguard.registry import (
    CONTAINER,
    DOCKERFILE,
    HOST,
    IMAGE,
    IMAGE_FILES,
    PIPELINE,
    VULNERABILITIES,
    WORKLOAD,
    Rule,
    all_rules,
)
from hullguard.render.grouping import TargetIndex, TargetKey

# The models each kind of target yields to the rules (engine, host and image units).
MODELS: dict[str, frozenset[str]] = {
    "dockerfile": frozenset({DOCKERFILE, IMAGE}),
    "compose": frozenset({CONTAINER}),
    "kubernetes": frozenset({CONTAINER, WORKLOAD}),
    "script": frozenset({CONTAINER}),
    "ci": frozenset({CONTAINER, PIPELINE}),
    "container": frozenset({CONTAINER}),
    "host": frozenset({HOST, VULNERABILITIES}),
    "image": frozenset({IMAGE, IMAGE_FILES, VULNERABILITIES}),
    "lockfile": frozenset({VULNERABILITIES}),
}

RUN_SUITE = "hullguard"
MAX_FAILURE_MESSAGE = 300

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_junit(report: Report, *, rules_run: Sequence[Rule] | None = None) -> str:
    root = junit_tree(report, rules_run=rules_run)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_tree(report: Report, *, rules_run: Sequence[Rule] | None = None) -> ET.Element:
    """The `<testsuites>` element; `rules_run` defaults to every registered rule."""
    rules = list(all_rules() if rules_run is None else rules_run)
    index = TargetIndex(report.targets)
    statuses: dict[TargetKey, tuple[TargetStatus, str | None]] = {}
    order: list[TargetKey] = []
    for target in report.targets:
        key = TargetKey(target.kind, target.path)
        if key not in statuses:
            statuses[key] = (target.status, target.note)
            order.append(key)
    findings: dict[TargetKey, dict[str, list[Finding]]] = {}
    for finding in report.findings:
        key = index.target_of(finding)
        if key not in statuses and key not in findings:
            order.append(key)
        findings.setdefault(key, {}).setdefault(finding.rule_id, []).append(finding)
    errors, loose = _errors_by_target(report.errors, order)

    root = ET.Element("testsuites", name="hullguard")
    for key in order:
        status, note = statuses.get(key, (TargetStatus.OK, None))
        suite = _suite(key, status, note, rules, findings.get(key, {}), errors.get(key, []))
        root.append(suite)
    if loose:
        suite = ET.SubElement(root, "testsuite", name=RUN_SUITE)
        for case in _error_cases(RUN_SUITE, loose, set()):
            suite.append(case)
        _count(suite)
    _count(root, children=list(root))
    return root


def _errors_by_target(
    errors: Iterable[ErrorEntry], order: list[TargetKey]
) -> tuple[dict[TargetKey, list[ErrorEntry]], list[ErrorEntry]]:
    by_path: dict[str, TargetKey] = {}
    for key in order:
        by_path.setdefault(key.name, key)
    grouped: dict[TargetKey, list[ErrorEntry]] = {}
    loose: list[ErrorEntry] = []
    for error in errors:
        found = by_path.get(error.path) if error.path else None
        if found is None:
            loose.append(error)
        else:
            grouped.setdefault(found, []).append(error)
    return grouped, loose


def _suite(
    key: TargetKey,
    status: TargetStatus,
    note: str | None,
    rules: list[Rule],
    findings: dict[str, list[Finding]],
    errors: list[ErrorEntry],
) -> ET.Element:
    suite = ET.Element("testsuite", name=_xml(f"{key.kind}: {key.name}"))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("target.kind", key.kind), ("target.path", key.name)):
        ET.SubElement(properties, "property", name=name, value=_xml(value))
    ET.SubElement(properties, "property", name="target.status", value=status.value)
    classname = _xml(key.name)
    used: set[str] = set()
    if status is TargetStatus.ERROR:
        case = _case(classname, "read", used)
        ET.SubElement(case, "error", message=_xml(note or "unreadable"), type="read")
        suite.append(case)
    elif status is TargetStatus.SKIPPED:
        case = _case(classname, "scan", used)
        ET.SubElement(case, "skipped", message=_xml(note or "skipped"))
        suite.append(case)
    crashed = {e.rule_id: e for e in errors if e.kind is ErrorKind.RULE_CRASH and e.rule_id}
    names = {r.id: r.name for r in rules}
    models = MODELS.get(key.kind, frozenset())
    ran = {r.id for r in rules if r.targets & models} if status is TargetStatus.OK else set()
    for rule_id in sorted(ran | set(findings) | set(crashed)):
        found = findings.get(rule_id, [])
        name = names.get(rule_id) or (found[0].rule_name if found else "")
        case = _case(classname, f"{rule_id} {name}".strip(), used)
        if found:
            case.append(_failure(found))
        if rule_id in crashed:
            error = crashed[rule_id]
            ET.SubElement(case, "error", message=_xml(_short(error.message)), type="rule-crash")
        suite.append(case)
    others = [
        e
        for e in errors
        if not (e.kind is ErrorKind.RULE_CRASH and e.rule_id)
        and not (status is TargetStatus.ERROR and _restates(e, note))
    ]
    for case in _error_cases(classname, others, used):
        suite.append(case)
    _count(suite)
    return suite


def _restates(error: ErrorEntry, note: str | None) -> bool:
    """Whether a read error says no more than the unreadable target's own `read` test case."""
    if error.kind is not ErrorKind.READ or not note:
        return False
    return error.message in (note, f"cannot read: {note}")


def _case(classname: str, name: str, used: set[str]) -> ET.Element:
    """A test case whose name is unique within its suite (GitLab drops repeated names)."""
    unique, number = _xml(name), 2
    while unique in used:
        unique, number = f"{_xml(name)} ({number})", number + 1
    used.add(unique)
    return ET.Element("testcase", name=unique, classname=classname, time="0")


def _failure(findings: list[Finding]) -> ET.Element:
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    count = len(findings)
    first = findings[0].message
    message = f"{count} finding{'' if count == 1 else 's'}: {first}"
    failure = ET.Element("failure", message=_xml(_short(message)), type=worst.value)
    lines = []
    for finding in sorted(findings, key=_place):
        lines.append(f"{finding.severity.value} {_where(finding.location)}: {finding.message}")
        if finding.snippet is not None and finding.location.line is not None:
            lines.append(f"    {finding.location.line} | {finding.snippet}")
    fixes = sorted({f.fix for f in findings if f.fix})
    lines.extend(f"fix: {fix}" for fix in fixes)
    references = findings[0].references
    if references:
        lines.append("references: " + ", ".join(references))
    failure.text = _xml("\n".join(lines))
    return failure


def _error_cases(
    classname: str, errors: Iterable[ErrorEntry], used: set[str]
) -> Iterable[ET.Element]:
    for error in errors:
        where = _where(Location(path=error.path, line=error.line, column=error.column))
        label = error.kind.value + (f" {error.rule_id}" if error.rule_id else "")
        case = _case(classname, f"{label} error at {where}", used)
        kind = "warning" if error.kind is ErrorKind.SUPPRESSION else error.kind.value
        element = ET.SubElement(case, "error", message=_xml(_short(error.message)), type=kind)
        element.text = _xml(f"{where}: {error.message}")
        yield case


def _count(suite: ET.Element, children: list[ET.Element] | None = None) -> None:
    """Set tests, failures, errors and skipped on a suite (or, from its suites, on the root)."""
    if children is not None:
        totals = {name: sum(int(c.get(name, "0")) for c in children) for name in _COUNTS}
    else:
        cases = suite.findall("testcase")
        totals = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
    # The root takes no `skipped` (Jenkins' JUnit schema has none there).
    for name in _COUNTS if children is None else _COUNTS[:-1]:
        suite.set(name, str(totals[name]))
    suite.set("time", "0")


_COUNTS = ("tests", "failures", "errors", "skipped")


def _place(finding: Finding) -> tuple[str, int, int, str, int]:
    location = finding.location
    return (
        location.path or location.logical or "",
        location.line or 0,
        location.column or 0,
        location.logical or "",
        -finding.severity.rank,
    )


def _where(location: Location) -> str:
    where = str(location)
    if location.path and location.logical:
        where += f" ({location.logical})"
    return where


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    if len(one_line) <= MAX_FAILURE_MESSAGE:
        return one_line
    return one_line[: MAX_FAILURE_MESSAGE - 3] + "..."


def _xml(text: str) -> str:
    """`text` with the characters XML 1.0 forbids written as `\\xNN` (or `\\uNNNN`)."""
    return _NOT_XML.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
