"""The command line: options, formats, exit codes, configuration files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hullguard import __version__
from hullguard.cli import main

BAD = "FROM ubuntu:latest\nRUN apt-get update && apt-get install -y curl\n"


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hullguard", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout == f"hullguard {__version__}\n"


def test_scan_json_contract(tree, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": BAD})
    code = main(["scan", str(root), "--format", "json", "--select", "HG411,HG430"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["schema"] == "hullguard/report/v1"
    assert data["tool"] == {"name": "hullguard", "version": __version__}
    assert data["targets"] == [{"kind": "dockerfile", "path": f"{root}/Dockerfile", "status": "ok"}]
    first = data["findings"][0]
    assert first["rule_id"] == "HG411" and first["rule_name"] == "base-image-mutable-tag"
    assert first["pillar"] == 4 and first["target_kind"] == "dockerfile"
    assert first["location"]["path"] == f"{root}/Dockerfile" and first["location"]["line"] == 1
    assert {"severity", "message", "resource", "fix", "references"} <= set(first)
    assert [f["rule_id"] for f in data["findings"]] == ["HG411", "HG430"]
    assert data["summary"]["by_pillar"] == {"1": 0, "2": 0, "3": 0, "4": 2, "5": 0, "6": 0}


def test_exit_codes_follow_fail_on(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": BAD})
    args = [
        "scan",
        str(root),
        "--select",
        "HG430",
        "--format",
        "json",
        "--output",
        str(root / "r.json"),
    ]
    assert main(args) == 0  # HG430 is low: below the default threshold (medium)
    assert main([*args, "--fail-on", "low"]) == 1
    assert main([*args, "--fail-on", "never"]) == 0


def test_usage_errors_exit_2(tree, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": BAD})
    assert main(["scan", str(root), "--fail-on", "sometimes"]) == 2
    assert "fail-on" in capsys.readouterr().err
    assert main(["scan", str(root), "--select", "HG999"]) == 2
    assert "unknown rule(s): HG999" in capsys.readouterr().err
    assert main(["scan", str(root), "--format", "yaml"]) == 2
    assert main(["scan", str(root), "--baseline", str(root / "Dockerfile")]) == 2
    assert "--baseline" in capsys.readouterr().err


def test_config_file_is_found_and_applied(tree, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "Dockerfile": BAD,
            ".hullguard.toml": 'select = ["HG4"]\nignore = ["HG413"]\nfail-on = "low"\n'
            '[severity]\nHG430 = "high"\n',
        }
    )
    (root / ".git").mkdir()
    code = main(["scan", str(root), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    ids = {f["rule_id"] for f in data["findings"]}
    assert "HG413" not in ids and all(i.startswith("HG4") for i in ids)
    assert next(f for f in data["findings"] if f["rule_id"] == "HG430")["severity"] == "high"


def test_pyproject_tool_table(tree, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": BAD, "pyproject.toml": '[tool.hullguard]\nselect = ["HG411"]\n'})
    main(["scan", str(root), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert {f["rule_id"] for f in data["findings"]} == {"HG411"}


@pytest.mark.parametrize(
    "content, message",
    [
        ("select = [\n", "invalid TOML"),
        ("colour = 1\n", "unknown key(s) colour"),
        ('profile = "strict"\n', "unknown profile 'strict'"),
        ('[severity]\nHG430 = "urgent"\n', "severity.HG430"),
    ],
)
def test_bad_config_is_a_usage_error(tree, capsys, content, message) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": BAD, "conf.toml": content})
    assert main(["scan", str(root), "--config", str(root / "conf.toml")]) == 2
    err = capsys.readouterr().err
    assert message in err and "conf.toml" in err


def test_build_arg_resolves_the_base_image(tree, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": "ARG BASE\nFROM ${BASE}\nUSER app\n"})
    main(["scan", str(root), "--format", "json", "--select", "HG411,HG412"])
    assert [f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["HG412"]
    main(
        [
            "scan",
            str(root),
            "--format",
            "json",
            "--select",
            "HG411,HG412",
            "--build-arg",
            "BASE=ubuntu:latest",
        ]
    )
    assert [f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["HG411"]


def test_output_file_and_text_format(tree, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": BAD})
    out = root / "report.txt"
    main(["scan", str(root), "--output", str(out)])
    assert capsys.readouterr().out == ""
    text = out.read_text()
    assert "HG411" in text and "\x1b[" not in text


def test_rules_and_explain(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    hg411 = next(r for r in rules if r["id"] == "HG411")
    assert hg411["name"] == "base-image-mutable-tag" and hg411["pillar"] == 4
    assert any(ref.startswith("hadolint:") for ref in hg411["references"])
    assert main(["explain", "HG411"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("# HG411 `base-image-mutable-tag`") and "## Why is this bad?" in page
    assert main(["explain", "base-image-mutable-tag"]) == 0
    capsys.readouterr()
    assert main(["explain", "HG999"]) == 2
    assert main(["rules", "--format", "markdown", "--pillar", "2"]) == 0
    assert "HG202" in capsys.readouterr().out


def test_sarif_output_is_written(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": BAD})
    out = Path(root / "r.sarif")
    main(["scan", str(root), "--format", "sarif", "--output", str(out)])
    data = json.loads(out.read_text())
    assert data["version"] == "2.1.0"
    assert {r["ruleId"] for r in data["runs"][0]["results"]} >= {"HG411"}


def test_sarif_of_the_example_project_is_valid(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    from tests.conftest import REPO, shared_path

    schema = json.loads(shared_path("schemas", "sarif-schema-2.1.0.json").read_text())
    out = tmp_path / "examples.sarif"
    assert main(["scan", str(REPO / "examples"), "--format", "sarif", "-o", str(out)]) == 1
    data = json.loads(out.read_text())
    jsonschema.validate(data, schema)
    results = data["runs"][0]["results"]
    assert len(results) > 20
    assert all(r["partialFingerprints"]["hullguard/v1"] for r in results)
    rules = data["runs"][0]["tool"]["driver"]["rules"]
    assert all(float(r["properties"]["security-severity"]) > 0 for r in rules)


def test_host_without_the_daemon(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`--no-daemon` audits the root's files only; the daemon is a skipped target, so a node
    without the socket is neither unreadable (exit 2) nor silently incomplete."""
    root = tmp_path / "root"
    (root / "etc" / "docker").mkdir(parents=True)
    (root / "etc" / "docker" / "daemon.json").write_text('{"icc": true}\n', encoding="utf-8")
    code = main(["host", "--no-daemon", "--root", str(root), "--format", "json",
                 "--fail-on", "never", "--docker-host", "unix:///nonexistent.sock"])  # fmt: skip
    assert code == 2
    assert "contradict" in capsys.readouterr().err
    code = main(["host", "--no-daemon", "--root", str(root), "--format", "json",
                 "--fail-on", "never"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    daemon = [t for t in data["targets"] if t["kind"] == "daemon"]
    skipped = {"kind": "daemon", "path": "daemon", "status": "skipped"}
    assert daemon == [{**skipped, "note": "not audited: --no-daemon"}]
    assert not [e for e in data["errors"] if "daemon" in e["message"].lower()]
    assert "HG508" in {f["rule_id"] for f in data["findings"]}  # icc from daemon.json on disk
