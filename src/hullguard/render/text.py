"""The human report: findings grouped by file, then the errors, then a six-pillar summary.

Only this module imports `rich`; `hullguard.render` imports it on demand.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from io import StringIO
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from hullguard.model import ErrorEntry, Finding, Location, Pillar, Report, Severity, TargetStatus
from hullguard.registry import Rule, get_rule

DEFAULT_WIDTH = 100
MIN_WIDTH = 40

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "blue",
}

_BADGE_WIDTH = max(len(s.value) for s in Severity)
_NOTE_LABEL_WIDTH = len("chain:")

RuleLookup = Callable[[str], Rule | None]


def render_text(
    report: Report,
    *,
    color: bool,
    width: int | None = None,
    rules: RuleLookup = get_rule,
) -> str:
    """Render for a terminal; with `color=False` the output holds no escape codes at all."""
    buffer = StringIO()
    console = Console(
        file=buffer,
        width=max(MIN_WIDTH, width or terminal_width()),
        color_system="standard" if color else None,
        force_terminal=color,
        force_jupyter=False,
        force_interactive=False,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    explained: set[str] = set()  # the "why" of a rule is shown at its first finding only
    objects = [name for t in report.targets for name in (t.path, f"{t.kind}/{t.path}")]
    for path, findings in group_by_file(report.findings, objects):
        console.print()
        console.print(Text(path, style="bold underline"))
        for finding in findings:
            block = _finding_block(
                finding, rules(finding.rule_id), finding.rule_id not in explained
            )
            explained.add(finding.rule_id)
            console.print(Padding(block, (0, 0, 0, 2)))
    if report.errors:
        console.print()
        console.print(Text(f"Errors ({len(report.errors)})", style="bold red"))
        console.print(Padding(_errors_table(report.errors), (0, 0, 0, 2)))
    if report.fleet:
        console.print()
        console.print(Text("Fleet", style="bold"))
        console.print(Padding(_fleet_table(report.fleet), (0, 0, 0, 2)))
    console.print()
    if not report.findings:
        console.print(Text("No findings.", style="bold green"))
    console.print(_pillar_table(report.findings))
    console.print(_total_line(report), soft_wrap=True)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def terminal_width() -> int:
    """The terminal's width when stdout is one, else DEFAULT_WIDTH."""
    stream = sys.stdout
    try:
        interactive = stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        return DEFAULT_WIDTH
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def group_by_file(
    findings: Iterable[Finding], objects: Iterable[str] = ()
) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by file in path order, each group in line order.

    Findings with no path (live targets) are grouped by the object part of their logical
    location (`container/web` of `container/web:HostConfig.Privileged`), after the files: the
    longest of `objects` (the targets' names) the logical location starts with, since a name may
    itself hold colons (`image/oci:/layouts/app:1.0:/etc/shadow`); else the part before the
    first colon.
    """
    known = sorted(set(objects), key=len, reverse=True)
    groups: dict[tuple[int, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault(_group_key(finding.location, known), []).append(finding)
    return [(key[1], sorted(groups[key], key=_finding_order)) for key in sorted(groups)]


def _group_key(location: Location, objects: list[str]) -> tuple[int, str]:
    if location.path:
        return (0, location.path)
    if location.logical:
        logical = location.logical
        for name in objects:
            if logical == name or logical.startswith(name + ":"):
                return (1, name)
        return (1, logical.split(":", 1)[0])
    return (2, "(no location)")


def _finding_order(finding: Finding) -> tuple[bool, int, int, int, str]:
    location = finding.location
    return (
        location.line is None,
        location.line or 0,
        location.column or 0,
        -finding.severity.rank,
        finding.rule_id,
    )


def severity_label(severity: Severity) -> Text:
    """The severity as a fixed-width badge, so that rule ids line up."""
    return Text(f" {severity.value.upper():<{_BADGE_WIDTH}} ", style=SEVERITY_STYLE[severity])


def _finding_block(finding: Finding, rule: Rule | None, explain: bool) -> RenderableType:
    location = finding.location
    where = str(location)
    if location.path and location.logical:
        where += f" ({location.logical})"
    header = Text.assemble(
        severity_label(finding.severity),
        " ",
        (finding.rule_id, "bold"),
        " ",
        finding.rule_name,
        "  ",
        (where, "magenta"),
    )
    parts: list[RenderableType] = [header, Padding(Text(finding.message), (0, 0, 0, 2))]
    if finding.snippet is not None and location.line is not None:
        parts.append(Padding(_snippet(location.line, finding.snippet), (0, 0, 0, 2)))
    notes = _notes(finding, rule if explain else None, rule)
    if notes.row_count:
        parts.append(Padding(notes, (0, 0, 0, 2)))
    return Group(*parts)


def _snippet(line: int, snippet: str) -> Table:
    """The offending line behind a line-number gutter; a long line wraps inside its own column."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True, style="dim")
    grid.add_column(overflow="fold")
    grid.add_row(f"{line} |", Text(snippet.expandtabs(4), style="bold"))
    return grid


def _notes(finding: Finding, explained_by: Rule | None, rule: Rule | None) -> Table:
    """The labelled lines under a finding: why it matters (from `explained_by`), how to fix it,
    the chain behind it."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="dim", min_width=_NOTE_LABEL_WIDTH)
    grid.add_column(overflow="fold")
    why = _first_paragraph(explained_by.section("Why is this bad?")) if explained_by else ""
    if why:
        grid.add_row("why:", Text(why))
    fix = finding.fix or (rule.fix if rule is not None else None)
    if fix:
        grid.add_row("fix:", Text(fix, style="green"))
    for number, link in enumerate(finding.chain):
        grid.add_row("chain:" if number == 0 else "", Text(link if number == 0 else f"-> {link}"))
    return grid


def _first_paragraph(section: str) -> str:
    paragraphs = [p for p in section.split("\n\n") if p.strip()]
    return " ".join(paragraphs[0].split()) if paragraphs else ""


def _errors_table(errors: Iterable[ErrorEntry]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="magenta")
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(overflow="fold")
    for error in errors:
        where = str(Location(path=error.path, line=error.line, column=error.column))
        kind = error.kind.value + (f" {error.rule_id}" if error.rule_id else "")
        grid.add_row(where, kind, Text(error.message))
    return grid


def _pillar_table(findings: Iterable[Finding]) -> Table:
    counts: Counter[int] = Counter()
    worst: dict[int, Severity] = {}
    for finding in findings:
        counts[finding.pillar] += 1
        if finding.pillar not in worst or worst[finding.pillar] < finding.severity:
            worst[finding.pillar] = finding.severity
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Pillar", justify="right")
    table.add_column("Title")
    table.add_column("Findings", justify="right")
    table.add_column("Worst")
    for pillar in Pillar:
        severity = worst.get(pillar.value)
        table.add_row(
            str(pillar.value),
            pillar.title,
            str(counts[pillar.value]),
            Text(severity.value, style=SEVERITY_STYLE[severity]) if severity else Text("-"),
        )
    return table


def _fleet_table(fleet: Mapping[str, Any]) -> Table:
    """A merged report's summary: findings by severity and pillar per report, host and image."""
    from hullguard.merge import fleet_rows

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("Name", overflow="fold")
    table.add_column("Findings", justify="right", no_wrap=True)
    table.add_column("/".join(s.value[0] for s in reversed(Severity)), no_wrap=True)
    table.add_column("Pillars 1-6", no_wrap=True)
    for kind, name, entry in fleet_rows(fleet):
        by_severity = entry.get("by_severity")
        by_pillar = entry.get("by_pillar")
        severities = by_severity if isinstance(by_severity, Mapping) else {}
        pillars = by_pillar if isinstance(by_pillar, Mapping) else {}
        table.add_row(
            kind,
            Text(name + (" (unreadable)" if entry.get("status") == "error" else "")),
            str(entry.get("findings", 0)),
            "/".join(str(severities.get(s.value, 0)) for s in reversed(Severity)),
            "/".join(str(pillars.get(str(p.value), 0)) for p in Pillar),
        )
    return table


def _total_line(report: Report) -> Text:
    by_severity = ", ".join(f"{n} {name}" for name, n in report.by_severity().items())
    findings = _plural(len(report.findings), "finding")
    statuses = Counter(t.status for t in report.targets)
    scanned = statuses[TargetStatus.OK]
    targets = f"{scanned} of {_plural(len(report.targets), 'target')} scanned"
    not_scanned = [
        f"{statuses[status]} {label}"
        for status, label in ((TargetStatus.ERROR, "unreadable"), (TargetStatus.SKIPPED, "skipped"))
        if statuses[status]
    ]
    if not_scanned:
        targets += f" ({', '.join(not_scanned)})"
    parts = [
        findings + (f" ({by_severity})" if by_severity else ""),
        f"{report.suppressed} suppressed",
        f"{report.baselined} baselined",
        _plural(len(report.errors), "error"),
        targets,
    ]
    return Text("Total: " + ", ".join(parts), style="bold")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
