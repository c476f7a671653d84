"""One self-contained HTML page: the report people open in a browser or attach to a CI job.

The page loads nothing: its stylesheet and script (`html_assets/`, package data) are inlined,
the chart is inline SVG, fonts are the system's. A Content-Security-Policy meta tag forbids
every source except that one style and that one script, allowed by their SHA-256 hashes, so a
`<script>` smuggled into the page by a scanned file would not run even if escaping failed.
Every text that comes from the report (messages, snippets, paths, package data) is escaped;
links are made only of `http:` and `https:` URLs.

Sections: the status, a six-pillar scorecard with a stacked bar chart (findings per pillar and
severity), counts by severity and by target, the findings table (filtered in the page by pillar,
severity, rule and file; each finding with its place, offending line, why it matters, fix,
references, chain and vulnerability data), vulnerable packages with their fixed versions, the
documentation of every rule that fired, the errors and the targets.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

from hullguard.model import ErrorEntry, Finding, Location, Pillar, Report, Severity, TargetStatus
from hullguard.registry import Rule, doc_sections, get_rule
from hullguard.render.grouping import TargetIndex, VulnerablePackage, vulnerable_packages

RuleLookup = Callable[[str], Rule | None]

SEVERITIES = tuple(reversed(Severity))  # critical first
_RULE_SECTIONS = ("What it does", "Why is this bad?", "Example", "How to fix")
_INLINE_CODE = re.compile(r"`([^`]+)`")
_PILLARS = frozenset(int(p) for p in Pillar)
_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def render_html(report: Report, *, rules: RuleLookup = get_rule) -> str:
    css, js = _asset("report.css"), _asset("report.js")
    csp = (
        "default-src 'none'; "
        f"style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    index = TargetIndex(report.targets)
    files_of = [_file_of(f, index) for f in report.findings]
    rule_info = _rules(report, rules)
    out: list[str] = [
        "<!DOCTYPE html>\n",
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="referrer" content="no-referrer">\n',
        f"<title>hullguard report: {_plural(len(report.findings), 'finding')}</title>\n",
        f"<style>{css}</style>\n</head>\n<body>\n",
    ]
    out.append(_header(report))
    out.append("<main>\n")
    out.append(_scorecard(report.findings))
    out.append(_summary(report, files_of))
    if report.fleet is not None:
        out.append(_fleet(report.fleet))
    out.append(_findings(report.findings, files_of, rule_info))
    out.append(_vulnerabilities(vulnerable_packages(report.findings)))
    out.append(_rule_docs(rule_info))
    out.append(_errors(report.errors))
    out.append(_targets(report))
    out.append("</main>\n")
    out.append(
        f"<footer>hullguard {_e(report.version)} · "
        f"{_plural(report.suppressed, 'finding')} suppressed, "
        f"{report.baselined} baselined</footer>\n"
    )
    out.append(f"<script>{js}</script>\n</body>\n</html>\n")
    return "".join(out)


@cache
def _asset(name: str) -> str:
    text = files("hullguard.render").joinpath("html_assets", name).read_text(encoding="utf-8")
    if "</" in text:  # would end the inline element early
        raise ValueError(f"html asset {name} must not contain '</'")
    return text


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _e(value: object) -> str:
    """Escaped for element content and quoted attribute values alike."""
    return escape(str(value), quote=True)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _file_of(finding: Finding, index: TargetIndex) -> str:
    """What the file filter calls a finding's place: its file, else its live target."""
    return finding.location.path or index.target_of(finding).name


def _header(report: Report) -> str:
    failing = len(report.failing())
    unreadable = len(report.unreadable_targets())
    if failing or unreadable:
        reasons = []
        if failing and report.fail_on is not None:
            reasons.append(f"{_plural(failing, 'finding')} at or above {report.fail_on.value}")
        if unreadable:
            reasons.append(f"{_plural(unreadable, 'target')} could not be read")
        status = f'<p class="status failed">Failed: {_e("; ".join(reasons))}</p>'
    else:
        threshold = report.fail_on.value if report.fail_on else "none"
        status = (
            f'<p class="status passed">Passed: nothing at or above the threshold '
            f"({_e(threshold)}); {_plural(len(report.findings), 'finding')} in all</p>"
        )
    scanned = sum(1 for t in report.targets if t.status is TargetStatus.OK)
    made = ""
    if report.origin:
        command, host = report.origin.get("command"), report.origin.get("host")
        made = (
            f'<p class="muted">made by <code>hullguard {_e(command or "?")}</code>'
            f"{' on ' + _e(host) if host else ''}</p>\n"
        )
    return (
        f"<header>\n<h1>hullguard report</h1>\n{made}"
        f'<p class="muted">{scanned} of {_plural(len(report.targets), "target")} scanned · '
        f"{_plural(len(report.findings), 'finding')} · {_plural(len(report.errors), 'error')} · "
        f"{report.suppressed} suppressed · {report.baselined} baselined</p>\n"
        f"{status}\n</header>\n"
    )


