"""GitLab Code Quality JSON: the fields GitLab reads, exact per finding."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hullguard.model import Report
from hullguard.render import FORMATS, render
from hullguard.render.gitlab import SEVERITY, code_quality, render_gitlab
from tests.render.format_reports import HOSTILE_FINDING, HOSTILE_PATH, fixture_scan, mixed_report
from tests.render.reports import LIVE_FINDING, SOCKET_FINDING, sample_report

GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def assert_code_quality(issues: Any) -> None:
    """The shape GitLab's Code Quality parser requires of every issue."""
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in GITLAB_SEVERITIES
        location = issue["location"]
        assert isinstance(location["path"], str) and location["path"]
        assert isinstance(location["lines"]["begin"], int) and location["lines"]["begin"] >= 1
        if "end" in location["lines"]:
            assert location["lines"]["end"] >= location["lines"]["begin"]
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(fingerprints) == len(set(fingerprints)), "GitLab keeps one issue per fingerprint"


def test_gitlab_is_a_format() -> None:
    assert "gitlab" in FORMATS
    assert json.loads(render(sample_report(), "gitlab", color=False)) == code_quality(
        sample_report()
    )


def test_sample_report_issues() -> None:
    issues = json.loads(render_gitlab(sample_report()))
    assert_code_quality(issues)
    by_check = {i["check_name"]: i for i in issues}
    assert by_check["HG699 test-socket-exposed"] == {
        "type": "issue",
        "description": "service `ci` mounts /var/run/docker.sock",
        "check_name": "HG699 test-socket-exposed",
        "fingerprint": SOCKET_FINDING.fingerprint,
        "severity": "blocker",
        "categories": ["Security"],
        "location": {"path": "docker-compose.yml", "lines": {"begin": 12}},
        "content": {
            "body": "Fix: use a socket proxy with a read-only allow-list, or remove the mount"
            "\n\nReferences: cis-docker:5.32, cwe:250"
        },
    }
    assert by_check["HG299 test-runs-as-root"]["severity"] == "critical"
    assert by_check["HG698 test-unpinned-tool"]["severity"] == "major"
    assert by_check["HG698 test-unpinned-tool"]["location"] == {
        "path": "api/Dockerfile",
        "lines": {"begin": 3},
    }


def test_live_finding_gets_its_object_as_path() -> None:
    issues = json.loads(render_gitlab(sample_report()))
    (live,) = [i for i in issues if i["fingerprint"] == LIVE_FINDING.fingerprint]
    assert live["location"] == {"path": "container/web", "lines": {"begin": 1}}
    assert live["severity"] == "minor"
    assert (
        live["description"]
        == "container `web` bind-mounts /srv (container/web:HostConfig.Binds[0])"
    )


def test_host_finding_without_file_is_placed_on_the_host() -> None:
    from hullguard.model import Finding, Location, Severity, Target

    finding = Finding(
        rule_id="HG502",
        rule_name="docker-audit-rules-missing",
        pillar=5,
        severity=Severity.INFO,
        message="/usr/bin/runc is not audited",
        target_kind="host",
        location=Location(logical="audit-rules:/usr/bin/runc"),
        fingerprint="aa",
    )
    report = Report(version="0.1.0", targets=(Target("host", "/"),), findings=(finding,))
    (issue,) = code_quality(report)
    assert issue["location"] == {"path": "/", "lines": {"begin": 1}}
    assert issue["severity"] == "info"
    assert issue["description"] == "/usr/bin/runc is not audited (audit-rules:/usr/bin/runc)"


def test_end_line_only_when_after_begin() -> None:
    finding = replace(SOCKET_FINDING, location=replace(SOCKET_FINDING.location, end_line=14))
    (issue,) = code_quality(Report(version="0.1.0", findings=(finding,)))
    assert issue["location"]["lines"] == {"begin": 12, "end": 14}


def test_missing_fingerprints_are_made_distinct() -> None:
    first = replace(SOCKET_FINDING, fingerprint="")
    second = replace(first, location=replace(first.location, line=13))
    issues = code_quality(Report(version="0.1.0", findings=(first, second)))
    assert_code_quality(issues)
    assert all(len(i["fingerprint"]) == 32 for i in issues)


def test_every_severity_is_mapped() -> None:
    assert set(SEVERITY.values()) == GITLAB_SEVERITIES


def test_real_scan_issues() -> None:
    report = fixture_scan("HG101", "HG206")
    issues = json.loads(render_gitlab(report))
    assert_code_quality(issues)
    assert len(issues) == len(report.findings)
    for issue, finding in zip(issues, report.findings, strict=True):
        assert issue["fingerprint"] == finding.fingerprint
        assert issue["check_name"] == f"{finding.rule_id} {finding.rule_name}"
        assert issue["location"]["path"] == finding.location.path
        assert issue["location"]["lines"]["begin"] == finding.location.line
    assert {"HG101 docker-socket-mounted", "HG206 container-runs-as-root"} <= {
        i["check_name"] for i in issues
    }


def test_hostile_text_is_kept_verbatim_in_valid_json() -> None:
    issues = json.loads(render_gitlab(mixed_report()))
    assert_code_quality(issues)
    (hostile,) = [i for i in issues if i["fingerprint"] == HOSTILE_FINDING.fingerprint]
    assert hostile["description"] == HOSTILE_FINDING.message
    assert hostile["location"]["path"] == HOSTILE_PATH


def test_empty_report_is_an_empty_list() -> None:
    assert render_gitlab(Report(version="0.1.0")) == "[]\n"


def test_a_fingerprint_met_again_is_made_distinct() -> None:
    """Two findings with one fingerprint (hand-merged reports of one file kept in two places):
    GitLab would show only the first; the second gets a fingerprint of its own, the same on
    every run."""
    elsewhere = replace(SOCKET_FINDING, location=replace(SOCKET_FINDING.location, path="b.yml"))
    report = Report(version="0.1.0", findings=(SOCKET_FINDING, elsewhere, elsewhere))
    issues = code_quality(report)
    assert_code_quality(issues)
    assert issues[0]["fingerprint"] == SOCKET_FINDING.fingerprint
    assert code_quality(report) == issues


def test_absolute_paths_under_the_repository_are_made_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab places an issue by its path from the repository root: a scan given
    `$CI_PROJECT_DIR/deploy` reports absolute paths, written relative to the working directory
    (the repository in CI); a path outside it is kept as it is."""
    inside = replace(
        SOCKET_FINDING,
        location=replace(SOCKET_FINDING.location, path=f"{tmp_path}/deploy/compose.yml"),
        fingerprint="a",
    )
    outside = replace(
        SOCKET_FINDING,
        location=replace(SOCKET_FINDING.location, path="/etc/compose.yml"),
        fingerprint="b",
    )
    monkeypatch.chdir(tmp_path)
    issues = json.loads(render_gitlab(Report(version="0.1.0", findings=(inside, outside))))
    assert_code_quality(issues)
    assert [i["location"]["path"] for i in issues] == ["deploy/compose.yml", "/etc/compose.yml"]
