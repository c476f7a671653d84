"""JUnit XML: well-formed, within the JUnit schema Jenkins' xUnit plugin publishes (junit-10.xsd:
the elements, their required attributes and children), with the test cases GitLab keys by
classname and name, and exact for each rule and target."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hullguard.cli import main
from hullguard.config import Config
from hullguard.engine import select_rules
from hullguard.model import (
    ErrorEntry,
    ErrorKind,
    Finding,
    Location,
    Report,
    Severity,
    Target,
    TargetStatus,
)
from hullguard.registry import get_rule
from hullguard.render import FORMATS, render
from hullguard.render.junit import MODELS, render_junit
from tests.render.format_reports import FIXTURES, HOSTILE_FINDING, fixture_scan, mixed_report
from tests.render.reports import SOCKET_RULE, TOOL_RULE, sample_report

# Allowed attributes (required ones first, marked with `!`) and children, after junit-10.xsd.
SCHEMA: dict[str, tuple[set[str], set[str], set[str]]] = {
    "testsuites": (set(), {"name", "time", "tests", "failures", "errors"}, {"testsuite"}),
    "testsuite": (
        {"name", "tests", "failures", "errors"},
        {
            "group",
            "time",
            "skipped",
            "timestamp",
            "hostname",
            "id",
            "package",
            "file",
            "log",
            "url",
        },
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
    ),
    "properties": (set(), set(), {"property"}),
    "property": ({"name", "value"}, set(), set()),
    "testcase": (
        {"name"},
        {"time", "classname", "group"},
        {"skipped", "error", "failure", "system-out", "system-err"},
    ),
    "failure": (set(), {"type", "message"}, set()),
    "error": (set(), {"type", "message"}, set()),
    "skipped": (set(), {"type", "message"}, set()),
}
TIME = r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?"


def assert_junit(text: str) -> ET.Element:
    """Parse `text` and check it against the schema and its own counts; return the root."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"

    def check(element: ET.Element) -> None:
        assert element.tag in SCHEMA, element.tag
        required, optional, children = SCHEMA[element.tag]
        attributes = set(element.attrib)
        assert required <= attributes, (element.tag, required - attributes)
        assert attributes <= required | optional, (element.tag, attributes - required - optional)
        if "time" in element.attrib and element.tag in ("testsuite", "testsuites"):
            assert re.fullmatch(TIME, element.attrib["time"])
        for child in element:
            assert child.tag in children, (element.tag, child.tag)
            check(child)

    check(root)
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors", "")) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped", "")) == sum(c.find("skipped") is not None for c in cases)
        keys = [(c.get("classname"), c.get("name")) for c in cases]
        assert len(keys) == len(set(keys)), "GitLab keeps one test case per classname and name"
    suites = root.findall("testsuite")
    for total in ("tests", "failures", "errors"):
        assert int(root.get(total, "")) == sum(int(s.get(total, "")) for s in suites)
    return root


def suite_of(root: ET.Element, name: str) -> ET.Element:
    (suite,) = [s for s in root.findall("testsuite") if s.get("name") == name]
    return suite


def case_of(suite: ET.Element, name: str) -> ET.Element:
    (case,) = [c for c in suite.findall("testcase") if c.get("name") == name]
    return case


def test_junit_is_a_format() -> None:
    assert "junit" in FORMATS
    text = render(sample_report(), "junit", color=False, rules_run=[SOCKET_RULE, TOOL_RULE])
    assert text == render_junit(sample_report(), rules_run=[SOCKET_RULE, TOOL_RULE])