def _pillar_counts(findings: Iterable[Finding]) -> dict[int, Counter[Severity]]:
    counts: dict[int, Counter[Severity]] = {int(p): Counter() for p in Pillar}
    for finding in findings:
        counts.setdefault(finding.pillar, Counter())[finding.severity] += 1
    return counts


def _pillar_title(number: int) -> str:
    return Pillar(number).title if number in _PILLARS else "Other"


def _scorecard(findings: Sequence[Finding]) -> str:
    counts = _pillar_counts(findings)
    out = ['<section id="scorecard">\n<h2>Six pillars</h2>\n<div class="cards">\n']
    for number, by_severity in counts.items():
        total = sum(by_severity.values())
        worst = next((s.value for s in SEVERITIES if by_severity[s]), "none")
        items = "".join(
            f'<li><span class="sev sev-{s.value}">{by_severity[s]}</span> {s.value}</li>'
            for s in SEVERITIES
            if by_severity[s]
        )
        out.append(
            f'<a class="card worst-{worst}" href="#findings" data-pillar="{number}" '
            f'title="Show the findings of pillar {number}">'
            f"<h3>{number} {_e(_pillar_title(number))}</h3>"
            f'<div class="count">{total}</div>'
            f'<ul class="sevs">{items or "<li>no findings</li>"}</ul></a>\n'
        )
    out.append("</div>\n")
    out.append(_chart(counts))
    out.append("</section>\n")
    return "".join(out)


def _chart(counts: Mapping[int, Counter[Severity]]) -> str:
    """A stacked horizontal bar per pillar, one segment per severity, as inline SVG."""
    label_width, bar_width, row, top = 250, 520, 28, 10
    height = top + row * len(counts) + 36
    width = label_width + bar_width + 60
    largest = max((sum(c.values()) for c in counts.values()), default=0) or 1
    out = [
        f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="chart-title"><title id="chart-title">Findings per pillar and '
        f"severity</title>\n"
    ]
    for i, (number, by_severity) in enumerate(counts.items()):
        y = top + i * row
        out.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">'
            f"{number} {_e(_pillar_title(number))}</text>"
        )
        x = float(label_width)
        for severity in SEVERITIES:
            n = by_severity[severity]
            if not n:
                continue
            w = bar_width * n / largest
            out.append(
                f'<rect class="fill-{severity.value}" x="{x:.1f}" y="{y + 4}" '
                f'width="{w:.1f}" height="{row - 8}"><title>pillar {number}: {n} '
                f"{severity.value}</title></rect>"
            )
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 17}">{sum(by_severity.values())}</text>\n')
    axis_y = top + row * len(counts) + 2
    out.append(
        f'<line class="axis" x1="{label_width}" y1="{top}" x2="{label_width}" y2="{axis_y}"/>'
    )
    x = label_width
    for severity in SEVERITIES:
        out.append(
            f'<rect class="fill-{severity.value}" x="{x}" y="{axis_y + 10}" width="12" '
            f'height="12"/><text x="{x + 16}" y="{axis_y + 20}">{severity.value}</text>'
        )
        x += 90
    out.append("</svg></figure>\n")
    return "".join(out)


