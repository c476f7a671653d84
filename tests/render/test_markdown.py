"""The Markdown summary: status, counts, top findings, packages and errors; escaped; bounded."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from hullguard.cli import main
from hullguard.model import Report, Severity
from hullguard.render import FORMATS, render
from hullguard.render.markdown import LIMIT, MAX_FINDINGS, escape, render_markdown
from tests.render.format_reports import (
    FIXTURES,
    HOSTILE_FINDING,
    VULN_FINDINGS,
    fixture_scan,
    large_report,
    mixed_report,
)
from tests.render.reports import sample_report

# A character a Markdown renderer would treat as markup, not preceded by a backslash.
UNESCAPED = re.compile(r"(?<!\\)[<>\[\]*_`|@]")


def table(text: str, heading: str) -> list[list[str]]:
    """The rows (cells split on unescaped pipes) of the table under `### heading`."""
    section = text.split(f"### {heading}", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [
        [cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]]
        for row in rows[2:]  # header and delimiter rows
    ]


def test_markdown_is_a_format() -> None:
    assert "markdown" in FORMATS
    assert render(sample_report(), "markdown", color=False) == render_markdown(sample_report())


def test_sample_report() -> None:
    text = render_markdown(sample_report())
    assert text.startswith(
        "## ❌ **hullguard failed**: 3 findings at or above medium; 1 target could not be read\n\n"
        "4 findings · 2 suppressed · 1 baselined · 3 errors · 3 of 4 targets scanned · "
        "threshold **medium** · hullguard 0.1.0\n"
    )
    pillars = table(text, "Findings by pillar and severity")
    assert pillars[1] == ["2 Privileges", "·", "1", "·", "·", "·", "1"]
    assert pillars[5] == ["6 Pipeline", "1", "·", "1", "·", "·", "2"]
    assert pillars[-1] == ["**total**", "**1**", "**1**", "**1**", "**1**", "**0**", "**4**"]
    top = table(text, "Top findings (4 of 4)")
    assert [row[1] for row in top] == [
        "HG699 test\\-socket\\-exposed",
        "HG299 test\\-runs\\-as\\-root",
        "HG698 test\\-unpinned\\-tool",
        "HG399 test\\-host\\-path",
    ]
    assert top[0] == [
        "🟥 critical",
        "HG699 test\\-socket\\-exposed",
        "`docker-compose.yml:12:7 (services.ci.volumes[0])`",
        "service \\`ci\\` mounts /var/run/docker.sock",
    ]
    errors = table(text, "Errors (3)")
    assert errors[0] == ["`broken.yaml:3:9`", "parse", "mapping values are not allowed here"]
    assert errors[1][1] == "rule-crash HG697"
    assert "Vulnerable packages" not in text


def test_passing_report() -> None:
    report = replace(sample_report(), fail_on=Severity.CRITICAL, errors=(), targets=())
    text = render_markdown(replace(report, findings=report.findings[:2]))
    assert text.startswith("## ✅ **hullguard passed**: nothing at or above the threshold\n")
    empty = render_markdown(Report(version="0.1.0"))
    assert empty.startswith("## ✅ **hullguard passed**: no findings\n")
    assert "###" not in empty


def test_hostile_message_is_escaped() -> None:
    text = render_markdown(mixed_report())
    (row,) = [
        r for r in table(text, "Top findings") if "window.__xss = 1" in r[3].replace("\\", "")
    ]
    cell = row[3]
    assert not UNESCAPED.search(cell), cell
    assert not re.search(r"(?<!\\)<(script|img)", text)
    assert "\\<script\\>" in cell
    assert "\\[a link\\]\\(javascript\\:alert\\(1\\)\\)" in cell
    assert "\\@everyone" in cell
    # Unescaped again, the cell is the message.
    assert re.sub(r"\\(.)", r"\1", cell) == HOSTILE_FINDING.message
    # The path is in a code span, where Markdown means nothing; its pipes are escaped for
    # the table.
    assert row[2].startswith("`evil/<b>\"quoted\"&'single'.yaml:7:5`")


def test_escape_flattens_lines_and_bounds_length() -> None:
    assert escape("a\nb\r\nc|d") == "a b c\\|d"
    assert len(escape("x" * 1000)) == 300
    assert escape("x" * 1000).endswith("…")


def test_vulnerabilities_grouped_by_package() -> None:
    text = render_markdown(mixed_report())
    packages = table(text, "Vulnerable packages (2)")
    assert packages == [
        [
            "openssl (Debian\\:12)",
            "3.0.11\\-1\\~deb12u1",
            "CVE\\-2024\\-0001 (critical), CVE\\-2024\\-0002 (high)",
            "3.0.13\\-1\\~deb12u1, 3.0.14\\-1\\~deb12u1",
        ],
        ["zlib1g (Debian\\:12)", "1\\:1.2.13.dfsg\\-1", "CVE\\-2023\\-0003 (medium)", "no fix yet"],
    ]


def test_top_findings_are_bounded_worst_first() -> None:
    report = large_report(500)
    text = render_markdown(report)
    rows = table(text, f"Top findings ({MAX_FINDINGS} of 500)")
    assert len(rows) == MAX_FINDINGS
    assert {row[0] for row in rows} == {"🟥 critical"}
    assert f"…and {500 - MAX_FINDINGS} more" in text


def test_twenty_thousand_findings_fit_one_comment() -> None:
    report = large_report(20_000)
    text = render_markdown(report)
    assert len(text) <= LIMIT
    assert text.splitlines()[2].startswith("20000 findings · ")
    assert f"…and {20_000 - MAX_FINDINGS} more" in text
    assert "<19999>" not in text


def test_comment_limit_is_kept() -> None:
    long = "x" * 5000
    findings = []
    for n in range(2000):
        template = VULN_FINDINGS[n % len(VULN_FINDINGS)]
        assert template.vulnerability is not None
        vulnerability = {
            **template.vulnerability,
            "id": f"CVE-{n}-{long}",
            "package": f"package{n // 10}-{long}",
        }
        findings.append(
            replace(
                template,
                message=long,
                location=replace(template.location, logical=f"image/{n}{long}"),
                vulnerability=vulnerability,
                fingerprint=str(n),
            )
        )
    report = Report(version="0.1.0", findings=tuple(findings))
    unbounded = render_markdown(report, limit=10**9)
    assert len(unbounded) > LIMIT, "the report must be too long for one comment"
    text = render_markdown(report)
    assert len(text) <= LIMIT
    assert text.startswith("## ❌ **hullguard failed**")
    assert "### Top findings" in text and "### Vulnerable packages (200)" in text
    assert "more packages." in text
    small = render_markdown(report, limit=3000)
    assert len(small) <= 3000
    assert small.startswith("## ❌ **hullguard failed**")


def test_real_scan(tmp_path: Path) -> None:
    report = fixture_scan("HG101")
    text = render_markdown(report)
    top = table(text, "Top findings")
    assert len(top) == min(len(report.findings), MAX_FINDINGS)
    assert top[0][0] == "🟥 critical"
    assert top[0][1] == "HG101 docker\\-socket\\-mounted"
    output = tmp_path / "summary.md"
    assert main(["scan", str(FIXTURES / "HG101"), "--format", "markdown", "-o", str(output)]) == 1
    written = output.read_text(encoding="utf-8")
    assert written.startswith("## ❌ **hullguard failed**")
    assert "HG101 docker\\-socket\\-mounted" in written


def test_merged_report_has_a_fleet_table(tmp_path: Path) -> None:
    for name, rule in (("a", "HG101"), ("b", "HG201")):
        report = tmp_path / f"{name}.json"
        assert main(["scan", str(FIXTURES / rule), "--format", "json", "-o", str(report)]) == 1
    output = tmp_path / "fleet.md"
    arguments = ["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert main([*arguments, "--format", "markdown", "-o", str(output)]) == 1
    rows = table(output.read_text(encoding="utf-8"), "Fleet (2)")
    assert [row[:2] for row in rows] == [
        ["report", f"`{tmp_path / 'a.json'}`"],
        ["report", f"`{tmp_path / 'b.json'}`"],
    ]
    assert all(int(row[2]) > 0 for row in rows)
