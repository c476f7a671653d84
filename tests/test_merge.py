"""`hullguard merge` and reading reports back: real reports (scan, host, image) made by the CLI,
round-tripped through JSON, merged with duplicates, several hosts and broken files."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from hullguard import __version__
from hullguard.cli import main
from hullguard.merge import finding_target, merge_files, read_report
from hullguard.model import Finding, Location, Report, Severity
from hullguard.render import FORMATS, render

DOCKERFILE = (
    "FROM ubuntu:latest\n"
    "RUN apt-get update && apt-get install -y curl sudo\n"
    "ENV API_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345\n"
)
COMPOSE = (
    "services:\n"
    "  ci:\n"
    "    image: docker:24\n"
    "    privileged: true\n"
    "    volumes:\n"
    "      - /var/run/docker.sock:/var/run/docker.sock\n"
)
DAEMON_JSON = '{"icc": true, "live-restore": false}\n'


def _cli(*args: str) -> int:
    return main(list(args))


def _scan_report(tree: Any, tmp_path: Path, name: str = "scan.json") -> Path:
    root = tree({"src/Dockerfile": DOCKERFILE, "src/docker-compose.yml": COMPOSE})
    out = tmp_path / name
    assert _cli("scan", str(root / "src"), "--format", "json", "-o", str(out)) == 1
    return out


def _host_report(tmp_path: Path, node: str, name: str | None = None) -> Path:
    """A real host audit of a small root filesystem whose /etc/hostname names `node`."""
    root = tmp_path / f"root-{node}"
    (root / "etc" / "docker").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "hostname").write_text(f"{node}\n")
    (root / "etc" / "docker" / "daemon.json").write_text(DAEMON_JSON)
    (root / "etc" / "group").write_text("root:x:0:\ndocker:x:999:alice\n")
    (root / "etc" / "passwd").write_text(
        "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n"
    )
    out = tmp_path / (name or f"{node}.json")
    code = _cli(
        "host", "--root", str(root), "--docker-host", f"unix://{tmp_path}/no-daemon.sock",
        "--format", "json", "-o", str(out), "--fail-on", "never",
    )  # fmt: skip
    assert code == 2  # the daemon cannot be reached: an unreadable target
    return out


def _image_report(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "shadow").write_text("root:$6$salt$hash:19000:0:99999:7:::\n")
    (rootfs / "root").mkdir()
    (rootfs / "root" / ".bash_history").write_text("docker login -p hunter2 registry\n")
    out = tmp_path / "image.json"
    _cli("image", f"dir:{rootfs}", "--format", "json", "-o", str(out), "--fail-on", "never")
    return out


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _keys(document: dict[str, Any]) -> set[str]:
    return {json.dumps(f, sort_keys=True) for f in document["findings"]}


# --- reading reports back ----------------------------------------------------------------------


def test_real_reports_round_trip_through_from_dict(tree: Any, tmp_path: Path) -> None:
    reports = [
        _scan_report(tree, tmp_path),
        _host_report(tmp_path, "node-a"),
        _image_report(tmp_path),
    ]
    for path in reports:
        document = _load(path)
        assert document["findings"], path
        report = Report.from_dict(document)
        assert report.to_dict() == document
        assert all(isinstance(f, Finding) for f in report.findings)
        assert {f.severity for f in report.findings} <= set(Severity)
        for finding in report.findings:
            assert Finding.from_dict(finding.to_dict()) == finding


def test_reports_record_their_origin(tree: Any, tmp_path: Path) -> None:
    assert _load(_scan_report(tree, tmp_path))["origin"] == {
        "host": socket.gethostname(),
        "command": "scan",
    }
    assert _load(_host_report(tmp_path, "node-a"))["origin"] == {
        "host": "node-a",
        "command": "host",
    }
    assert _load(_image_report(tmp_path))["origin"]["command"] == "image"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"schema": "other/v1"}, "not a hullguard/report/v1 report"),
        ({"schema": "hullguard/report/v1", "findings": {}}, "findings: expected a list"),
        (
            {"schema": "hullguard/report/v1", "findings": [{"rule_id": "HG101"}]},
            "findings[0].severity: missing",
        ),
        (
            {
                "schema": "hullguard/report/v1",
                "targets": [{"kind": "k", "path": "p", "status": "odd"}],
            },
            "targets[0].status: unknown status 'odd'",
        ),
    ],
)
def test_from_dict_names_the_field_that_is_wrong(document: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        Report.from_dict(document)
    assert problem in str(raised.value)


def test_a_finding_with_a_bad_severity_is_refused(tree: Any, tmp_path: Path) -> None:
    document = _load(_scan_report(tree, tmp_path))
    document["findings"][1]["severity"] = "dire"
    with pytest.raises(ValueError, match=r"findings\[1\]\.severity: unknown severity 'dire'"):
        Report.from_dict(document)


# --- merging ----------------------------------------------------------------------------------


def test_overlapping_reports_are_deduplicated(tree: Any, tmp_path: Path) -> None:
    scan = _scan_report(tree, tmp_path)
    image = _image_report(tmp_path)
    scan_copy, image_copy = tmp_path / "scan-copy.json", tmp_path / "image-copy.json"
    scan_copy.write_bytes(scan.read_bytes())
    image_copy.write_bytes(image.read_bytes())
    once = merge_files([scan, image])
    twice = merge_files([scan, image, scan_copy, image_copy])
    assert once.to_dict()["findings"] == twice.to_dict()["findings"]
    assert once.targets == twice.targets
    assert len(once.findings) == len(_load(scan)["findings"]) + len(_load(image)["findings"])
    assert twice.fleet is not None
    assert twice.fleet["duplicates"] == len(once.findings)
    files = [str(scan), str(image), str(scan_copy), str(image_copy)]
    assert [r["file"] for r in twice.fleet["reports"]] == files
    assert twice.exit_code() == 1


def test_a_file_named_twice_is_read_once(tree: Any, tmp_path: Path) -> None:
    """Overlapping globs (`shards/*.json shards/0.json`) name a file twice: it is one report."""
    scan = _scan_report(tree, tmp_path)
    same = tmp_path / "." / "scan.json"
    merged = merge_files([scan, same, scan])
    assert merged.fleet is not None
    assert [r["file"] for r in merged.fleet["reports"]] == [str(scan)]
    assert merged.fleet["duplicates"] == 0


def test_a_merged_report_is_not_scoped_again(tree: Any, tmp_path: Path) -> None:
    """A fleet report merged with more reports keeps its host scopes and deduplicates against
    the host reports it already holds."""
    scan = _scan_report(tree, tmp_path)
    node_a, node_b = _host_report(tmp_path, "node-a"), _host_report(tmp_path, "node-b")
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps(merge_files([node_a, node_b, scan]).to_dict()))
    again = merge_files([fleet, node_a])
    first = merge_files([node_a, node_b, scan])
    assert again.to_dict()["findings"] == first.to_dict()["findings"]
    assert sorted(t.path for t in again.targets) == sorted(t.path for t in first.targets)
    # The hosts of the fleet report are still summarised, with the files that hold them.
    assert again.fleet is not None and first.fleet is not None
    hosts = {h["host"]: h for h in again.fleet["hosts"]}
    assert set(hosts) == {"node-a", "node-b"}
    assert hosts["node-a"]["reports"] == [str(fleet), str(node_a)]
    assert hosts["node-b"]["reports"] == [str(fleet)]
    for entry in first.fleet["hosts"]:
        assert hosts[entry["host"]]["by_severity"] == entry["by_severity"]
        assert hosts[entry["host"]]["findings"] == entry["findings"] > 0


def test_a_host_finding_has_a_fingerprint_per_host(tmp_path: Path) -> None:
    """The same daemon setting on two nodes: two findings with two fingerprints, so that GitLab
    (one issue per fingerprint) shows both and a baseline accepts it on one node only."""
    node_a, node_b = _host_report(tmp_path, "node-a"), _host_report(tmp_path, "node-b")
    merged = merge_files([node_a, node_b])
    fingerprints = [f.fingerprint for f in merged.findings]
    assert len(fingerprints) == len(_load(node_a)["findings"]) * 2
    assert len(set(fingerprints)) == len(fingerprints)
    issues = json.loads(render(merged, "gitlab", color=False))
    assert len({i["fingerprint"] for i in issues}) == len(merged.findings)
    # Merging the same node again gives the same fingerprints (a fleet baseline stays valid).
    assert [f.fingerprint for f in merge_files([node_a, node_b]).findings] == fingerprints


def test_hosts_keep_their_own_findings(tmp_path: Path) -> None:
    node_a = _host_report(tmp_path, "node-a")
    node_b = _host_report(tmp_path, "node-b")
    again_a = _host_report(tmp_path, "node-a", "node-a-again.json")
    merged = merge_files([node_a, node_b, again_a])
    a, b = _load(node_a), _load(node_b)
    # The same settings on two nodes are two findings each, told apart by the node's name.
    assert len(merged.findings) == len(a["findings"]) + len(b["findings"])
    for finding in merged.findings:
        where = finding.location.path or finding.location.logical or ""
        assert where.startswith(("node-a:", "node-b:")), where
    assert sorted(t.path for t in merged.targets if t.kind == "host") == [
        f"node-a:{tmp_path}/root-node-a",
        f"node-b:{tmp_path}/root-node-b",
    ]
    assert merged.fleet is not None
    hosts = {h["host"]: h for h in merged.fleet["hosts"]}
    assert set(hosts) == {"node-a", "node-b"}
    assert hosts["node-a"]["reports"] == [str(node_a), str(again_a)]
    assert hosts["node-a"]["findings"] == len(a["findings"])
    assert sum(hosts["node-b"]["by_pillar"].values()) == len(b["findings"])
    assert merged.fleet["duplicates"] == len(a["findings"])
    assert merged.exit_code() == 2  # no node's daemon could be reached
    assert sum(1 for e in merged.errors if "no-daemon.sock" in e.message) == 2


def test_a_host_report_without_origin_is_scoped_by_its_file_name(tmp_path: Path) -> None:
    document = _load(_host_report(tmp_path, "node-a"))
    del document["origin"]
    older = tmp_path / "old-node.json"
    older.write_text(json.dumps(document))
    merged = merge_files([older])
    assert merged.findings
    assert all(
        (f.location.path or f.location.logical or "").startswith("old-node.json:")
        for f in merged.findings
    )
    assert merged.fleet is not None
    assert [h["host"] for h in merged.fleet["hosts"]] == ["old-node.json"]


def test_unreadable_files_are_error_entries_and_the_rest_is_merged(
    tree: Any, tmp_path: Path
) -> None:
    scan = _scan_report(tree, tmp_path)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{\n  "schema": "hullguard/report/v1",\n  "findings": [\n')
    other = tmp_path / "other.json"
    other.write_text('{"schema": "sarif"}')
    missing = tmp_path / "missing.json"
    merged = merge_files([scan, corrupt, other, missing])
    assert _keys(merged.to_dict()) == _keys(_load(scan))
    errors = {e.path: e for e in merged.errors}
    assert errors[str(corrupt)].line == 4 and errors[str(corrupt)].message.startswith("not JSON")
    assert "not a hullguard/report/v1 report" in errors[str(other)].message
    assert "No such file or directory" in errors[str(missing)].message
    unreadable = {t.path for t in merged.unreadable_targets()}
    assert unreadable == {str(corrupt), str(other), str(missing)}
    assert merged.exit_code() == 2
    assert read_report(corrupt).report is None


def test_image_findings_are_summarised_per_image(tree: Any, tmp_path: Path) -> None:
    image = _image_report(tmp_path)
    merged = merge_files([_scan_report(tree, tmp_path), image])
    assert merged.fleet is not None
    (entry,) = merged.fleet["images"]
    assert entry["image"] == f"dir:{tmp_path}/rootfs"
    assert entry["findings"] == len(_load(image)["findings"]) > 0
    assert entry["status"] == "ok"


# --- the command ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_merge_renders_in_every_format(
    fmt: str, tree: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = _scan_report(tree, tmp_path)
    node = _host_report(tmp_path, "node-a")
    capsys.readouterr()
    assert _cli("merge", str(scan), str(node), "--format", fmt, "--no-color") == 2
    output = capsys.readouterr().out
    assert output.strip()
    report = merge_files([scan, node])
    assert output.rstrip("\n") == render(report, fmt, color=False).rstrip("\n")


def test_merge_json_and_text_show_the_fleet(
    tree: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = _scan_report(tree, tmp_path)
    node = _host_report(tmp_path, "node-a")
    out = tmp_path / "fleet.json"
    assert _cli("merge", str(scan), str(node), "--format", "json", "-o", str(out)) == 2
    document = _load(out)
    assert document["schema"] == "hullguard/report/v1"
    assert [r["command"] for r in document["fleet"]["reports"]] == ["scan", "host"]
    assert Report.from_dict(document).to_dict() == document
    capsys.readouterr()
    _cli("merge", str(scan), str(node), "--no-color")
    text = capsys.readouterr().out
    assert "Fleet" in text and "scan.json" in text and "node-a" in text


def test_merge_fail_on(tree: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scan = _scan_report(tree, tmp_path)
    assert _cli("merge", str(scan), "--format", "json") == 1
    assert _cli("merge", str(scan), "--format", "json", "--fail-on", "never") == 0
    assert _cli("merge", str(scan), "--fail-on", "dire") == 2
    assert "unknown severity 'dire'" in capsys.readouterr().err
    assert _cli("merge") == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty: not a report"),
        ("  \n", "empty: not a report"),
        (
            '{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",'
            ' "runs": []}',
            "a SARIF log, not a hullguard report",
        ),
        (
            '{"schema": "hullguard/report/v2", "findings": []}',
            "not a hullguard/report/v1 report (its schema is 'hullguard/report/v2')",
        ),
        ('{"findings": []}', "not a hullguard/report/v1 report (it names no schema)"),
        ("[]", "not a hullguard/report/v1 report (it names no schema)"),
    ],
)
def test_a_file_that_is_not_a_report_says_what_it_is(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "given.json"
    path.write_text(content)
    source = read_report(path)
    assert source.report is None and source.error is not None
    assert source.error.message.startswith(problem), source.error.message
    assert "report: not a" not in source.error.message  # said once


def test_a_folder_among_the_reports_is_an_error_entry(
    tree: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hullguard merge reports/*` where `reports/` holds a folder too: the folder is an
    unreadable entry (exit 2) and the reports are still merged, as for a missing file."""
    scan = _scan_report(tree, tmp_path)
    folder = tmp_path / "old"
    folder.mkdir()
    assert _cli("merge", str(scan), str(folder), "--format", "json") == 2
    merged = json.loads(capsys.readouterr().out)
    assert _keys(merged) == _keys(_load(scan))
    assert merged["errors"] == [
        {
            "path": str(folder),
            "line": None,
            "message": "a folder, not a report: name the report files in it",
            "kind": "read",
        }
    ]


