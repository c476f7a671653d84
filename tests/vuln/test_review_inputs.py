"""Bad input given to `db import`, `db update` and the scans: a clear message, the exit code
DESIGN.md gives, and the rest of the work done."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import zipfile
from pathlib import Path

import pytest

from hullguard.cli import main
from hullguard.config import VulnerabilityPolicy
from hullguard.engine import Unit
from hullguard.vuln.scan import PENDING, match_pending
from hullguard.vuln.store import DatabaseWriter, Feed
from tests.vuln.test_db_cli import GOOD, run
from tests.vuln.test_vuln_pass import ALL_RULES, CRITICAL, advisory, package_set


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """An empty configuration file, so that no file above the test folder is read."""
    path = tmp_path / "hullguard.toml"
    path.write_text("")
    return path


def record(vuln_id: str) -> str:
    return json.dumps({**GOOD, "id": vuln_id})


def test_a_fifo_named_like_a_record_is_refused_not_waited_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    fifo = tmp_path / "record.json"
    os.mkfifo(fifo)
    database = tmp_path / "vuln.db"
    code, _, err = run(capsys, "db", "import", "--db", str(database), "-q", str(fifo))
    assert code == 2
    assert f"hullguard: cannot read {fifo}: not a regular file" in err.splitlines()
    assert not database.exists()


def test_a_fifo_inside_a_folder_is_passed_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.mkfifo(data / "a-fifo.json")
    (data / "good.json").write_text(record("PYSEC-0000-1"))
    code, out, err = run(capsys, "db", "import", "--db", str(tmp_path / "v.db"), str(data))
    assert code == 0, err
    assert "osv:PyPI: 1 record" in out.splitlines()


def test_an_empty_zip_named_on_the_command_line_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    empty = tmp_path / "all.zip"
    empty.write_bytes(b"")
    good = tmp_path / "good.json"
    good.write_text(record("PYSEC-0000-1"))
    code, out, err = run(
        capsys, "db", "import", "--db", str(tmp_path / "v.db"), str(empty), str(good)
    )
    assert code == 2
    assert f"hullguard: cannot read {empty}: not a zip archive" in err.splitlines()
    assert "osv:PyPI: 1 record" in out.splitlines()  # the rest is imported


def test_a_zip_member_named_out_of_the_archive_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../../escape.json", record("PYSEC-0000-9"))
        zipped.writestr("/abs.json", record("PYSEC-0000-8"))
        zipped.writestr("PYSEC-0000-1.json", record("PYSEC-0000-1"))
    database = tmp_path / "v.db"
    code, _, err = run(capsys, "db", "import", "--db", str(database), str(archive))
    assert code == 0
    assert f"{archive}:../../escape.json: a member named outside the archive's root; refused" in err
    assert f"{archive}:/abs.json: a member named outside the archive's root; refused" in err
    with sqlite3.connect(database) as raw:
        stored = {row[0] for row in raw.execute("SELECT id FROM advisories")}
    raw.close()
    assert stored == {"PYSEC-0000-1"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://mirror.example", "the OSV URL 'ftp://mirror.example' is not an http(s) URL"),
        ("osv.dev", "the OSV URL 'osv.dev' is not an http(s) URL"),
        ("http://mirror.example/osv", "refusing http://mirror.example/osv: plain HTTP only on"),
    ],
)
def test_a_bad_osv_url_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path, url: str, message: str
) -> None:
    argv = ["db", "update", "--db", str(tmp_path / "v.db"), "--ecosystem", "PyPI"]
    code, _, err = run(capsys, *argv, "--osv-url", url, "--config", str(config))
    assert code == 2
    assert err.startswith(f"hullguard: {message}")


def test_an_unreachable_osv_url_says_why_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    argv = ["db", "update", "--db", str(tmp_path / "v.db"), "--ecosystem", "PyPI", "-q"]
    code, _, err = run(capsys, *argv, "--osv-url", url, "--config", str(config))
    assert code == 1
    assert err == (
        f"hullguard: update failed: {url}/PyPI/all.zip: Connection refused; "
        f"the database at {tmp_path / 'v.db'} was left as it was\n"
    )


def test_an_old_database_is_warned_of_once_per_run_not_per_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "vuln.db"
    with DatabaseWriter(db, fresh=True) as writer:
        writer.start_feed(Feed("osv:PyPI", "osv", "test"))
        writer.put("osv:PyPI", advisory("PYSEC-1", "alpha", "2.0", CRITICAL))
        writer.commit()
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'updated_at'", (old,))
    connection.close()
    policy = VulnerabilityPolicy(db=str(db), max_age_days=7)
    for _ in range(3):  # `image --catalog` judges each image apart
        unit = Unit("lockfile", "requirements.txt", [(PENDING, package_set())])
        result = match_pending([unit], policy, ALL_RULES, cwd=tmp_path)
        assert any("30 days old" in e.message for e in result.errors)  # each report says it
    assert capsys.readouterr().err.count("30 days old") == 1


def test_a_database_path_that_is_a_folder_is_said_to_be_one(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    good = tmp_path / "good.json"
    good.write_text(record("PYSEC-0000-1"))
    monkeypatch.setenv("HULLGUARD_DB", str(folder))
    expected = (
        f"hullguard: {folder} is a folder: the vulnerability database is a file; give its file "
        "path (--db, HULLGUARD_DB or [vulnerabilities].db)\n"
    )
    code, _, err = run(capsys, "db", "import", "-q", "--config", str(config), str(good))
    assert (code, err) == (1, expected)
    code, _, err = run(capsys, "db", "status", "--config", str(config))
    assert (code, err) == (1, expected)


def test_a_database_that_cannot_be_written_names_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    good = tmp_path / "good.json"
    good.write_text(record("PYSEC-0000-1"))
    database = blocker / "vuln.db"
    code, _, err = run(capsys, "db", "import", "-q", "--db", str(database), str(good))
    assert code == 1
    assert err == f"hullguard: cannot write {database}: {blocker} is not a folder\n"
    inside = blocker / "deeper" / "vuln.db"
    code, _, err = run(capsys, "db", "import", "-q", "--db", str(inside), str(good))
    assert code == 1
    assert err == (
        f"hullguard: cannot write {inside}: the folder {inside.parent} does not take a new file "
        "(Not a directory)\n"
    )


def test_records_of_an_ecosystem_without_a_version_order_are_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    unknown = json.loads(record("FOO-1"))
    unknown["affected"][0]["package"]["ecosystem"] = "Foo"
    (tmp_path / "foo.json").write_text(json.dumps(unknown))
    (tmp_path / "good.json").write_text(record("PYSEC-0000-1"))
    argv = ["db", "import", "--db", str(tmp_path / "v.db"), "--config", str(config)]
    code, out, err = run(capsys, *argv, str(tmp_path / "foo.json"), str(tmp_path / "good.json"))
    assert code == 0
    assert out.splitlines()[:2] == ["osv:Foo: 1 record", "osv:PyPI: 1 record"]
    assert err.splitlines() == [
        "hullguard: osv:Foo: no version order is known for this ecosystem; its records are "
        "stored but no package is matched against them"
    ]


def test_a_fifo_named_like_a_lock_file_in_a_tree_is_skipped_not_waited_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    os.mkfifo(tree / "poetry.lock")
    (tree / "requirements.txt").write_text("alpha==1.0\n")
    db = tmp_path / "vuln.db"
    with DatabaseWriter(db, fresh=True) as writer:
        writer.start_feed(Feed("osv:PyPI", "osv", "test"))
        writer.put("osv:PyPI", advisory("PYSEC-1", "alpha", "2.0", CRITICAL))
        writer.commit()
    monkeypatch.chdir(tree)
    code = main(["scan", ".", "--db", str(db), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # the rest is scanned: alpha's vulnerability
    assert [f["vulnerability"]["id"] for f in report["findings"]] == ["PYSEC-1"]
    assert {"kind": "lockfile", "path": "poetry.lock", "status": "skipped"}.items() <= (
        report["targets"][0].items()
    )
    assert report["errors"] == [
        {
            "path": "poetry.lock",
            "line": None,
            "message": "skipped: not a regular file (a FIFO, socket or device)",
            "kind": "read",
        }
    ]
