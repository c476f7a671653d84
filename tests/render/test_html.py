"""The HTML report, read with the standard library's HTML parser: self-contained, escaped, one
row per finding with the data the filters use, and the sections the issue asks for."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

from hullguard.cli import main
from hullguard.model import Pillar, Report, Severity
from hullguard.registry import doc_sections, get_rule
from hullguard.render import FORMATS, render
from hullguard.render.html import render_html
from tests.render.format_reports import (
    FIXTURES,
    HOSTILE_FINDING,
    HOSTILE_MESSAGE,
    HOSTILE_PATH,
    VULN_FINDINGS,
    fixture_scan,
    large_report,
    mixed_report,
)
from tests.render.reports import lookup, sample_report

VOID = {"meta", "br", "input", "img", "link", "hr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Page(HTMLParser):
    """Every element with its attributes, and the text inside each (nested text included)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and (cls is None or cls in e.classes)]

    def by_id(self, element_id: str) -> Element:
        (element,) = [e for e in self.elements if e.attrs.get("id") == element_id]
        return element


def text_of(element: Element) -> str:
    """The element's text, a space between the pieces of different elements."""
    return " ".join(" ".join(element.text).split())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page(report: Report) -> tuple[str, Page]:
    text = render_html(report)
    return text, Page(text)


def test_html_is_a_format() -> None:
    assert "html" in FORMATS
    report = mixed_report()
    assert render(report, "html", color=False) == render_html(report)