def _summary(report: Report, files_of: Sequence[str]) -> str:
    by_severity = Counter(f.severity for f in report.findings)
    severity_rows = "".join(
        f'<tr><td><span class="sev sev-{s.value}">{s.value}</span></td>'
        f'<td class="num">{by_severity[s]}</td></tr>'
        for s in SEVERITIES
    )
    per_target: dict[str, Counter[Severity]] = {}
    for finding, place in zip(report.findings, files_of, strict=True):
        per_target.setdefault(place, Counter())[finding.severity] += 1
    target_rows = []
    for place, counts in sorted(per_target.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        cells = "".join(f'<td class="num">{counts[s] or ""}</td>' for s in SEVERITIES)
        target_rows.append(
            f'<tr><td class="mono">{_e(place)}</td>{cells}'
            f'<td class="num">{sum(counts.values())}</td></tr>'
        )
    heads = "".join(f'<th class="num">{s.value}</th>' for s in SEVERITIES)
    by_target = (
        f'<div class="scroll"><table><thead><tr><th>target</th>{heads}'
        f'<th class="num">total</th></tr></thead><tbody>{"".join(target_rows)}</tbody>'
        "</table></div>"
        if target_rows
        else '<p class="empty">No findings.</p>'
    )
    targets_by_kind = Counter(t.kind for t in report.targets)
    findings_by_kind = Counter(f.target_kind for f in report.findings)
    kind_rows = "".join(
        f'<tr><td>{_e(kind)}</td><td class="num">{targets_by_kind[kind]}</td>'
        f'<td class="num">{findings_by_kind[kind]}</td></tr>'
        for kind in sorted(set(targets_by_kind) | set(findings_by_kind))
    )
    return (
        '<section id="summary">\n<div class="columns">\n'
        "<div><h2>By severity</h2><table><thead><tr><th>severity</th>"
        f'<th class="num">findings</th></tr></thead><tbody>{severity_rows}</tbody></table></div>\n'
        "<div><h2>By kind of target</h2><table><thead><tr><th>kind</th>"
        '<th class="num">targets</th><th class="num">findings</th></tr></thead>'
        f"<tbody>{kind_rows}</tbody></table></div>\n</div>\n"
        f"<h2>By target</h2>{by_target}\n</section>\n"
    )


def _fleet(fleet: Mapping[str, Any]) -> str:
    """A merged report's summary: findings by severity and pillar per report, host and image."""
    from hullguard.merge import fleet_rows

    rows = []
    for kind, name, entry in fleet_rows(fleet):
        by_severity = entry.get("by_severity")
        by_pillar = entry.get("by_pillar")
        severities = by_severity if isinstance(by_severity, Mapping) else {}
        pillars = by_pillar if isinstance(by_pillar, Mapping) else {}
        unreadable = " (unreadable)" if entry.get("status") == "error" else ""
        cells = "".join(
            f'<td class="num">{_e(severities.get(s.value, 0) or "")}</td>' for s in SEVERITIES
        )
        cells += "".join(
            f'<td class="num">{_e(pillars.get(str(int(p)), 0) or "")}</td>' for p in Pillar
        )
        rows.append(
            f'<tr><td>{_e(kind)}</td><td class="mono">{_e(name)}{unreadable}</td>'
            f'<td class="num">{_e(entry.get("findings", 0))}</td>{cells}</tr>\n'
        )
    heads = "".join(f'<th class="num">{s.value}</th>' for s in SEVERITIES)
    heads += "".join(f'<th class="num" title="{_e(p.title)}">P{int(p)}</th>' for p in Pillar)
    duplicates = fleet.get("duplicates")
    note = (
        f'<p class="muted">{_plural(duplicates, "duplicate finding")} merged away.</p>'
        if isinstance(duplicates, int)
        else ""
    )
    return (
        f'<section id="fleet">\n<h2>Fleet ({len(rows)})</h2>\n{note}'
        '<div class="scroll"><table><thead><tr><th>kind</th><th>name</th>'
        f'<th class="num">findings</th>{heads}</tr></thead><tbody>\n{"".join(rows)}'
        "</tbody></table></div>\n</section>\n"
    )


def _options(name: str, label: str, values: Iterable[tuple[str, str]]) -> str:
    options = "".join(f'<option value="{_e(v)}">{_e(text)}</option>' for v, text in values)
    return (
        f'<label>{label}<select name="{name}" id="filter-{name}">'
        f'<option value="">all</option>{options}</select></label>'
    )


def _findings(
    findings: Sequence[Finding], files_of: Sequence[str], rule_info: Mapping[str, _RuleInfo]
) -> str:
    out = [f'<section id="findings">\n<h2>Findings ({len(findings)})</h2>\n']
    if not findings:
        out.append('<p class="empty">No findings.</p>\n</section>\n')
        return "".join(out)
    by_pillar = Counter(f.pillar for f in findings)
    by_severity = Counter(f.severity for f in findings)
    by_rule = Counter(f.rule_id for f in findings)
    names = {f.rule_id: f.rule_name for f in findings}
    by_file = Counter(files_of)
    pillars = sorted({int(p) for p in Pillar} | set(by_pillar))
    out.append('<form id="filters" autocomplete="off">')
    out.append(
        _options(
            "pillar",
            "Pillar",
            ((str(p), f"{p} {_pillar_title(p)} ({by_pillar[p]})") for p in pillars),
        )
    )
    out.append(
        _options(
            "severity",
            "Severity",
            ((s.value, f"{s.value} ({by_severity[s]})") for s in SEVERITIES if by_severity[s]),
        )
    )
    out.append(
        _options(
            "rule",
            "Rule",
            ((r, f"{r} {names[r]} ({by_rule[r]})") for r in sorted(by_rule)),
        )
    )
    out.append(_options("file", "File", ((f, f"{f} ({by_file[f]})") for f in sorted(by_file))))
    out.append(
        '<button type="reset">Clear</button>'
        f'<output id="shown-count" for="filter-pillar filter-severity filter-rule filter-file">'
        f'{len(findings)}</output><span class="muted">of {len(findings)} shown</span></form>\n'
    )
    out.append(
        '<table id="findings-table"><thead><tr><th>severity</th><th>rule</th>'
        "<th>location</th><th>finding</th></tr></thead><tbody>\n"
    )
    order = sorted(range(len(findings)), key=lambda i: _order(findings[i], files_of[i]))
    for i in order:
        out.append(_finding_row(findings[i], files_of[i], rule_info.get(findings[i].rule_id)))
    out.append("</tbody></table>\n")
    out.append('<p id="no-match" class="empty" hidden>No finding matches these filters.</p>\n')
    out.append("</section>\n")
    return "".join(out)


def _order(finding: Finding, place: str) -> tuple[int, str, int, int, str]:
    location = finding.location
    return (
        -finding.severity.rank,
        place,
        location.line or 0,
        location.column or 0,
        finding.rule_id,
    )


def _where(location: Location) -> str:
    where = str(location)
    if location.path and location.logical:
        where += f" ({location.logical})"
    return where


def _finding_row(finding: Finding, place: str, rule: _RuleInfo | None) -> str:
    severity = finding.severity.value
    rule_link = (
        f'<a href="#rule-{_e(finding.rule_id)}">{_e(finding.rule_id)}</a>'
        if rule is not None
        else _e(finding.rule_id)
    )
    details = _details(finding, rule)
    return (
        f'<tr class="finding" data-pillar="{finding.pillar}" data-severity="{severity}" '
        f'data-rule="{_e(finding.rule_id)}" data-file="{_e(place)}">'
        f'<td><span class="sev sev-{severity}">{severity}</span></td>'
        f'<td>{rule_link}<br><span class="muted">{_e(finding.rule_name)}</span></td>'
        f'<td class="where mono">{_e(_where(finding.location))}</td>'
        f'<td class="message">{_e(finding.message)}{details}</td></tr>\n'
    )


def _details(finding: Finding, rule: _RuleInfo | None) -> str:
    parts: list[str] = []
    location = finding.location
    if finding.snippet is not None:
        number = f'<span class="ln">{location.line} | </span>' if location.line else ""
        parts.append(
            f'<dt>offending line</dt><dd><pre class="snippet">{number}{_e(finding.snippet)}'
            "</pre></dd>"
        )
    if rule is not None and rule.why:
        parts.append(
            f"<dt>why it matters</dt><dd>{rule.why} "
            f'<a href="#rule-{_e(finding.rule_id)}">full explanation</a></dd>'
        )
    fix = finding.fix or (rule.fix if rule is not None else None)
    if fix:
        parts.append(f"<dt>fix</dt><dd>{_inline(fix)}</dd>")
    if finding.chain:
        links = "".join(f"<li>{_e(link)}</li>" for link in finding.chain)
        parts.append(f'<dt>chain</dt><dd><ol class="refs">{links}</ol></dd>')
    if finding.resource:
        parts.append(f'<dt>resource</dt><dd class="mono">{_e(finding.resource)}</dd>')
    if finding.vulnerability is not None:
        parts.append(_vulnerability_details(finding.vulnerability))
    if finding.references:
        refs = ", ".join(_reference(r) for r in finding.references)
        parts.append(f"<dt>references</dt><dd>{refs}</dd>")
    if not parts:
        return ""
    return f'<details><summary>details</summary><dl class="detail">{"".join(parts)}</dl></details>'


def _vulnerability_details(data: Mapping[str, Any]) -> str:
    rows = []
    for key, label in (
        ("id", "advisory"),
        ("aliases", "aliases"),
        ("package", "package"),
        ("ecosystem", "ecosystem"),
        ("installed_version", "installed"),
        ("fixed_version", "fixed in"),
        ("severity_source", "severity from"),
        ("purl", "purl"),
        ("path", "found in"),
        ("layer", "layer"),
    ):
        value = data.get(key)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        rows.append(f'{label}: <span class="mono">{_e(value)}</span>')
    cvss = data.get("cvss")
    if isinstance(cvss, Mapping):
        score = cvss.get("score")
        vector = cvss.get("vector")
        rows.append(f"CVSS: {_e(score if score is not None else '?')} {_e(vector or '')}")
    if data.get("summary"):
        rows.append(_e(data["summary"]))
    links = [_link(str(u)) for u in data.get("references") or ()]
    if links:
        rows.append(" ".join(links))
    return f"<dt>vulnerability</dt><dd>{'<br>'.join(rows)}</dd>"


def _link(url: str) -> str:
    """A link when `url` is http(s) and nothing else, else the escaped text."""
    if _URL.match(url):
        return f'<a href="{_e(url)}" rel="noreferrer noopener">{_e(url)}</a>'
    return _e(url)


def _reference(reference: str) -> str:
    return f"<code>{_e(reference)}</code>"


def _inline(text: str) -> str:
    """Escaped text with `code` spans (rule documentation is written that way)."""
    escaped = _e(text)
    return _INLINE_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)


