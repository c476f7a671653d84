"""SARIF output: valid against the 2.1.0 schema, and exact where code-scanning services read it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hullguard.model import ErrorEntry, ErrorKind, Finding, Location, Report, Severity
from hullguard.registry import all_rules
from hullguard.render import render
from hullguard.render.sarif import artifact_location, render_sarif, sarif_log
from tests.render.reports import (
    LIVE_FINDING,
    ROOT_FINDING,
    SOCKET_FINDING,
    TOOL_FINDING,
    lookup,
    sample_report,
)

SCHEMA_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"
SCHEMA_FILE = SCHEMA_PATH / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"the shared SARIF schema is not beside the checkout ({SCHEMA_FILE} absent)")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid(validator: Any, log: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def sample_log() -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render_sarif(sample_report(), rules=lookup))
    return log


def result_for(log: dict[str, Any], rule_id: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = log["runs"][0]["results"]
    (result,) = [r for r in results if r["ruleId"] == rule_id]
    return result


def test_sample_report_is_valid_sarif(validator: Any) -> None:
    assert_valid(validator, sample_log())


def test_empty_report_is_valid_sarif(validator: Any) -> None:
    log = sarif_log(Report(version="0.1.0"), rules=lookup)
    assert_valid(validator, log)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 0}]


def test_every_registered_rule_gives_a_valid_descriptor(validator: Any) -> None:
    rules = all_rules()
    if not rules:
        pytest.skip("no rule is registered under src/hullguard/rules/ yet")
    findings = tuple(
        Finding(
            rule_id=r.id,
            rule_name=r.name,
            pillar=int(r.pillar),
            severity=r.severity,
            message=f"{r.name} fired",
            target_kind="dockerfile",
            location=Location(path="Dockerfile", line=1, column=1),
            fingerprint=f"fp-{r.id}",
        )
        for r in rules
    )
    log = sarif_log(Report(version="0.1.0", findings=findings))
    assert_valid(validator, log)
    descriptors = log["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == [r.id for r in rules]
    for descriptor, rule in zip(descriptors, rules, strict=True):
        assert descriptor["shortDescription"]["text"], rule.id
        assert descriptor["help"]["markdown"].startswith(f"# {rule.id} {rule.name}\n")


def test_envelope_and_driver() -> None:
    log = sample_log()
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "hullguard"
    assert driver["version"] == "0.1.0"
    assert "informationUri" not in driver
    assert run["originalUriBaseIds"]["SRCROOT"]["description"]["text"]
    assert run["properties"] == {"suppressedCount": 2, "baselinedCount": 1}


def test_rules_are_those_referenced_sorted_and_indexed() -> None:
    run = sample_log()["runs"][0]
    ids = [d["id"] for d in run["tool"]["driver"]["rules"]]
    # HG697 has no finding; it is listed because a notification says it crashed.
    assert ids == ["HG299", "HG399", "HG697", "HG698", "HG699"]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]


def test_registered_rule_descriptor() -> None:
    run = sample_log()["runs"][0]
    descriptor = run["tool"]["driver"]["rules"][4]
    assert descriptor["id"] == "HG699"
    assert descriptor["name"] == "test-socket-exposed"
    assert descriptor["shortDescription"] == {
        "text": "Flags a service that mounts the engine socket."
    }
    assert descriptor["fullDescription"] == {
        "text": "Flags a service that mounts the engine socket.\n\n"
        "Whoever can talk to the socket owns the host.\n\n"
        "A second paragraph that the text report leaves out."
    }
    assert descriptor["defaultConfiguration"] == {"level": "error"}
    assert descriptor["properties"] == {
        "security-severity": "9.5",
        "tags": ["security", "pillar-6", "pipeline", "external/cwe/cwe-250"],
        "precision": "high",
        "pillar": 6,
        "severity": "critical",
        "references": ["cis-docker:5.32", "cwe:250"],
    }
    markdown = descriptor["help"]["markdown"]
    assert markdown.startswith(
        "# HG699 test-socket-exposed\n\n## What it does\n\n"
        "Flags a service that mounts the engine socket.\n\n## Why is this bad?\n\n"
    )
    assert "\n\n## How to fix\n\nRemove the mount.\n\n## References\n\n" in markdown
    assert markdown.endswith("## References\n\n- `cis-docker:5.32`\n- `cwe:250`")
    text = descriptor["help"]["text"]
    assert text.startswith(
        "HG699 test-socket-exposed\n\nWhat it does\nFlags a service that mounts the engine socket."
        "\n\nWhy is this bad?\nWhoever"
    )
    assert "##" not in text


def test_unregistered_rule_descriptor_comes_from_its_finding() -> None:
    descriptor = sample_log()["runs"][0]["tool"]["driver"]["rules"][0]
    assert descriptor == {
        "id": "HG299",
        "name": "test-runs-as-root",
        "shortDescription": {"text": "test-runs-as-root"},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "security-severity": "8.0",
            "tags": ["security", "pillar-2", "privileges"],
            "precision": "high",
            "pillar": 2,
            "severity": "high",
            "references": [],
        },
    }


@pytest.mark.parametrize(
    ("severity", "score", "level"),
    [
        (Severity.CRITICAL, "9.5", "error"),
        (Severity.HIGH, "8.0", "error"),
        (Severity.MEDIUM, "5.5", "warning"),
        (Severity.LOW, "3.0", "note"),
        (Severity.INFO, "1.0", "note"),
    ],
)
def test_severity_mapping(severity: Severity, score: str, level: str) -> None:
    finding = replace(TOOL_FINDING, rule_id="HG299", severity=severity)
    run = sarif_log(Report(version="0.1.0", findings=(finding,)), rules=lookup)["runs"][0]
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == score
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"] == {"level": level}
    assert run["results"][0]["level"] == level


def test_file_finding_result() -> None:
    assert result_for(sample_log(), "HG699") == {
        "ruleId": "HG699",
        "ruleIndex": 4,
        "level": "error",
        "message": {"text": "service `ci` mounts /var/run/docker.sock"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "docker-compose.yml", "uriBaseId": "SRCROOT"},
                    "region": {"startLine": 12, "startColumn": 7, "endLine": 12, "endColumn": 40},
                    "contextRegion": {
                        "startLine": 12,
                        "snippet": {"text": "      - /var/run/docker.sock:/var/run/docker.sock"},
                    },
                },
                "logicalLocations": [{"fullyQualifiedName": "services.ci.volumes[0]"}],
            }
        ],
        "partialFingerprints": {"hullguard/v1": "3f2a9c0d5e6b7a81"},
        "properties": {
            "pillar": 6,
            "severity": "critical",
            "targetKind": "compose",
            "resource": "services.ci",
            "fix": "use a socket proxy with a read-only allow-list, or remove the mount",
        },
    }


def test_region_holds_only_what_is_known() -> None:
    log = sample_log()
    tool = result_for(log, "HG698")["locations"][0]["physicalLocation"]
    assert tool["region"] == {"startLine": 3}
    root = result_for(log, "HG299")["locations"][0]["physicalLocation"]
    assert root["region"] == {"startLine": 5, "startColumn": 3}


def test_chain_travels_in_properties() -> None:
    properties = result_for(sample_log(), "HG299")["properties"]
    assert properties["chain"] == list(ROOT_FINDING.chain)


def test_live_finding_has_only_a_logical_location() -> None:
    result = result_for(sample_log(), "HG399")
    # GitHub code scanning refuses a log with a result that has no artifact URI: anchored on
    # the container the finding is about
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "container/web", "uriBaseId": "SRCROOT"}
            },
            "logicalLocations": [{"fullyQualifiedName": "container/web:HostConfig.Binds[0]"}],
        }
    ]
    assert result["partialFingerprints"] == {"hullguard/v1": LIVE_FINDING.fingerprint}
    assert result["level"] == "note"


def test_finding_without_fingerprint_or_location() -> None:
    bare = replace(SOCKET_FINDING, location=Location(), fingerprint="")
    result = sarif_log(Report(version="0.1.0", findings=(bare,)), rules=lookup)["runs"][0][
        "results"
    ][0]
    assert result["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": ".", "uriBaseId": "SRCROOT"}}}
    ]
    assert "partialFingerprints" not in result


def test_every_result_has_an_artifact_uri() -> None:
    """What GitHub code scanning requires of every result (it refuses the whole log otherwise)."""
    for result in sample_log()["runs"][0]["results"]:
        for location in result["locations"]:
            assert location["physicalLocation"]["artifactLocation"]["uri"], result


def test_errors_become_notifications() -> None:
    invocation = sample_log()["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2  # broken.yaml could not be read
    parse, crash, suppression = invocation["toolExecutionNotifications"]
    assert parse == {
        "level": "error",
        "message": {"text": "mapping values are not allowed here"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "broken.yaml", "uriBaseId": "SRCROOT"},
                    "region": {"startLine": 3, "startColumn": 9},
                }
            }
        ],
        "properties": {"kind": "parse"},
    }
    assert crash["level"] == "error"
    assert crash["associatedRule"] == {"id": "HG697", "index": 2}
    assert crash["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "api/Dockerfile", "uriBaseId": "SRCROOT"}
    }
    assert crash["properties"] == {"kind": "rule-crash"}
    assert suppression["level"] == "warning"
    assert suppression["properties"] == {"kind": "suppression"}


def test_only_warnings_keep_execution_successful() -> None:
    warning = ErrorEntry(path="x.yml", message="unused suppression", kind=ErrorKind.SUPPRESSION)
    log = sarif_log(Report(version="0.1.0", errors=(warning,)), rules=lookup)
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app/Dockerfile", {"uri": "app/Dockerfile", "uriBaseId": "SRCROOT"}),
        ("./app/Dockerfile", {"uri": "app/Dockerfile", "uriBaseId": "SRCROOT"}),
        ("my app/Docker file", {"uri": "my%20app/Docker%20file", "uriBaseId": "SRCROOT"}),
        ("deploy\\k8s.yaml", {"uri": "deploy/k8s.yaml", "uriBaseId": "SRCROOT"}),
        ("/etc/docker/daemon.json", {"uri": "file:///etc/docker/daemon.json"}),
        ("C:\\ci\\Dockerfile", {"uri": "file:///C:/ci/Dockerfile"}),
    ],
)
def test_artifact_location(path: str, expected: dict[str, str]) -> None:
    assert artifact_location(path) == expected


def test_absolute_path_report_is_valid(validator: Any) -> None:
    host = replace(LIVE_FINDING, location=Location(path="/etc/docker/daemon.json", line=1))
    assert_valid(validator, sarif_log(Report(version="0.1.0", findings=(host,)), rules=lookup))


def test_output_is_indented_json_with_trailing_newline() -> None:
    text = render_sarif(sample_report(), rules=lookup)
    assert text.startswith('{\n  "$schema": ')
    assert text.endswith("}\n")


def test_dispatch_uses_the_registry() -> None:
    report = Report(version="0.1.0", findings=(LIVE_FINDING,))
    log = json.loads(render(report, "sarif", color=False))
    assert log["runs"][0]["results"][0]["ruleId"] == "HG399"
