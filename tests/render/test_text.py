"""The text report: exact substrings of the plain (color=False) output."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

from hullguard.model import Location, Report, Target, TargetStatus
from hullguard.render import FORMATS, render
from hullguard.render.text import render_text
from tests.render.reports import SOCKET_FINDING, TOOL_FINDING, lookup, sample_report

ANSI = re.compile(r"\x1b\[")


def plain(report: Report, width: int = 100) -> str:
    return render_text(report, color=False, width=width, rules=lookup)


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def test_plain_output_has_no_escape_codes() -> None:
    assert not ANSI.search(plain(sample_report()))


def test_color_output_has_escape_codes() -> None:
    assert ANSI.search(render_text(sample_report(), color=True, width=100, rules=lookup))


def test_files_in_path_order_then_live_objects() -> None:
    headers = [line for line in lines_of(plain(sample_report())) if line and line[0] != " "]
    assert headers[:3] == ["api/Dockerfile", "docker-compose.yml", "container/web"]


def test_findings_in_line_order_within_a_file() -> None:
    text = plain(sample_report())
    assert text.index("HG299 test-runs-as-root") < text.index("HG699 test-socket-exposed")


def test_finding_block() -> None:
    text = plain(sample_report())
    assert (
        "   CRITICAL  HG699 test-socket-exposed  docker-compose.yml:12:7 (services.ci.volumes[0])\n"
        "    service `ci` mounts /var/run/docker.sock\n"
        "    12 |       - /var/run/docker.sock:/var/run/docker.sock\n"
        "    why:   Whoever can talk to the socket owns the host.\n"
        "    fix:   use a socket proxy with a read-only allow-list, or remove the mount\n"
    ) in text
    assert "A second paragraph" not in text


def test_line_without_column_and_unknown_rule() -> None:
    text = plain(sample_report())
    assert "   MEDIUM    HG698 test-unpinned-tool  api/Dockerfile:3\n" in text
    assert "    3 | RUN curl -k https://example.invalid/install.sh | sh\n" in text
    assert "    fix:   pin the tool\n" in text
    # HG299 is unknown to the lookup: no why line, the finding's own fix.
    block = text[text.index("HG299") : text.index("HG699")]
    assert "why:" not in block
    assert "    fix:   set `user:` to a non-root user\n" in block


def test_chain_links() -> None:
    text = plain(sample_report())
    assert (
        "    chain: docker-compose.yml:5 service `api` builds ./api\n"
        "           -> api/Dockerfile:9 USER root\n"
    ) in text


def test_live_finding_shows_its_logical_location() -> None:
    text = plain(sample_report())
    assert (
        "\ncontainer/web\n   LOW       HG399 test-host-path  container/web:HostConfig.Binds[0]\n"
        in text
    )
    assert "    container `web` bind-mounts /srv\n" in text


def test_errors_section() -> None:
    text = plain(sample_report())
    assert "\nErrors (3)\n" in text
    assert (
        "  broken.yaml:3:9       parse             mapping values are not allowed here\n"
        "  api/Dockerfile        rule-crash HG697  rule HG697 crashed: KeyError: 'stage'\n"
        "  docker-compose.yml:2  suppression       suppression names no known rule: HG999\n"
    ) in text


def test_summary_table_and_total() -> None:
    text = plain(sample_report())
    rows = {
        "1": r"1 +Docker socket +0 +-",
        "2": r"2 +Privileges +1 +high",
        "3": r"3 +Host mounts +1 +low",
        "4": r"4 +Dockerfile and image hygiene +0 +-",
        "5": r"5 +Host +0 +-",
        "6": r"6 +Pipeline +2 +critical",
    }
    for pattern in rows.values():
        assert re.search(rf"(?m)^ *{pattern}$", text), pattern
    assert re.search(r"(?m)^ *Pillar +Title +Findings +Worst$", text)
    assert text.endswith(
        "Total: 4 findings (1 critical, 1 high, 1 medium, 1 low), 2 suppressed, 1 baselined, "
        "3 errors, 3 of 4 targets scanned (1 unreadable)\n"
    )


def test_empty_report() -> None:
    report = Report(
        version="0.1.0",
        targets=(
            Target(kind="dockerfile", path="Dockerfile"),
            Target(kind="compose", path="x.yml", status=TargetStatus.SKIPPED),
        ),
    )
    text = plain(report)
    assert "No findings.\n" in text
    assert "Errors" not in text
    assert text.endswith(
        "Total: 0 findings, 0 suppressed, 0 baselined, 0 errors, "
        "1 of 2 targets scanned (1 skipped)\n"
    )


def test_long_snippet_wraps_inside_its_column() -> None:
    snippet = "RUN " + " ".join(f"package{n:02d}" for n in range(30))
    finding = replace(TOOL_FINDING, location=Location(path="Dockerfile", line=117), snippet=snippet)
    text = plain(Report(version="0.1.0", findings=(finding,)), width=60)
    # Everything fits in the width but the one-line total, which is never wrapped.
    assert all(len(line) <= 60 for line in lines_of(text) if not line.startswith("Total:"))
    start = next(i for i, line in enumerate(lines_of(text)) if "117 | RUN package00" in line)
    column = lines_of(text)[start].index("RUN")
    continued = lines_of(text)[start + 1 : start + 7]
    assert all(line[:column].strip() == "" and line[column] != " " for line in continued)
    assert " ".join(lines_of(text)[start][column:].split() + " ".join(continued).split()) == snippet


def test_tabs_in_snippets_are_expanded() -> None:
    finding = replace(TOOL_FINDING, snippet="\tRUN apt-get update")
    assert "    3 |     RUN apt-get update\n" in plain(Report(version="0.1.0", findings=(finding,)))


def test_text_that_looks_like_markup_is_printed_as_is() -> None:
    finding = replace(SOCKET_FINDING, message="label [bold]x[/bold] and :smile:")
    assert "    label [bold]x[/bold] and :smile:\n" in plain(
        Report(version="0.1.0", findings=(finding,))
    )


def test_dispatch() -> None:
    assert FORMATS == ("text", "json", "sarif", "html", "markdown", "junit", "gitlab")
    text = render(sample_report(), "text", color=False, width=100)
    assert "Total: 4 findings" in text
    assert not ANSI.search(text)


def test_unknown_format_is_refused() -> None:
    try:
        render(sample_report(), "xml", color=False)
    except ValueError as error:
        assert "text, json, sarif" in str(error)
    else:
        raise AssertionError("render accepted an unknown format")


def test_importing_render_does_not_import_rich() -> None:
    code = "import sys, hullguard.render; sys.exit('rich' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_why_is_shown_at_the_first_finding_of_a_rule_only() -> None:
    second = replace(
        SOCKET_FINDING,
        location=replace(SOCKET_FINDING.location, line=14),
        snippet="      - /run/docker.sock:/run/docker.sock",
    )
    report = replace(sample_report(), findings=(SOCKET_FINDING, second))
    text = plain(report)
    assert text.count("why:   Whoever can talk to the socket owns the host.") == 1
    assert text.count("fix:   use a socket proxy") == 2


def test_findings_of_a_target_whose_name_holds_colons_are_grouped_under_it() -> None:
    ref = "oci:/layouts/app:1.0"
    image_finding = replace(
        TOOL_FINDING,
        location=Location(logical=f"image/{ref}:/etc/shadow"),
        snippet=None,
    )
    report = replace(
        sample_report(),
        targets=(Target("image", ref),),
        findings=(image_finding,),
    )
    headers = [line for line in lines_of(plain(report)) if line and line[0] != " "]
    assert headers[0] == f"image/{ref}"