def _paragraphs(text: str) -> str:
    """Rule documentation as HTML: fenced code blocks, bullet lists and paragraphs with `code`
    spans; everything escaped."""
    out: list[str] = []
    block: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                out.append(f'<pre class="doc">{_e(chr(10).join(block))}</pre>')
                block, fence = [], None
            else:
                block.append(line)
        elif stripped.startswith("```"):
            out.append(_prose(block))
            block, fence = [], "`" * (len(stripped) - len(stripped.lstrip("`")))
        else:
            block.append(line)
    if fence is not None:
        out.append(f'<pre class="doc">{_e(chr(10).join(block))}</pre>')
    else:
        out.append(_prose(block))
    return "".join(out)


def _prose(lines: list[str]) -> str:
    """Paragraphs (blank-line separated) and bullet lists (lines starting `- ` or `* `)."""
    out = []
    text: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if text:
            out.append(f"<p>{_inline(' '.join(' '.join(text).split()))}</p>")
            text.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in lines:
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith(("- ", "* ")):
            if text:
                flush()
            items.append(stripped[2:])
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + stripped  # a list item's continuation line
        else:
            if items:
                flush()
            text.append(stripped)
    flush()
    return "".join(out)


class _RuleInfo:
    """What the page shows of a rule: its documentation sections, why, fix and references."""

    def __init__(
        self,
        rule_id: str,
        name: str,
        pillar: int,
        severity: str,
        sections: Mapping[str, str],
        fix: str | None,
        references: Sequence[str],
    ) -> None:
        self.rule_id = rule_id
        self.name = name
        self.pillar = pillar
        self.severity = severity
        self.sections = sections
        self.fix = fix
        self.references = references
        why = sections.get("Why is this bad?", "")
        first = next((p for p in why.split("\n\n") if p.strip()), "")
        self.why = _inline(" ".join(first.split())) if first else ""


