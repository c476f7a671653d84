"""SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure DevOps) ingest.

Choices a reader of the output may want to know:

- One run. `tool.driver.rules` holds only the rules that the run's results (or a crashed-rule
  notification) refer to, sorted by id; `ruleIndex` points into that list. Listing every rule
  the scan ran would multiply the size of a small report by the full documentation of ~100
  rules, and `hullguard rules --format json` already lists them all.
- `security-severity` (read by GitHub code scanning, which bands scores as critical > 9.0,
  high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9) is a fixed score per severity: critical 9.5,
  high 8.0, medium 5.5, low 3.0, info 1.0 (GitHub has no band below low, so info shows as low).
  It sits on the rule descriptor because that is where GitHub reads it; a finding whose
  severity differs from its rule's default carries its own `level` and `properties.severity`.
- `level`: critical and high are `error`, medium is `warning`, low and info are `note`.
- `precision` is `high` for every rule: rules match exact configuration, not heuristics, and
  declare no precision of their own yet.
- Relative paths are given against the uri base id `SRCROOT` (the directory the scan's relative
  paths start from, which the consumer supplies); absolute paths (host files) become `file:` URIs.
- Errors of the run (unparsable files, crashed rules, bad suppressions) are
  `invocations[0].toolExecutionNotifications`; `executionSuccessful` is false when any of them
  is at level `error`, that is when some part of the scan did not run.
- No `informationUri` or `helpUri`: the rule documentation travels inline in `help`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from hullguard.model import ErrorEntry, ErrorKind, Finding, Location, Pillar, Report, Severity
from hullguard.registry import Rule, doc_sections, get_rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
)
SRCROOT = "SRCROOT"
FINGERPRINT_KEY = "hullguard/v1"
PRECISION = "high"

SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

RuleLookup = Callable[[str], Rule | None]
JSONObject = dict[str, Any]

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:/")


def render_sarif(report: Report, *, rules: RuleLookup = get_rule) -> str:
    return json.dumps(sarif_log(report, rules=rules), indent=2) + "\n"


def sarif_log(report: Report, *, rules: RuleLookup = get_rule) -> JSONObject:
    """The SARIF log as plain data; `rules` looks rule metadata up by id (default: the registry)."""
    descriptors, index = _descriptors(report, rules)
    driver: JSONObject = {"name": "hullguard", "version": report.version, "rules": descriptors}
    run: JSONObject = {
        "tool": {"driver": driver},
        "invocations": [_invocation(report, index)],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The directory the relative paths start from."}}
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule_id]) for f in report.findings],
        "properties": {"suppressedCount": report.suppressed, "baselinedCount": report.baselined},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _descriptors(report: Report, rules: RuleLookup) -> tuple[list[JSONObject], dict[str, int]]:
    """Descriptors of the rules that results or notifications name, sorted by id; their indexes."""
    first_finding: dict[str, Finding | None] = {}
    for finding in report.findings:
        first_finding.setdefault(finding.rule_id, finding)
    for error in report.errors:
        if error.rule_id:
            first_finding.setdefault(error.rule_id, None)
    descriptors: list[JSONObject] = []
    index: dict[str, int] = {}
    for rule_id in sorted(first_finding):
        rule = rules(rule_id)
        if rule is not None:
            descriptor = _rule_descriptor(rule)
        else:
            descriptor = _unregistered_descriptor(rule_id, first_finding[rule_id])
        index[rule_id] = len(descriptors)
        descriptors.append(descriptor)
    return descriptors, index


def _rule_descriptor(rule: Rule) -> JSONObject:
    sections = doc_sections(rule.doc)
    summary = rule.summary or rule.name
    described = [
        _one_paragraph(sections[title])
        for title in ("What it does", "Why is this bad?")
        if sections.get(title)
    ]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": "\n\n".join(described) or summary},
        "help": _help(rule),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": _rule_properties(int(rule.pillar), rule.severity, rule.references),
    }


def _unregistered_descriptor(rule_id: str, finding: Finding | None) -> JSONObject:
    """A descriptor built from a finding alone, for a rule the registry does not know."""
    descriptor: JSONObject = {"id": rule_id}
    if finding is None:
        return descriptor
    descriptor["name"] = finding.rule_name
    descriptor["shortDescription"] = {"text": finding.rule_name}
    descriptor["defaultConfiguration"] = {"level": LEVEL[finding.severity]}
    descriptor["properties"] = _rule_properties(
        finding.pillar, finding.severity, finding.references
    )
    return descriptor


def _rule_properties(pillar: int, severity: Severity, references: Iterable[str]) -> JSONObject:
    tags = ["security", f"pillar-{pillar}"]
    if pillar in {p.value for p in Pillar}:
        tags.append(Pillar(pillar).title.lower().replace(" ", "-"))
    references = list(references)
    for reference in references:
        scheme, _, value = reference.partition(":")
        if scheme == "cwe" and value.isdigit():
            tags.append(f"external/cwe/cwe-{value}")
    return {
        "security-severity": SECURITY_SEVERITY[severity],
        "tags": tags,
        "precision": PRECISION,
        "pillar": pillar,
        "severity": severity.value,
        "references": references,
    }


def _help(rule: Rule) -> JSONObject:
    """The rule's documentation page, in plain text and in Markdown, sections a blank line apart."""
    sections = doc_sections(rule.doc)
    if not sections:
        body = rule.doc.strip() or rule.summary or rule.fix
        sections = {"": body} if body else {}
    markdown = [f"# {rule.id} {rule.name}"]
    text = [f"{rule.id} {rule.name}"]
    for title, body in sections.items():
        markdown.append(f"## {title}\n\n{body}" if title else body)
        text.append(f"{title}\n{body}" if title else body)
    if rule.references:
        markdown.append("## References\n\n" + "\n".join(f"- `{r}`" for r in rule.references))
        text.append("References\n" + "\n".join(f"- {r}" for r in rule.references))
    return {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)}