def test_sample_report_with_the_test_rules() -> None:
    root = assert_junit(render_junit(sample_report(), rules_run=[SOCKET_RULE, TOOL_RULE]))
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "compose: docker-compose.yml",
        "dockerfile: api/Dockerfile",
        "compose: broken.yaml",
        "container: container/web",
    ]
    compose = suite_of(root, "compose: docker-compose.yml")
    # HG699 ran (a compose rule) and failed; HG299 is no run rule but has a finding here;
    # the bad suppression is an error of the file.
    assert [c.get("name") for c in compose.findall("testcase")] == [
        "HG299 test-runs-as-root",
        "HG699 test-socket-exposed",
        "suppression error at docker-compose.yml:2",
    ]
    failure = case_of(compose, "HG699 test-socket-exposed").find("failure")
    assert failure is not None
    assert failure.get("type") == "critical"
    assert failure.get("message") == "1 finding: service `ci` mounts /var/run/docker.sock"
    assert failure.text == (
        "critical docker-compose.yml:12:7 (services.ci.volumes[0]): service `ci` mounts "
        "/var/run/docker.sock\n"
        "    12 |       - /var/run/docker.sock:/var/run/docker.sock\n"
        "fix: use a socket proxy with a read-only allow-list, or remove the mount\n"
        "references: cis-docker:5.32, cwe:250"
    )
    suppression = case_of(compose, "suppression error at docker-compose.yml:2").find("error")
    assert suppression is not None and suppression.get("type") == "warning"
    assert {p.get("name"): p.get("value") for p in compose.iter("property")} == {
        "target.kind": "compose",
        "target.path": "docker-compose.yml",
        "target.status": "ok",
    }

    dockerfile = suite_of(root, "dockerfile: api/Dockerfile")
    assert [c.get("name") for c in dockerfile.findall("testcase")] == [
        "HG697",
        "HG698 test-unpinned-tool",
    ]
    crash = case_of(dockerfile, "HG697").find("error")
    assert crash is not None and crash.get("type") == "rule-crash"
    assert crash.get("message") == "rule HG697 crashed: KeyError: 'stage'"
    assert case_of(dockerfile, "HG698 test-unpinned-tool").find("failure") is not None

    broken = suite_of(root, "compose: broken.yaml")
    read, parse = broken.findall("testcase")
    assert read.get("name") == "read"
    assert read.find("error") is not None
    assert parse.get("name") == "parse error at broken.yaml:3:9"
    error = parse.find("error")
    assert error is not None and error.get("message") == "mapping values are not allowed here"

    live = suite_of(root, "container: container/web")
    (case,) = live.findall("testcase")
    assert case.get("name") == "HG399 test-host-path"
    assert case.get("classname") == "container/web"


def test_rules_that_found_nothing_pass() -> None:
    report = fixture_scan("HG101")
    rules = select_rules(Config())
    root = assert_junit(render_junit(report, rules_run=rules))
    suite = suite_of(root, "compose: HG101/good_no_socket.compose.yaml")
    cases = suite.findall("testcase")
    container_rules = sorted(r.id for r in rules if r.targets & MODELS["compose"])
    assert [c.get("name", "").split()[0] for c in cases] == container_rules
    fired = {
        f.rule_id for f in report.findings if f.location.path == "HG101/good_no_socket.compose.yaml"
    }
    assert "HG101" not in fired
    for case in cases:
        rule_id = case.get("name", "").split()[0]
        assert [child.tag for child in case] == (["failure"] if rule_id in fired else [])
    bad = suite_of(root, "compose: HG101/bad_socket_forms.compose.yaml")
    failure = case_of(bad, "HG101 docker-socket-mounted").find("failure")
    assert failure is not None and failure.get("type") == "critical"
    lines = [
        f
        for f in report.findings
        if f.rule_id == "HG101" and f.location.path == "HG101/bad_socket_forms.compose.yaml"
    ]
    assert failure.get("message", "").startswith(f"{len(lines)} findings: ")
    for finding in lines:
        assert f":{finding.location.line}:" in (failure.text or "")


def test_only_the_selected_rules_are_cases() -> None:
    report = fixture_scan("HG101", config=Config(select=("HG101",)))
    hg101 = get_rule("HG101")
    assert hg101 is not None
    root = assert_junit(render_junit(report, rules_run=[hg101]))
    names = {c.get("name") for c in root.iter("testcase")}
    assert names == {"HG101 docker-socket-mounted"}
    # The shell script's suite holds HG101 too: `docker run` lines are containers.
    script = suite_of(root, "script: HG101/bad_docker_run.sh")
    assert case_of(script, "HG101 docker-socket-mounted").find("failure") is not None


def test_skipped_target_and_loose_errors() -> None:
    report = Report(
        version="0.1.0",
        targets=(
            Target("kubernetes", "chart/values.yaml", TargetStatus.SKIPPED, "not a manifest"),
        ),
        errors=(ErrorEntry(None, "no key to verify signatures", kind=ErrorKind.CONFIG),),
    )
    root = assert_junit(render_junit(report, rules_run=[]))
    skipped = suite_of(root, "kubernetes: chart/values.yaml")
    assert skipped.get("skipped") == "1"
    element = case_of(skipped, "scan").find("skipped")
    assert element is not None and element.get("message") == "not a manifest"
    run = suite_of(root, "hullguard")
    (case,) = run.findall("testcase")
    assert case.get("name") == "config error at ?"
    assert root.get("errors") == "1"


