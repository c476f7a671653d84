"""What a Trivy or Grype user expects of vulnerability findings in reports: the JSON
`vulnerability` object, valid SARIF with one identity per advisory and package, baselines
that keep them apart, `--severity` as Trivy spells it, and inline suppressions in lock files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hullguard.cli import main
from hullguard.engine import _fingerprint_key
from hullguard.model import Finding, Location, Severity
from hullguard.vuln.model import Advisory, Affected, Event, Range, SeverityScore
from hullguard.vuln.store import DatabaseWriter, Feed
from tests.render.test_sarif import SCHEMA_FILE, assert_valid
from tests.vuln.test_vuln_pass import CRITICAL, LOW

REQUIREMENTS = "alpha==1.0\nbeta==1.0\n"


@pytest.fixture
def sarif_validator() -> Any:
    """The SARIF 2.1.0 schema's validator, as tests/render/test_sarif.py builds it."""
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"the shared SARIF schema is not beside the checkout ({SCHEMA_FILE} absent)")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def advisory(vuln_id: str, package: str, vector: str | None, *aliases: str) -> Advisory:
    events = (Event("introduced", "0"), Event("fixed", "2.0"))
    return Advisory(
        vuln_id,
        "osv:PyPI",
        aliases=aliases,
        severity=(SeverityScore("CVSS_V3", vector),) if vector else (),
        affected=(Affected("PyPI", package, (Range("ECOSYSTEM", events),)),),
    )


def write_db(path: Path, *advisories: Advisory) -> Path:
    with DatabaseWriter(path, fresh=True) as writer:
        writer.start_feed(Feed("osv:PyPI", "osv", "test"))
        for item in advisories:
            writer.put("osv:PyPI", item)
        writer.commit()
    return path


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    monkeypatch.chdir(project)
    return project


def scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", ".", "--fail-on", "never", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_json_vulnerability_object_has_the_designed_fields(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = write_db(tree.parent / "v.db", advisory("PYSEC-1", "alpha", CRITICAL, "CVE-2024-1"))
    _, report = scan(capsys, "--db", str(db), "--format", "json")
    (finding,) = report["findings"]
    vulnerability = finding["vulnerability"]
    assert {
        key: vulnerability[key]
        for key in ("id", "aliases", "package", "ecosystem", "installed_version", "fixed_version")
    } == {
        "id": "PYSEC-1",
        "aliases": ["CVE-2024-1"],
        "package": "alpha",
        "ecosystem": "PyPI",
        "installed_version": "1.0",
        "fixed_version": "2.0",
    }
    assert vulnerability["cvss"]["vector"] == CRITICAL
    assert finding["severity"] == "critical"


def test_unknown_severity_is_medium_and_says_so_in_every_format(
    tree: Path, capsys: pytest.CaptureFixture[str], sarif_validator: Any
) -> None:
    db = write_db(tree.parent / "v.db", advisory("PYSEC-7", "alpha", None))
    _, report = scan(capsys, "--db", str(db), "--format", "json")
    (finding,) = report["findings"]
    assert finding["severity"] == "medium"
    assert finding["vulnerability"]["severity_source"] == "unknown"
    assert "severity unknown" in finding["message"]
    _, sarif = scan(capsys, "--db", str(db), "--format", "sarif")
    assert_valid(sarif_validator, sarif)
    (result,) = sarif["runs"][0]["results"]
    assert result["level"] == "warning" and result["properties"]["severity"] == "medium"
    assert "severity unknown" in result["message"]["text"]
    main(["scan", ".", "--fail-on", "never", "--db", str(db), "--no-color"])
    assert "severity unknown" in capsys.readouterr().out


def test_sarif_keeps_each_advisory_of_a_package_apart(
    tree: Path, capsys: pytest.CaptureFixture[str], sarif_validator: Any
) -> None:
    db = write_db(
        tree.parent / "v.db",
        advisory("PYSEC-1", "alpha", CRITICAL),
        advisory("PYSEC-2", "alpha", LOW),
        advisory("PYSEC-3", "beta", LOW),
    )
    _, sarif = scan(capsys, "--db", str(db), "--format", "sarif")
    assert_valid(sarif_validator, sarif)
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["message"]["text"].split()[0]) for r in results] == [
        ("HG631", "PYSEC-1"),
        ("HG631", "PYSEC-2"),
        ("HG631", "PYSEC-3"),
    ]
    fingerprints = {r["partialFingerprints"]["hullguard/v1"] for r in results}
    assert len(fingerprints) == 3