def _rules(report: Report, lookup: RuleLookup) -> dict[str, _RuleInfo]:
    first: dict[str, Finding] = {}
    for finding in report.findings:
        first.setdefault(finding.rule_id, finding)
    info: dict[str, _RuleInfo] = {}
    for rule_id in sorted(first):
        rule = lookup(rule_id)
        finding = first[rule_id]
        if rule is not None:
            info[rule_id] = _RuleInfo(
                rule.id,
                rule.name,
                int(rule.pillar),
                rule.severity.value,
                doc_sections(rule.doc),
                rule.fix,
                rule.references,
            )
        else:
            info[rule_id] = _RuleInfo(
                rule_id,
                finding.rule_name,
                finding.pillar,
                finding.severity.value,
                {},
                finding.fix,
                finding.references,
            )
    return info


def _rule_docs(rule_info: Mapping[str, _RuleInfo]) -> str:
    if not rule_info:
        return ""
    out = [f'<section id="rules">\n<h2>Rules that fired ({len(rule_info)})</h2>\n']
    for info in rule_info.values():
        body = []
        for title in _RULE_SECTIONS:
            text = info.sections.get(title)
            if text:
                body.append(f"<h4>{_e(title)}</h4>{_paragraphs(text)}")
        for title, text in info.sections.items():
            if title not in _RULE_SECTIONS and text:
                body.append(f"<h4>{_e(title)}</h4>{_paragraphs(text)}")
        if info.fix:
            body.append(f"<h4>Fix in one line</h4><p>{_inline(info.fix)}</p>")
        if info.references:
            refs = "".join(f"<li>{_reference(r)}</li>" for r in info.references)
            body.append(f'<h4>References</h4><ul class="refs">{refs}</ul>')
        pillar = info.pillar
        out.append(
            f'<article class="rule" id="rule-{_e(info.rule_id)}">'
            f"<h3>{_e(info.rule_id)} <code>{_e(info.name)}</code></h3>"
            f'<p class="muted">pillar {pillar} {_e(_pillar_title(pillar))} · default severity '
            f"{_e(info.severity)}</p>{''.join(body)}</article>\n"
        )
    out.append("</section>\n")
    return "".join(out)