def test_hostile_text_stays_valid_xml() -> None:
    root = assert_junit(render_junit(mixed_report(), rules_run=[]))
    texts = [e.text or "" for e in root.iter("failure")] + [
        e.get("message", "") for e in root.iter("failure")
    ]
    hostile = [t for t in texts if "window.__xss = 1" in t]
    assert hostile, "the hostile message is kept, as text"
    assert any("\\x01\\x1b[31m" in t for t in texts), "control characters are written as \\xNN"
    assert HOSTILE_FINDING.message in "\n".join(texts)


def test_empty_report() -> None:
    root = assert_junit(render_junit(Report(version="0.1.0"), rules_run=[]))
    assert root.get("tests") == "0"
    assert list(root) == []


def test_cli_junit_has_the_selected_rules_only(tmp_path: Path) -> None:
    output = tmp_path / "junit.xml"
    code = main(
        [
            "scan",
            str(FIXTURES / "HG101"),
            "--select",
            "HG101,HG206",
            "--format",
            "junit",
            "-o",
            str(output),
        ]
    )
    assert code == 1
    root = assert_junit(output.read_text(encoding="utf-8"))
    assert {c.get("name", "").split()[0] for c in root.iter("testcase")} == {"HG101", "HG206"}
    assert int(root.get("failures", "")) >= 1


def test_unreadable_target_is_one_error_case() -> None:
    report = Report(
        version="0.1.0",
        targets=(Target("dockerfile", "Dockerfile", TargetStatus.ERROR, "Permission denied"),),
        errors=(
            ErrorEntry("Dockerfile", "cannot read: Permission denied", kind=ErrorKind.READ),
            ErrorEntry("Dockerfile", "a second problem", kind=ErrorKind.READ),
        ),
    )
    root = assert_junit(render_junit(report, rules_run=[SOCKET_RULE, TOOL_RULE]))
    suite = suite_of(root, "dockerfile: Dockerfile")
    assert [c.get("name") for c in suite.findall("testcase")] == [
        "read",
        "read error at Dockerfile",
    ]
    read = case_of(suite, "read").find("error")
    assert read is not None and read.get("message") == "Permission denied"
    other = case_of(suite, "read error at Dockerfile").find("error")
    assert other is not None and other.get("message") == "a second problem"


def _future(path: str | None, logical: str | None, rule_id: str = "HG999") -> Finding:
    """A finding of a rule this version does not know (a report of a newer hullguard)."""
    return Finding(
        rule_id, "future-rule", 7, Severity.HIGH, "from a newer version ]]> `|`", "image",
        Location(path=path, logical=logical, line=3 if path else None),
        fingerprint=f"{rule_id}{path}{logical}",
    )  # fmt: skip


@pytest.mark.parametrize(
    "report",
    [
        Report(version="0.1.0"),
        Report(
            version="0.1.0",
            errors=(
                ErrorEntry(None, "no target"),
                ErrorEntry(None, "no target", kind=ErrorKind.CONFIG),
                ErrorEntry("a b.yml", "first", 1, 2),
                ErrorEntry("a b.yml", "second", 1, 5),
            ),
        ),
        Report(
            version="0.1.0",
            targets=(Target("image", "a:1"), Target("image", "b:2")),
            findings=(
                _future(None, "image/a:1:Config.User"),
                _future(None, "image/b:2:Config.User"),
                _future("p ]]>|`q`.yml", None),
                _future("p ]]>|`q`.yml", None, "HG998"),
            ),
        ),
    ],
    ids=["empty", "only-errors", "unknown-rules"],
)
def test_edge_reports_keep_their_counts(report: Report) -> None:
    """No targets, only errors, rules of a newer version on objects the report does not list:
    the counts still equal the test cases, one failing case per finding's target and rule,
    one error case per error."""
    root = assert_junit(render_junit(report))
    cases = list(root.iter("testcase"))
    failing = sorted(c.get("name", "") for c in cases if c.find("failure") is not None)
    assert failing == sorted(f"{f.rule_id} {f.rule_name}" for f in report.findings)
    assert sum(c.find("error") is not None for c in cases) == len(report.errors)
