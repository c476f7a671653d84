"""The JSON report is a contract (`hullguard/report/v1`): its exact shape is asserted here."""

from __future__ import annotations

import json

from hullguard.model import ErrorEntry, Report, Target
from hullguard.render import render
from hullguard.render.json import render_json
from tests.render.reports import SOCKET_FINDING, sample_report


def small_report() -> Report:
    return Report(
        version="0.1.0",
        targets=(Target(kind="compose", path="docker-compose.yml"),),
        findings=(SOCKET_FINDING,),
        errors=(ErrorEntry(path="broken.yaml", line=3, message="bad indentation"),),
        suppressed=1,
    )


def test_small_report_exact_document() -> None:
    document = json.loads(render_json(small_report()))
    assert document == {
        "schema": "hullguard/report/v1",
        "tool": {"name": "hullguard", "version": "0.1.0"},
        "targets": [{"kind": "compose", "path": "docker-compose.yml", "status": "ok"}],
        "findings": [
            {
                "rule_id": "HG699",
                "rule_name": "test-socket-exposed",
                "pillar": 6,
                "severity": "critical",
                "message": "service `ci` mounts /var/run/docker.sock",
                "target_kind": "compose",
                "resource": "services.ci",
                "location": {
                    "path": "docker-compose.yml",
                    "line": 12,
                    "column": 7,
                    "end_line": 12,
                    "end_column": 40,
                    "logical": "services.ci.volumes[0]",
                },
                "fix": "use a socket proxy with a read-only allow-list, or remove the mount",
                "references": ["cis-docker:5.32", "cwe:250"],
                "snippet": "      - /var/run/docker.sock:/var/run/docker.sock",
                "chain": [],
                "fingerprint": "3f2a9c0d5e6b7a81",
            }
        ],
        "errors": [
            {"path": "broken.yaml", "line": 3, "message": "bad indentation", "kind": "parse"}
        ],
        "summary": {
            "by_pillar": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 1},
            "by_severity": {"critical": 1},
            "suppressed": 1,
            "baselined": 0,
        },
    }


def test_layout_is_stable() -> None:
    text = render_json(small_report())
    assert text.startswith('{\n  "schema": "hullguard/report/v1",\n  "tool": {"name": "hullguard"')
    lines = text.splitlines()
    findings = lines.index('  "findings": [')
    # one finding per line, each a complete JSON object
    assert json.loads(lines[findings + 1].strip().rstrip(","))["rule_id"]
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert list(json.loads(text)) == ["schema", "tool", "targets", "findings", "errors", "summary"]
    assert render_json(small_report()) == text


def test_live_finding_has_null_line_and_logical_location() -> None:
    document = json.loads(render_json(sample_report()))
    live = [f for f in document["findings"] if f["rule_id"] == "HG399"]
    assert live[0]["location"] == {
        "path": None,
        "line": None,
        "column": None,
        "end_line": None,
        "end_column": None,
        "logical": "container/web:HostConfig.Binds[0]",
    }
    assert document["summary"]["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 1}
    assert document["summary"]["suppressed"] == 2
    assert document["summary"]["baselined"] == 1


def test_dispatch_gives_the_same_document() -> None:
    assert render(small_report(), "json", color=True) == render_json(small_report())