def _vulnerabilities(packages: Sequence[VulnerablePackage]) -> str:
    if not packages:
        return ""
    out = [
        f'<section id="vulnerabilities">\n<h2>Vulnerable packages ({len(packages)})</h2>\n',
        "<table><thead><tr><th>package</th><th>installed</th><th>fixed in</th>"
        "<th>vulnerabilities</th></tr></thead><tbody>\n",
    ]
    for package in packages:
        name = _e(package.name)
        if package.ecosystem:
            name += f'<br><span class="muted">{_e(package.ecosystem)}</span>'
        fixed = ", ".join(_e(v) for v in package.fixed_versions) or "no fix yet"
        if package.fixed_versions and package.unfixed:
            fixed += f'<br><span class="muted">{package.unfixed} with no fix yet</span>'
        items = "".join(
            f'<li><span class="sev sev-{v.severity.value}">{v.severity.value}</span> '
            f'<span class="mono">{_e(v.id)}</span>'
            f"{' (fixed in ' + _e(v.fixed_version) + ')' if v.fixed_version else ''}: "
            f"{_e(v.summary)}</li>"
            for v in package.vulnerabilities
        )
        out.append(
            f'<tr><td>{name}</td><td class="mono">{_e(", ".join(package.installed) or "?")}</td>'
            f'<td class="mono">{fixed}</td><td><ul class="refs">{items}</ul></td></tr>\n'
        )
    out.append("</tbody></table>\n</section>\n")
    return "".join(out)


def _errors(errors: Sequence[ErrorEntry]) -> str:
    out = [f'<section id="errors">\n<h2>Errors ({len(errors)})</h2>\n']
    if not errors:
        out.append('<p class="empty">None: every target was read and every rule ran.</p>\n')
    else:
        out.append(
            "<table><thead><tr><th>where</th><th>kind</th><th>message</th></tr></thead><tbody>"
        )
        for error in errors:
            where = str(Location(path=error.path, line=error.line, column=error.column))
            kind = error.kind.value + (f" {error.rule_id}" if error.rule_id else "")
            out.append(
                f'<tr><td class="mono">{_e(where)}</td><td>{_e(kind)}</td>'
                f"<td>{_e(error.message)}</td></tr>\n"
            )
        out.append("</tbody></table>\n")
    out.append("</section>\n")
    return "".join(out)


def _targets(report: Report) -> str:
    out = [f'<section id="targets">\n<h2>Targets ({len(report.targets)})</h2>\n']
    if not report.targets:
        out.append('<p class="empty">No targets.</p>\n</section>\n')
        return "".join(out)
    out.append(
        "<table><thead><tr><th>kind</th><th>target</th><th>status</th><th>note</th></tr>"
        "</thead><tbody>\n"
    )
    for target in report.targets:
        out.append(
            f'<tr><td>{_e(target.kind)}</td><td class="mono">{_e(target.path)}</td>'
            f"<td>{_e(target.status.value)}</td><td>{_e(target.note or '')}</td></tr>\n"
        )
    out.append("</tbody></table>\n</section>\n")
    return "".join(out)