def _one_paragraph(section: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in section.split("\n\n") if p.strip())


def _result(finding: Finding, rule_index: int) -> JSONObject:
    result: JSONObject = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
    }
    result["locations"] = [_location(finding.location, snippet=finding.snippet)]
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    properties: JSONObject = {
        "pillar": finding.pillar,
        "severity": finding.severity.value,
        "targetKind": finding.target_kind,
    }
    if finding.resource:
        properties["resource"] = finding.resource
    if finding.fix:
        properties["fix"] = finding.fix
    if finding.chain:
        properties["chain"] = list(finding.chain)
    result["properties"] = properties
    return result


def _location(location: Location, *, snippet: str | None = None) -> JSONObject:
    """A SARIF location: physical when there is a path, logical when there is a logical path.

    GitHub code scanning refuses a whole log when one result lacks
    `physicalLocation.artifactLocation.uri`, so a live finding (a container, the daemon, an
    image: a logical location only) is anchored on the object it is about (`container/web` of
    `container/web:HostConfig.Privileged`), and a finding with no location at all on the
    scanned root (`.`), with its logical location kept beside."""
    sarif: JSONObject = {}
    if not location.path:
        anchor = location.logical.rsplit(":", 1)[0] if location.logical else "."
        sarif["physicalLocation"] = {"artifactLocation": artifact_location(anchor or ".")}
    else:
        physical: JSONObject = {"artifactLocation": artifact_location(location.path)}
        region = _region(location.line, location.column, location.end_line, location.end_column)
        if region is not None:
            physical["region"] = region
            if snippet is not None:
                physical["contextRegion"] = {
                    "startLine": region["startLine"],
                    "snippet": {"text": snippet},
                }
        sarif["physicalLocation"] = physical
    if location.logical:
        sarif["logicalLocations"] = [{"fullyQualifiedName": location.logical}]
    return sarif


def _region(
    line: int | None,
    column: int | None,
    end_line: int | None = None,
    end_column: int | None = None,
) -> JSONObject | None:
    """Only the parts that are known and valid (SARIF lines and columns are 1-based)."""
    if line is None or line < 1:
        return None
    region: JSONObject = {"startLine": line}
    if column is not None and column >= 1:
        region["startColumn"] = column
    if end_line is not None and end_line >= line:
        region["endLine"] = end_line
    if end_column is not None and end_column >= 1 and "startColumn" in region:
        region["endColumn"] = end_column
    return region


def artifact_location(path: str) -> JSONObject:
    """A relative path against SRCROOT, or an absolute `file:` URI; percent-encoded either way."""
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return {"uri": "file://" + quote(posix)}
    if _WINDOWS_DRIVE.match(posix):
        return {"uri": "file:///" + posix[:2] + quote(posix[2:])}
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix), "uriBaseId": SRCROOT}


def _invocation(report: Report, rule_index: dict[str, int]) -> JSONObject:
    notifications = [_notification(e, rule_index) for e in report.errors]
    invocation: JSONObject = {
        "executionSuccessful": all(n["level"] != "error" for n in notifications),
        "exitCode": report.exit_code(),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _notification(error: ErrorEntry, rule_index: dict[str, int]) -> JSONObject:
    level = "warning" if error.kind is ErrorKind.SUPPRESSION else "error"
    notification: JSONObject = {"level": level, "message": {"text": error.message}}
    if error.path:
        physical: JSONObject = {"artifactLocation": artifact_location(error.path)}
        region = _region(error.line, error.column)
        if region is not None:
            physical["region"] = region
        notification["locations"] = [{"physicalLocation": physical}]
    if error.rule_id and error.rule_id in rule_index:
        notification["associatedRule"] = {"id": error.rule_id, "index": rule_index[error.rule_id]}
    notification["properties"] = {"kind": error.kind.value}
    return notification