def test_a_value_this_version_does_not_know_is_named(tree: Any, tmp_path: Path) -> None:
    document = _load(_scan_report(tree, tmp_path))
    document["targets"][0]["status"] = "partial"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(document))
    source = read_report(newer)
    assert source.error is not None
    assert source.error.message == (
        f"a hullguard/report/v1 report that hullguard {__version__} cannot read "
        "(targets[0].status: unknown status 'partial'); a newer version's report needs a merge "
        "by that version"
    )


def test_unknown_fields_of_a_newer_report_are_ignored(tree: Any, tmp_path: Path) -> None:
    document = _load(_scan_report(tree, tmp_path))
    document["added_later"] = {"x": 1}
    for finding in document["findings"]:
        finding["added_later"] = [1, 2]
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(document))
    merged = merge_files([newer])
    assert merged.errors == () and len(merged.findings) == len(document["findings"])


def test_merge_reads_a_report_from_standard_input(
    tree: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = _scan_report(tree, tmp_path)
    node = _host_report(tmp_path, "node-a")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(scan.read_bytes())))
    assert _cli("merge", "-", str(node), "--format", "json", "--fail-on", "never") == 2
    merged = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in merged["fleet"]["reports"]] == ["-", str(node)]
    assert _keys(_load(scan)) <= _keys(merged)


