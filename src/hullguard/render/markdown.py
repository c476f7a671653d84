"""A Markdown summary fit for a pull-request or merge-request comment.

In order: a status line (passed or failed against the `--fail-on` threshold), the counts by
severity and by pillar, the most severe findings (at most `MAX_FINDINGS`, then "and N more"),
vulnerabilities grouped by package, and the run's errors. The whole stays under GitHub's
65,536-character comment limit (`LIMIT`): when it would not, fewer findings, packages and errors
are listed and the rest counted.

Text from scanned files (messages, paths, package names) is escaped so that it cannot start
Markdown or HTML of its own: every ASCII punctuation character that Markdown gives a meaning is
written with a backslash, and line breaks become spaces (a table cell is one line).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hullguard.model import ErrorEntry, Finding, Location, Pillar, Report, Severity, TargetStatus
from hullguard.render.grouping import vulnerable_packages

LIMIT = 65_536
MAX_FINDINGS = 50
MAX_PACKAGES = 30
MAX_ERRORS = 20
MAX_CELL = 300

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~&@:\"'=$^])")
_BREAKS = re.compile(r"[\r\n\t\v\f]+")

_SEVERITY_ICON = {
    Severity.CRITICAL: "🟥",
    Severity.HIGH: "🟧",
    Severity.MEDIUM: "🟨",
    Severity.LOW: "🟦",
    Severity.INFO: "⬜",
}


@dataclass(frozen=True)
class _Limits:
    findings: int
    packages: int
    errors: int


def render_markdown(report: Report, *, limit: int = LIMIT) -> str:
    """The summary; `limit` is the length it must stay within (GitHub's comment limit)."""
    limits = _Limits(MAX_FINDINGS, MAX_PACKAGES, MAX_ERRORS)
    text = _document(report, limits)
    while len(text) > limit and (limits.findings or limits.packages or limits.errors):
        limits = _Limits(limits.findings // 2, limits.packages // 2, limits.errors // 2)
        text = _document(report, limits)
    if len(text) > limit:
        cut = "\n\n*(truncated to fit a comment)*\n"
        text = text[: limit - len(cut)].rsplit("\n", 1)[0] + cut
    return text


def escape(text: str, *, max_length: int = MAX_CELL) -> str:
    """Untrusted text made literal in Markdown, on one line, at most `max_length` characters."""
    flat = _BREAKS.sub(" ", text)
    if len(flat) > max_length:
        flat = flat[: max_length - 1] + "…"
    return _SPECIAL.sub(r"\\\1", flat)


def _code(text: str) -> str:
    """An inline code span that holds `text` whatever backticks it contains."""
    flat = _BREAKS.sub(" ", text).replace("|", "\\|")
    if len(flat) > MAX_CELL:
        flat = flat[: MAX_CELL - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _document(report: Report, limits: _Limits) -> str:
    parts = [
        _status(report),
        _counts(report),
        _fleet(report.fleet, limits.packages),
        _findings(report.findings, limits.findings),
        _vulnerabilities(report.findings, limits.packages),
        _errors(report.errors, limits.errors),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _status(report: Report) -> str:
    total = len(report.findings)
    failing = len(report.failing())
    unreadable = len(report.unreadable_targets())
    scanned = sum(1 for t in report.targets if t.status is TargetStatus.OK)
    targets = f"{scanned} of {_plural(len(report.targets), 'target')} scanned"
    if report.fail_on is None:
        threshold = "no threshold (`--fail-on never`)"
    else:
        threshold = f"threshold **{report.fail_on.value}**"
    if failing or unreadable:
        verdict = "❌ **hullguard failed**"
        why = []
        if failing and report.fail_on is not None:
            why.append(f"{_plural(failing, 'finding')} at or above {report.fail_on.value}")
        if unreadable:
            why.append(f"{_plural(unreadable, 'target')} could not be read")
        reason = "; ".join(why)
    else:
        verdict = "✅ **hullguard passed**"
        reason = "nothing at or above the threshold" if total else "no findings"
    line = f"## {verdict}: {reason}"
    details = [
        _plural(total, "finding"),
        f"{report.suppressed} suppressed",
        f"{report.baselined} baselined",
        _plural(len(report.errors), "error"),
        targets,
        threshold,
        f"hullguard {escape(report.version)}",
    ]
    return line + "\n\n" + " · ".join(details)


def _counts(report: Report) -> str:
    if not report.findings:
        return ""
    by_severity = Counter(f.severity for f in report.findings)
    severities = list(reversed(Severity))
    header = "| pillar | " + " | ".join(s.value for s in severities) + " | total |"
    rule = "|---|" + "---:|" * (len(severities) + 1)
    cells: dict[int, Counter[Severity]] = {}
    for finding in report.findings:
        cells.setdefault(finding.pillar, Counter())[finding.severity] += 1
    rows = []
    pillars = [int(p) for p in Pillar] + sorted(set(cells) - {int(p) for p in Pillar})
    for number in pillars:
        counts = cells.get(number, Counter())
        title = Pillar(number).title if number in {int(p) for p in Pillar} else "other"
        row = " | ".join(str(counts[s]) if counts[s] else "·" for s in severities)
        rows.append(f"| {number} {title} | {row} | {sum(counts.values())} |")
    totals = " | ".join(f"**{by_severity[s]}**" for s in severities)
    rows.append(f"| **total** | {totals} | **{len(report.findings)}** |")
    return "\n".join(["### Findings by pillar and severity", "", header, rule, *rows])


def _fleet(fleet: Mapping[str, Any] | None, limit: int) -> str:
    """A merged report's summary per report, host and image (at most `limit` rows)."""
    if fleet is None:
        return ""
    from hullguard.merge import fleet_rows

    rows = fleet_rows(fleet)
    severities = list(reversed(Severity))
    lines = [
        f"### Fleet ({len(rows)})",
        "",
        "| kind | name | findings | " + " | ".join(s.value for s in severities) + " |",
        "|---|---|---:|" + "---:|" * len(severities),
    ]
    for kind, name, entry in rows[:limit]:
        by_severity = entry.get("by_severity")
        counts = by_severity if isinstance(by_severity, Mapping) else {}
        unreadable = " (unreadable)" if entry.get("status") == "error" else ""
        cells = " | ".join(str(counts.get(s.value, 0) or "·") for s in severities)
        findings = escape(str(entry.get("findings", 0)))
        lines.append(f"| {kind} | {_code(name)}{unreadable} | {findings} | {cells} |")
    if len(rows) > limit:
        lines += ["", f"…and {len(rows) - limit} more."]
    return "\n".join(lines)


def _findings(findings: Sequence[Finding], limit: int) -> str:
    if not findings:
        return ""
    ordered = sorted(findings, key=_importance)
    shown = ordered[:limit]
    lines = [
        f"### Top findings ({len(shown)} of {len(findings)})" if shown else "### Findings",
        "",
    ]
    if shown:
        lines += ["| severity | rule | location | message |", "|---|---|---|---|"]
        for finding in shown:
            icon = _SEVERITY_ICON[finding.severity]
            lines.append(
                f"| {icon} {finding.severity.value} "
                f"| {finding.rule_id} {escape(finding.rule_name)} "
                f"| {_code(_where(finding.location))} "
                f"| {escape(finding.message)} |"
            )
    rest = len(findings) - len(shown)
    if rest:
        lines += [
            "",
            f"…and {rest} more (see the full report: `--format html`, `json` or `sarif`).",
        ]
    return "\n".join(lines)


def _importance(finding: Finding) -> tuple[int, str, str, int]:
    location = finding.location
    return (
        -finding.severity.rank,
        finding.rule_id,
        location.path or location.logical or "",
        location.line or 0,
    )


def _where(location: Location) -> str:
    where = str(location)
    if location.path and location.logical:
        where += f" ({location.logical})"
    return where


def _vulnerabilities(findings: Sequence[Finding], limit: int) -> str:
    packages = vulnerable_packages(findings)
    if not packages:
        return ""
    lines = [
        f"### Vulnerable packages ({len(packages)})",
        "",
        "| package | installed | vulnerabilities | fixed in |",
        "|---|---|---|---|",
    ]
    for package in packages[:limit]:
        vulns = package.vulnerabilities
        listed = ", ".join(f"{escape(v.id)} ({v.severity.value})" for v in vulns[:10])
        if len(vulns) > 10:
            listed += f", and {len(vulns) - 10} more"
        fixed_cell = ", ".join(escape(f) for f in package.fixed_versions) or "no fix yet"
        if package.fixed_versions and package.unfixed:
            fixed_cell += f" ({package.unfixed} with no fix yet)"
        name = escape(package.name)
        if package.ecosystem:
            name += f" ({escape(package.ecosystem)})"
        installed = ", ".join(escape(v) for v in package.installed) or "?"
        lines.append(f"| {name} | {installed} | {listed} | {fixed_cell} |")
    if len(packages) > limit:
        lines += ["", f"…and {len(packages) - limit} more packages."]
    return "\n".join(lines)


def _errors(errors: Sequence[ErrorEntry], limit: int) -> str:
    if not errors:
        return ""
    lines = [f"### Errors ({len(errors)})", "", "| where | kind | message |", "|---|---|---|"]
    for error in errors[:limit]:
        where = str(Location(path=error.path, line=error.line, column=error.column))
        kind = error.kind.value + (f" {error.rule_id}" if error.rule_id else "")
        lines.append(f"| {_code(where)} | {kind} | {escape(error.message)} |")
    if len(errors) > limit:
        lines += ["", f"…and {len(errors) - limit} more errors."]
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
