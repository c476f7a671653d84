"""`hullguard db import|update|status` through the command line."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hullguard.cli import main
from tests.conftest import shared_path
from tests.vuln.test_update import OsvServer, _zip

GOOD = {
    "id": "PYSEC-0000-1",
    "modified": "2024-05-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Demo"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}],
        }
    ],
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """An empty configuration file, so that no file above the test folder is read."""
    path = tmp_path / "hullguard.toml"
    path.write_text("")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.json").write_text(json.dumps(GOOD))
    (data / "bad.yaml").write_text("id: PYSEC-BAD\naffected: {not: [a list\n")
    secdb = shared_path("data", "vuln", "alpine-secdb", "alpine", "v3.19", "main.json")
    shutil.copy(secdb, data / "main.json")
    db = tmp_path / "db" / "vuln.db"

    code, out, err = run(
        capsys, "db", "import", "--db", str(db), "--config", str(config), str(data)
    )
    assert code == 0
    lines = out.splitlines()
    assert "osv:PyPI: 1 record" in lines
    assert any(line.startswith("alpine-secdb:v3.19/main: ") for line in lines)
    assert lines[-1].startswith(f"imported 3 files into {db}: ")
    assert "2 records skipped:" in err
    assert f"{data / 'main.json'}#linux-lts: secfixes '6.6.13-r0': no advisory id in" in err
    assert f"{data / 'bad.yaml'}#PYSEC-BAD: not valid YAML at line" in err
    assert "Alpine secdb entries under version 0" in err

    code, out, err = run(capsys, "db", "status", "--db", str(db), "--config", str(config))
    assert code == 0 and err == ""
    assert f"database: {db}" in out and "schema version: 1" in out
    assert any(line.startswith("osv:PyPI ") and " 1 " in line for line in out.splitlines())

    code, out, _ = run(
        capsys, "db", "status", "--db", str(db), "--format", "json", "--config", str(config)
    )
    document = json.loads(out)
    assert code == 0 and document["stale"] is False
    assert {s["name"] for s in document["sources"]} == {"osv:PyPI", "alpine-secdb:v3.19/main"}
    assert document["size_bytes"] == db.stat().st_size


def test_unreadable_path_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    db = tmp_path / "vuln.db"
    argv = ["db", "import", "--db", str(db), "--config", str(config)]
    code, out, err = run(capsys, *argv, str(tmp_path / "good.json"), str(tmp_path / "nope"))
    assert code == 2
    assert f"hullguard: cannot read {tmp_path / 'nope'}: no such file or folder" in err
    assert "osv:PyPI: 1 record" in out  # the readable path was still imported
    code, out, err = run(capsys, *argv, str(tmp_path / "nope"))
    assert code == 2 and "nothing imported" in out


def test_status_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    db = tmp_path / "none.db"
    code, out, err = run(capsys, "db", "status", "--db", str(db), "--config", str(config))
    assert code == 1 and out == ""
    assert err.strip() == (
        f"hullguard: no vulnerability database at {db}: "
        "run `hullguard db update` or `hullguard db import PATH`"
    )


def test_database_location_from_environment_and_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    monkeypatch.setenv("HULLGUARD_DB", str(tmp_path / "env" / "vuln.db"))
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert run(capsys, "db", "import", "--config", str(empty), str(tmp_path / "good.json"))[0] == 0
    assert (tmp_path / "env" / "vuln.db").is_file()
    configured = tmp_path / "with-db.toml"
    configured.write_text(f'[vulnerabilities]\ndb = "{tmp_path / "cfg.db"}"\nmax-age-days = 3\n')
    assert (
        run(capsys, "db", "import", "--config", str(configured), str(tmp_path / "good.json"))[0]
        == 0
    )
    assert (tmp_path / "cfg.db").is_file()


def test_stale_database_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    db = tmp_path / "vuln.db"
    run(
        capsys,
        "db",
        "import",
        "--db",
        str(db),
        "--config",
        str(config),
        str(tmp_path / "good.json"),
    )
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE meta SET value = '2020-01-01T00:00:00Z' WHERE key = 'updated_at'")
    raw.close()
    code, out, err = run(capsys, "db", "status", "--db", str(db), "--config", str(config))
    assert code == 0 and "updated: 2020-01-01 00:00 UTC" in out
    assert err.startswith(f"warning: the vulnerability database at {db} is ")
    assert "days old (more than 7): run `hullguard db update`" in err


def test_update_command(tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Path) -> None:
    db = tmp_path / "vuln.db"
    with OsvServer() as server:
        server.files["PyPI/all.zip"] = _zip({"PYSEC-0000-1": GOOD})
        argv = ["db", "update", "--db", str(db), "--config", str(config), "--osv-url", server.url]
        code, out, err = run(capsys, *argv, "--ecosystem", "PyPI")
        assert code == 0, err
        assert out.splitlines() == [
            "PyPI: 1 record (whole archive)",
            f"updated {db}: 1 record, {db.stat().st_size / 1e6:.1f} MB",
        ]
        before = db.read_bytes()
        server.files["PyPI/modified_id.csv"] = b"2024-05-01T00:00:00Z,PYSEC-0000-1\n"
        code, out, _ = run(capsys, *argv)  # PyPI is in the database: it is updated again
        assert code == 0 and out.splitlines()[0] == "PyPI: up to date"
        server.modes["PyPI/all.zip"] = "500"
        before = db.read_bytes()
        code, out, err = run(capsys, *argv, "--full")
        assert code == 1
        assert err.strip() == (
            f"hullguard: update failed: {server.url}/PyPI/all.zip: HTTP 500 Internal Server "
            f"Error; the database at {db} was left as it was"
        )
        assert db.read_bytes() == before
    argv = ["db", "update", "--db", str(tmp_path / "x.db"), "--config", str(config)]
    code, _, err = run(capsys, *argv, "--osv-url", "http://osv.example.org", "--ecosystem", "Go")
    assert code == 2 and "plain HTTP only on loopback" in err  # a usage error
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith("hullguard: no ecosystem to update: give --ecosystem")


def test_db_commands_keep_startup_light() -> None:
    """`hullguard.cli` imports `cli_db` at start-up; the store, importers and requests are
    imported only when a db command runs."""
    probe = (
        "import sys, hullguard.cli_db; "
        "print([m for m in ('hullguard.vuln.store', 'hullguard.vuln.update', 'requests', "
        "'sqlite3', 'yaml') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_interrupted_update_says_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hullguard.vuln.update as update

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(update, "update_database", interrupted)
    db = tmp_path / "vuln.db"
    argv = ["db", "update", "--db", str(db), "--config", str(config), "--ecosystem", "Go"]
    code, out, err = run(capsys, *argv)
    assert code == 130 and out == ""
    assert err.strip() == f"hullguard: interrupted; the database at {db} was left as it was"