def test_merge_baseline(tree: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`merge --baseline FLEET.json` reports only what is new since that fleet report; a host
    finding accepted on one node is still reported on another."""
    scan = _scan_report(tree, tmp_path)
    node_a, node_b = _host_report(tmp_path, "node-a"), _host_report(tmp_path, "node-b")
    accepted = tmp_path / "accepted.json"
    assert _cli("merge", str(scan), str(node_a), "--format", "json", "-o", str(accepted)) == 2
    assert _cli("merge", str(scan), str(node_a), "--baseline", str(accepted)) == 2
    code = _cli(
        "merge", str(scan), str(node_a), str(node_b), "--baseline", str(accepted),
        "--format", "json", "-o", str(tmp_path / "new.json"), "--fail-on", "info",
    )  # fmt: skip
    assert code == 2  # the nodes' daemons were unreachable: still exit 2
    new = _load(tmp_path / "new.json")
    wheres = [f["location"]["path"] or f["location"]["logical"] for f in new["findings"]]
    assert wheres and all(w.startswith("node-b:") for w in wheres)
    assert len(new["findings"]) == len(_load(node_b)["findings"])
    assert new["summary"]["baselined"] == len(_load(accepted)["findings"])
    capsys.readouterr()
    # Without unreadable targets, the baseline decides the exit code.
    assert _cli("merge", str(scan), "--fail-on", "info") == 1
    assert _cli("merge", str(scan), "--baseline", str(accepted), "--fail-on", "info") == 0


@pytest.mark.parametrize(
    ("path", "logical", "target"),
    [
        (None, "image/reg:5000/app:1:Config.User", "image/reg:5000/app:1"),
        (None, "image/reg:5000/app:10:Config.User", "image/reg:5000/app"),
        (None, "image/reg:5000/app:1", "image/reg:5000/app:1"),
        (None, "container/web:HostConfig.Privileged", "container/web"),  # no target named
        (None, "daemon", "daemon"),
        ("Dockerfile", "image/reg:5000/app:1:Config", "Dockerfile"),
    ],
)
def test_finding_target_is_the_longest_target_name_before_a_colon(
    path: str | None, logical: str, target: str
) -> None:
    names = {"image/reg:5000/app:1", "image/reg:5000/app", "image/reg", "daemon"}
    finding = Finding(
        "HG202", "image-runs-as-root", 2, Severity.HIGH, "m", "image",
        Location(path=path, logical=logical),
    )  # fmt: skip
    assert finding_target(finding, names) == target