def test_a_baseline_hides_only_the_advisories_it_holds(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = write_db(tree.parent / "v.db", advisory("PYSEC-1", "alpha", CRITICAL))
    baseline = tree.parent / "baseline.json"
    main(["scan", ".", "--db", str(db), "--format", "json", "--output", str(baseline)])
    capsys.readouterr()
    write_db(  # a new advisory for the same package line, and one for another package
        db,
        advisory("PYSEC-1", "alpha", CRITICAL),
        advisory("PYSEC-2", "alpha", CRITICAL),
        advisory("PYSEC-3", "beta", CRITICAL),
    )
    _, report = scan(capsys, "--db", str(db), "--format", "json", "--baseline", str(baseline))
    found = [(f["vulnerability"]["id"], f["vulnerability"]["package"]) for f in report["findings"]]
    assert found == [("PYSEC-2", "alpha"), ("PYSEC-3", "beta")]


def test_severity_accepts_trivy_spelling(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = write_db(
        tree.parent / "v.db",
        advisory("PYSEC-1", "alpha", CRITICAL),
        advisory("PYSEC-3", "beta", LOW),
    )
    code, report = scan(capsys, "--db", str(db), "--format", "json", "--severity", "HIGH,CRITICAL")
    assert code == 0
    assert [f["vulnerability"]["id"] for f in report["findings"]] == ["PYSEC-1"]


def test_fail_on_judges_what_the_severity_filter_kept(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = write_db(tree.parent / "v.db", advisory("PYSEC-3", "beta", LOW))
    argv = ["scan", ".", "--db", str(db), "--format", "json", "--fail-on", "low"]
    assert main(argv) == 1
    capsys.readouterr()
    assert main([*argv, "--severity", "critical"]) == 0  # the low one is filtered out first
    capsys.readouterr()


def test_inline_suppression_on_a_requirements_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "requirements.txt").write_text(
        "alpha==1.0  # hullguard: ignore[HG631] only the CLI extra is affected\n"
        "# hullguard: ignore[vulnerable-locked-dependency] build-time tool, never shipped\n"
        "beta==1.0\n",
        encoding="utf-8",
    )
    db = write_db(
        tree.parent / "v.db",
        advisory("PYSEC-1", "alpha", CRITICAL),
        advisory("PYSEC-3", "beta", LOW),
    )
    _, report = scan(capsys, "--db", str(db), "--format", "json")
    assert report["findings"] == []
    assert report["errors"] == []


def test_inline_suppression_in_go_mod(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """go.mod's comments start with `//`: directives written that way silence its lines."""
    (tree / "requirements.txt").unlink()
    (tree / "go.mod").write_text(
        "module example.com/app\n\ngo 1.21\n\nrequire (\n"
        "\t// hullguard: ignore[HG631] the affected package is never imported\n"
        "\texample.com/alpha v1.0.0\n"
        "\texample.com/beta v1.0.0 // indirect\n"
        ")\n",
        encoding="utf-8",
    )
    events = (Event("introduced", "0"), Event("fixed", "1.2.0"))
    db = tree.parent / "v.db"
    with DatabaseWriter(db, fresh=True) as writer:
        writer.start_feed(Feed("osv:Go", "osv", "test"))
        for vuln_id, module in (("GO-1", "example.com/alpha"), ("GO-2", "example.com/beta")):
            affected = Affected("Go", module, (Range("SEMVER", events),))
            writer.put("osv:Go", Advisory(vuln_id, "osv:Go", affected=(affected,)))
        writer.commit()
    _, report = scan(capsys, "--db", str(db), "--format", "json")
    assert [(f["vulnerability"]["id"], f["location"]["line"]) for f in report["findings"]] == [
        ("GO-2", 8)
    ]
    assert report["errors"] == []


def test_severity_unknown_as_trivy_spells_it_is_explained(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = write_db(tree.parent / "v.db", advisory("PYSEC-7", "alpha", None))
    assert main(["scan", ".", "--db", str(db), "--severity", "UNKNOWN,HIGH,CRITICAL"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "`unknown` is not a level here: a vulnerability with no CVSS vector or rating is" in err
    _, report = scan(capsys, "--db", str(db), "--format", "json", "--severity", "MEDIUM")
    assert [f["vulnerability"]["id"] for f in report["findings"]] == ["PYSEC-7"]


def test_a_baselined_vulnerability_stays_baselined_when_its_package_moves_but_stays_affected(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its identity is the advisory, the package and the file: a new pin that is still below
    the fix, or the line moving, is the same accepted vulnerability (as an alert keeps its
    identity on code-scanning services until the fix lands)."""
    db = write_db(
        tree.parent / "v.db",
        advisory("PYSEC-1", "alpha", CRITICAL),
        advisory("PYSEC-3", "beta", CRITICAL),
    )
    baseline = tree.parent / "baseline.json"
    main(["scan", ".", "--db", str(db), "--format", "json", "--output", str(baseline)])
    capsys.readouterr()
    (tree / "requirements.txt").write_text("gamma==3.0\nbeta==1.0\nalpha==1.5\n", encoding="utf-8")
    _, report = scan(capsys, "--db", str(db), "--format", "json", "--baseline", str(baseline))
    assert report["findings"] == []
    assert report["summary"]["baselined"] == 2


def image_finding(ref: str, origin: str, vuln_id: str = "CVE-2023-4911") -> Finding:
    status = "/var/lib/dpkg/status"
    return Finding(
        "HG630",
        "vulnerable-image-package",
        6,
        Severity.HIGH,
        f"{vuln_id} in libc6",
        "image",
        Location(path=status, logical=f"image/{ref}:{status} ({origin})"),
        resource="libc6@2.36-9",
        vulnerability={"id": vuln_id, "package": "libc6", "ecosystem": "Debian:12"},
    )


def test_image_vulnerability_identity_keeps_the_image_and_drops_the_layer() -> None:
    rebuilt = _fingerprint_key(image_finding("app:1.0", "layer 3, RUN apt-get install -y (x)"))
    assert rebuilt == _fingerprint_key(image_finding("app:1.0", "layer 1, FROM debian:12"))
    assert rebuilt != _fingerprint_key(image_finding("web:1.0", "layer 1, FROM debian:12"))
    assert rebuilt != _fingerprint_key(image_finding("app:1.0", "layer 1", "CVE-2023-4912"))
