"""The pass that matches packages before the rules: no database, an old one, the policy, the
ignore file, the ecosystems recorded for `db update`, and the CLI options that set them."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hullguard.cli import main
from hullguard.config import VulnerabilityPolicy
from hullguard.engine import Unit
from hullguard.model import ErrorKind, Location, Severity
from hullguard.registry import VULNERABILITIES
from hullguard.vuln.model import (
    Advisory,
    Affected,
    Event,
    PackageRef,
    Range,
    SeverityScore,
)
from hullguard.vuln.scan import (
    PENDING,
    LocatedPackage,
    PackageSet,
    Subject,
    VulnerablePackages,
    match_pending,
)
from hullguard.vuln.store import WANTED_FILENAME, DatabaseWriter, Feed

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
LOW = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"
ALL_RULES = ("HG530", "HG630", "HG631")


def advisory(vuln_id: str, package: str, fixed: str | None, vector: str | None) -> Advisory:
    events = [Event("introduced", "0")] + ([Event("fixed", fixed)] if fixed else [])
    return Advisory(
        vuln_id,
        "osv:PyPI",
        severity=(SeverityScore("CVSS_V3", vector),) if vector else (),
        affected=(Affected("PyPI", package, (Range("ECOSYSTEM", tuple(events)),)),),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db" / "vuln.db"
    with DatabaseWriter(path, fresh=True) as writer:
        writer.start_feed(Feed("osv:PyPI", "osv", "test"))
        writer.put("osv:PyPI", advisory("PYSEC-1", "alpha", "2.0", CRITICAL))
        writer.put("osv:PyPI", advisory("PYSEC-2", "alpha", None, CRITICAL))
        writer.put("osv:PyPI", advisory("PYSEC-3", "beta", "1.1", LOW))
        writer.commit()
    return path


def package_set(subject: Subject = Subject.LOCK_FILE) -> PackageSet:
    refs = [
        PackageRef("PyPI", "alpha", "1.0", "alpha", "1.0", "requirements.txt", line=1),
        PackageRef("PyPI", "beta", "1.0", "beta", "1.0", "requirements.txt", line=2),
        PackageRef("npm", "left-pad", "1.0.0", "left-pad", "1.0.0", "requirements.txt", line=3),
    ]
    located = tuple(LocatedPackage(r, Location(path=r.path, line=r.line)) for r in refs)
    return PackageSet(subject, "requirements.txt", located)


def run(policy: VulnerabilityPolicy, **kwargs: Any) -> tuple[Unit, Any]:
    unit = Unit("lockfile", "requirements.txt", [(PENDING, package_set())])
    result = match_pending([unit], policy, ALL_RULES, **kwargs)
    return unit, result


def matched(unit: Unit) -> dict[str, str | None]:
    ((kind, model),) = unit.models
    assert kind == VULNERABILITIES and isinstance(model, VulnerablePackages)
    return {v.match.advisory.id: v.match.fixed_version for v in model.vulnerabilities}


def test_matches_replace_the_pending_set(db: Path, tmp_path: Path) -> None:
    unit, result = run(VulnerabilityPolicy(db=str(db)), cwd=tmp_path)
    assert result.errors == [] and result.ignored == 0
    assert matched(unit) == {"PYSEC-1": "2.0", "PYSEC-2": None, "PYSEC-3": "1.1"}
    wanted = (db.parent / WANTED_FILENAME).read_text(encoding="utf-8").split()
    assert wanted == ["PyPI", "npm"]


def test_policy_filters(db: Path, tmp_path: Path) -> None:
    unit, _ = run(VulnerabilityPolicy(db=str(db), ignore_unfixed=True), cwd=tmp_path)
    assert set(matched(unit)) == {"PYSEC-1", "PYSEC-3"}
    policy = VulnerabilityPolicy(db=str(db), severities=(Severity.CRITICAL,))
    unit, _ = run(policy, cwd=tmp_path)
    assert set(matched(unit)) == {"PYSEC-1", "PYSEC-2"}


def test_ignore_file_in_the_working_folder(db: Path, tmp_path: Path) -> None:
    (tmp_path / ".hullguardignore.yaml").write_text(
        "- id: PYSEC-1\n  reason: not reachable\n"
        "- id: PYSEC-3\n  reason: old acceptance\n  expires: 2026-01-31\n",
        encoding="utf-8",
    )
    unit, result = run(VulnerabilityPolicy(db=str(db)), cwd=tmp_path, today=dt.date(2026, 2, 1))
    assert set(matched(unit)) == {"PYSEC-2", "PYSEC-3"}
    assert result.ignored == 1
    (error,) = result.errors
    assert (error.path, error.line) == (".hullguardignore.yaml", 3)
    assert "expired on 2026-01-31" in error.message


def test_no_database(tmp_path: Path) -> None:
    absent = tmp_path / "none" / "vuln.db"
    unit, result = run(VulnerabilityPolicy(db=str(absent)), cwd=tmp_path)
    assert unit.models == []
    (error,) = result.errors
    assert error.message == (
        f"vulnerabilities not checked: no database at {absent}; run `hullguard db update` or "
        "`hullguard db import`"
    )
    assert error.kind is ErrorKind.READ


def test_unreadable_database(tmp_path: Path) -> None:
    bad = tmp_path / "vuln.db"
    bad.write_bytes(b"not a database at all" * 100)
    unit, result = run(VulnerabilityPolicy(db=str(bad)), cwd=tmp_path)
    assert unit.models == []
    (error,) = result.errors
    assert error.message.startswith("vulnerabilities not checked: ")


def test_old_database_warns_on_stderr_and_in_the_report(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'updated_at'", (old,))
    unit, result = run(VulnerabilityPolicy(db=str(db), max_age_days=7), cwd=tmp_path)
    assert set(matched(unit)) == {"PYSEC-1", "PYSEC-2", "PYSEC-3"}  # still matched
    (error,) = result.errors
    assert "30 days old (more than 7)" in error.message
    assert "30 days old" in capsys.readouterr().err


def test_pending_sets_of_unselected_rules_are_dropped(tmp_path: Path) -> None:
    unit = Unit("lockfile", "requirements.txt", [(PENDING, package_set())])
    absent = tmp_path / "vuln.db"
    result = match_pending([unit], VulnerabilityPolicy(db=str(absent)), ["HG630"])
    assert unit.models == [] and result.errors == []  # HG631 not selected: no database needed


def test_cli_options(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements.txt").write_text("alpha==1.0\nbeta==1.0\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["scan", ".", "--db", str(db), "--format", "json", "--severity", "critical"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    found = [(f["vulnerability"]["id"], f["location"]["line"]) for f in report["findings"]]
    assert found == [("PYSEC-1", 1), ("PYSEC-2", 1)]
    assert {f["rule_id"] for f in report["findings"]} == {"HG631"}
    code = main(["scan", ".", "--db", str(db), "--format", "json", "--ignore-unfixed"])
    report = json.loads(capsys.readouterr().out)
    assert {f["vulnerability"]["id"] for f in report["findings"]} == {"PYSEC-1", "PYSEC-3"}
    assert main(["scan", ".", "--db", str(db), "--severity", "urgent"]) == 2
    assert "urgent" in capsys.readouterr().err
    missing = tmp_path / "elsewhere.db"
    code = main(["scan", ".", "--db", str(missing), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["findings"] == []
    assert [e["message"].split(";")[0] for e in report["errors"]] == [
        f"vulnerabilities not checked: no database at {missing}"
    ]


def test_nothing_to_match_needs_no_database(tmp_path: Path) -> None:
    """An image with no package the matcher knows (FROM scratch and a static binary)."""
    empty = PackageSet(Subject.IMAGE, "scratch-app", ())
    unit = Unit("image", "image/scratch-app", [(PENDING, empty)])
    absent = tmp_path / "vuln.db"
    result = match_pending([unit], VulnerabilityPolicy(db=str(absent)), ALL_RULES)
    assert result.errors == []
    assert unit.models == [(VULNERABILITIES, VulnerablePackages(Subject.IMAGE, "scratch-app", ()))]


def test_a_failure_while_matching_is_an_error_entry(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hullguard.vuln.match as matcher

    def broken(*args: object) -> object:
        raise TypeError("a comparator bug")

    monkeypatch.setattr(matcher, "match", broken)
    unit, result = run(VulnerabilityPolicy(db=str(db)), cwd=tmp_path)
    assert unit.models == []
    (error,) = result.errors
    assert error.path == "requirements.txt"
    assert error.message == (
        "vulnerabilities not checked: matching failed: TypeError: a comparator bug"
    )


def test_a_range_with_an_invalid_version_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    broken = Advisory(
        "PYSEC-9",
        "osv:PyPI",
        affected=(
            Affected(
                "PyPI",
                "alpha",
                (
                    Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "not/a/version"))),
                    Range("ECOSYSTEM", (Event("introduced", "0.5"), Event("fixed", "1.5"))),
                ),
            ),
        ),
    )
    with DatabaseWriter(path, fresh=True) as writer:
        writer.start_feed(Feed("osv:PyPI", "osv", "test"))
        writer.put("osv:PyPI", broken)
        writer.commit()
    unit, result = run(VulnerabilityPolicy(db=str(path)), cwd=tmp_path)
    assert matched(unit) == {"PYSEC-9": "1.5"}  # the readable range still counts
    (error,) = result.errors
    assert error.path == str(path)
    assert error.message == (
        "1 advisory entry of the database had a range skipped: a version in it is not valid in "
        "its ecosystem's order: PYSEC-9 (alpha)"
    )
    twice = [Unit("lockfile", n, [(PENDING, package_set())]) for n in ("a.txt", "b.txt")]
    result = match_pending(twice, VulnerabilityPolicy(db=str(path)), ALL_RULES, cwd=tmp_path)
    assert [e.message.split(":")[0] for e in result.errors] == [  # one entry, counted once
        "1 advisory entry of the database had a range skipped"
    ]


def test_severity_option_filters_vulnerability_findings_only(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements.txt").write_text("beta==1.0\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nUSER root\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(["scan", ".", "--db", str(db), "--format", "json", "--severity", "critical"])
    report = json.loads(capsys.readouterr().out)
    rules = {f["rule_id"] for f in report["findings"]}
    assert "HG631" not in rules  # beta's PYSEC-3 is low
    others = [f for f in report["findings"] if f["location"]["path"] == "Dockerfile"]
    assert others and any(f["severity"] != "critical" for f in others)