def test_self_contained_with_a_strict_policy() -> None:
    text, parsed = page(mixed_report())
    (policy,) = [
        e for e in parsed.all("meta") if e.attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    directives = dict(
        (d.split()[0], d.split()[1:]) for d in policy.attrs["content"].split(";") if d.strip()
    )
    assert directives["default-src"] == ["'none'"]
    (style,) = parsed.all("style")
    (script,) = parsed.all("script")
    assert directives["style-src"] == [f"'{sha256(''.join(style.text))}'"]
    assert directives["script-src"] == [f"'{sha256(''.join(script.text))}'"]
    # Nothing is fetched: no external script, stylesheet, image, font or frame.
    assert not [e for e in parsed.elements if "src" in e.attrs]
    assert not parsed.all("link") and not parsed.all("iframe") and not parsed.all("img")
    assert "@import" not in text and "url(" not in text and "@font-face" not in text
    # The only links leave the page for references, on http(s) only.
    for anchor in parsed.all("a"):
        href = anchor.attrs["href"]
        assert href.startswith("#") or href.startswith("https://"), href
        if not href.startswith("#"):
            assert anchor.attrs["rel"] == "noreferrer noopener"


def sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def test_hostile_text_is_escaped() -> None:
    text, parsed = page(mixed_report())
    # The only script element is the page's own; the message's markup stayed text.
    assert len(parsed.all("script")) == 1
    assert "<script>window.__xss" not in text
    assert '<img src=x onerror="window.__xss' not in text
    assert "</pre><script>" not in text
    rows = [r for r in parsed.all("tr", "finding") if r.attrs["data-file"] == HOSTILE_PATH]
    (row,) = rows
    assert HOSTILE_MESSAGE in text_of(row)
    assert '"</pre><script>window.__xss = 3</script>"' in text_of(row)
    assert row.attrs["data-rule"] == "HG201"
    # Attribute values are quoted and their quotes escaped.
    assert 'data-file="evil/&lt;b&gt;&quot;quoted&quot;&amp;&#x27;single&#x27;.yaml"' in text
    # A javascript: reference is shown as text, never as a link.
    assert "javascript:alert(1)" in text
    assert not [a for a in parsed.all("a") if "javascript" in a.attrs["href"]]


def test_one_row_per_finding_with_filter_data() -> None:
    report = mixed_report()
    _, parsed = page(report)
    rows = parsed.all("tr", "finding")
    assert len(rows) == len(report.findings)
    assert Counter(r.attrs["data-rule"] for r in rows) == Counter(
        f.rule_id for f in report.findings
    )
    assert Counter(r.attrs["data-severity"] for r in rows) == Counter(
        f.severity.value for f in report.findings
    )
    assert Counter(r.attrs["data-pillar"] for r in rows) == Counter(
        str(f.pillar) for f in report.findings
    )
    files = Counter(r.attrs["data-file"] for r in rows)
    assert files["docker-compose.yml"] == 2
    assert files["container/web"] == 1  # a live finding: its target
    assert files["app:1.0"] == len(VULN_FINDINGS)  # image findings: the image target
    # Worst first.
    ranks = [Severity(r.attrs["data-severity"]).rank for r in rows]
    assert ranks == sorted(ranks, reverse=True)


def test_filters_offer_every_value() -> None:
    report = mixed_report()
    _, parsed = page(report)
    selects = {e.attrs["name"]: e for e in parsed.all("select")}
    assert set(selects) == {"pillar", "severity", "rule", "file"}
    options: dict[str, list[str]] = {name: [] for name in selects}
    current = ""
    for element in parsed.elements:
        if element.tag == "select":
            current = element.attrs["name"]
        elif element.tag == "option":
            options[current].append(element.attrs["value"])
    assert options["pillar"] == ["", *(str(int(p)) for p in Pillar)]
    assert options["rule"] == ["", *sorted({f.rule_id for f in report.findings})]
    assert options["severity"] == [
        "",
        *(s.value for s in reversed(Severity) if any(f.severity is s for f in report.findings)),
    ]
    rows = parsed.all("tr", "finding")
    assert options["file"] == ["", *sorted({r.attrs["data-file"] for r in rows})]


def test_scorecard_and_chart() -> None:
    report = mixed_report()
    _, parsed = page(report)
    cards = parsed.all("a", "card")
    assert [c.attrs["data-pillar"] for c in cards] == [str(int(p)) for p in Pillar]
    by_pillar = Counter(f.pillar for f in report.findings)
    for card, pillar in zip(cards, Pillar, strict=True):
        assert text_of(card).startswith(f"{int(pillar)} {pillar.title} {by_pillar[int(pillar)]}")
    counts = Counter((f.pillar, f.severity.value) for f in report.findings)
    bars = [
        r
        for r in parsed.all("rect")
        if any(c.startswith("fill-") for c in r.classes) and "pillar" in text_of(r)
    ]
    assert {text_of(b) for b in bars} == {
        f"pillar {pillar}: {n} {severity}" for (pillar, severity), n in counts.items()
    }
    (svg,) = parsed.all("svg")
    assert svg.attrs["role"] == "img"


def test_finding_details_come_from_the_rule() -> None:
    report = fixture_scan("HG101")
    text, parsed = page(report)
    rule = get_rule("HG101")
    assert rule is not None
    finding = next(f for f in report.findings if f.rule_id == "HG101" and f.snippet)
    (row,) = [
        r
        for r in parsed.all("tr", "finding")
        if r.attrs["data-rule"] == "HG101"
        and r.attrs["data-file"] == finding.location.path
        and f":{finding.location.line}:" in text_of(r)
    ][:1]
    row_text = text_of(row)
    assert finding.message in row_text
    assert " ".join(finding.snippet.split()) in row_text  # type: ignore[union-attr]
    why = doc_sections(rule.doc)["Why is this bad?"].split("\n\n")[0]
    assert squash(why.replace("`", "")) in squash(row_text)
    assert squash(rule.fix.replace("`", "")) in squash(row_text)
    for reference in rule.references:
        assert reference in row_text
    article = parsed.by_id("rule-HG101")
    for title in ("What it does", "Why is this bad?", "Example", "How to fix"):
        assert title in text_of(article)
    assert 'href="#rule-HG101"' in text


def test_vulnerabilities_grouped_by_package() -> None:
    _, parsed = page(mixed_report())
    section = parsed.by_id("vulnerabilities")
    assert text_of(section).startswith("Vulnerable packages (2)")
    openssl, zlib = section_rows(parsed, "vulnerabilities")
    assert text_of(openssl).startswith(
        "openssl Debian:12 3.0.11-1~deb12u1 3.0.13-1~deb12u1, 3.0.14-1~deb12u1 critical "
        'CVE-2024-0001 (fixed in 3.0.13-1~deb12u1): openssl: a flaw in <parsing> & "quoting"'
    )
    assert "high CVE-2024-0002 (fixed in 3.0.14-1~deb12u1)" in text_of(openssl)
    assert text_of(zlib).startswith("zlib1g Debian:12 1:1.2.13.dfsg-1 no fix yet medium")


def section_rows(parsed: Page, section_id: str) -> list[Element]:
    """The body rows of the first table after the element with `section_id`."""
    start = parsed.elements.index(parsed.by_id(section_id))
    rows = []
    for element in parsed.elements[start + 1 :]:
        if element.tag == "section":
            break
        if element.tag == "tr":
            rows.append(element)
    return rows[1:]  # the header row


def test_errors_and_targets_listed() -> None:
    report = sample_report()
    text = render_html(report, rules=lookup)
    parsed = Page(text)
    errors = text_of(parsed.by_id("errors"))
    assert "broken.yaml:3:9 parse mapping values are not allowed here" in errors
    assert "api/Dockerfile rule-crash HG697 rule HG697 crashed: KeyError: 'stage'" in errors
    targets = text_of(parsed.by_id("targets"))
    assert "compose broken.yaml error" in targets
    assert "container container/web ok" in targets
    # Rules unknown to the lookup still get a section from their findings.
    assert "HG299 test-runs-as-root" in text_of(parsed.by_id("rule-HG299"))
    assert "Whoever can talk to the socket owns the host." in text_of(parsed.by_id("rule-HG699"))


def test_zero_findings() -> None:
    text, parsed = page(Report(version="0.1.0"))
    assert "Passed: nothing at or above the threshold (medium); 0 findings in all" in text
    assert parsed.all("tr", "finding") == []
    assert "No findings." in text_of(parsed.by_id("findings"))
    assert [c.attrs["data-pillar"] for c in parsed.all("a", "card")] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    assert len(parsed.all("script")) == 1


def test_ten_thousand_findings() -> None:
    report = large_report(10_000)
    text, parsed = page(report)
    rows = parsed.all("tr", "finding")
    assert len(rows) == 10_000
    assert len(parsed.all("option")) == 1 + 6 + 1 + 5 + 1 + 120 + 1 + 200
    # Rule documentation is written once per rule, not once per finding.
    assert len(text) < 10_000 * 1500


def test_twenty_thousand_findings_are_escaped() -> None:
    """20,000 findings: every row there, every message escaped; the time is printed (run with
    -s to see it), not asserted."""
    report = large_report(20_000)
    start = time.perf_counter()
    text = render_html(report)
    print(f"html: 20,000 findings in {time.perf_counter() - start:.2f} s, {len(text):,} chars")
    assert "<19999>" not in text and "finding number 19999 &lt;19999&gt;" in text
    assert len(Page(text).all("tr", "finding")) == 20_000


def test_cli_writes_html(tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    code = main(["scan", str(FIXTURES / "HG101"), "--format", "html", "-o", str(output)])
    assert code == 1
    parsed = Page(output.read_text(encoding="utf-8"))
    assert parsed.all("tr", "finding")
    assert "made by hullguard scan on " in text_of(parsed.all("header")[0])
    assert {r.attrs["data-rule"] for r in parsed.all("tr", "finding")} >= {"HG101"}


def test_finding_without_snippet_or_rule() -> None:
    finding = replace(HOSTILE_FINDING, snippet=None, rule_id="HG298", references=(), fix=None)
    text = render_html(Report(version="0.1.0", findings=(finding,)), rules=lookup)
    parsed = Page(text)
    (row,) = parsed.all("tr", "finding")
    assert parsed.all("pre", "snippet") == []
    assert HOSTILE_MESSAGE in text_of(row)


def test_merged_report_has_a_fleet_section(tmp_path: Path) -> None:
    for name, rule in (("a", "HG101"), ("b", "HG201")):
        report = tmp_path / f"{name}.json"
        assert main(["scan", str(FIXTURES / rule), "--format", "json", "-o", str(report)]) == 1
    output = tmp_path / "fleet.html"
    arguments = ["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert main([*arguments, "--format", "html", "-o", str(output)]) == 1
    parsed = Page(output.read_text(encoding="utf-8"))
    assert text_of(parsed.by_id("fleet")).startswith("Fleet (2)")
    rows = section_rows(parsed, "fleet")
    assert [text_of(r).split()[:2] for r in rows] == [
        ["report", str(tmp_path / "a.json")],
        ["report", str(tmp_path / "b.json")],
    ]
    merged = parsed.all("tr", "finding")
    assert {r.attrs["data-rule"] for r in merged} >= {"HG101", "HG201"}
