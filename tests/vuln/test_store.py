"""The database store: location, schema versions, lookups, writes, status and staleness."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hullguard.config import VulnerabilityPolicy
from hullguard.vuln.model import (
    Advisory,
    Affected,
    Event,
    Range,
    SeverityScore,
)
from hullguard.vuln.store import (
    LOOKUP_CHUNK,
    SCHEMA_VERSION,
    DatabaseError,
    DatabaseMissing,
    DatabaseWriter,
    DbStatus,
    Feed,
    SourceStatus,
    VulnDB,
    decode_ranges,
    default_db_path,
    encode_ranges,
    pack_groups,
    pack_strings,
    read_wanted_ecosystems,
    record_wanted_ecosystems,
    stale_warning,
    unpack_groups,
    unpack_strings,
)

FULL = Advisory(
    id="GHSA-aaaa-bbbb-cccc",
    source="osv:PyPI",
    aliases=("CVE-2024-0001", "PYSEC-2024-1"),
    summary="A summary",
    details="Details\nover two lines",
    published="2024-01-02T03:04:05Z",
    modified="2024-02-03T04:05:06.123456Z",
    severity=(SeverityScore("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),),
    references=("https://example.org/a", "https://example.org/b"),
    affected=(
        Affected(
            ecosystem="PyPI",
            package="demo-pkg",
            ranges=(
                Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "1.2.3"))),
                Range("ECOSYSTEM", (Event("introduced", "2.0"), Event("last_affected", "2.1"))),
                Range("GIT", (Event("introduced", "abc123"), Event("limit", "def456"))),
            ),
            versions=("1.0", "1.1", "2.0"),
            last_known_affected="<= 2.1",
            rating="high",
        ),
    ),
)


def advisory(
    advisory_id: str,
    package: str,
    *,
    ecosystem: str = "PyPI",
    fixed: str = "1.0",
    source: str = "osv:PyPI",
    withdrawn: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Advisory:
    return Advisory(
        id=advisory_id,
        source=source,
        aliases=aliases,
        withdrawn=withdrawn,
        affected=(
            Affected(
                ecosystem,
                package,
                (Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", fixed))),),
            ),
        ),
    )


def write(path: Path, feed: Feed, *advisories: Advisory) -> DbStatus:
    with DatabaseWriter(path) as writer:
        writer.start_feed(feed)
        for item in advisories:
            writer.put(feed.name, item)
        return writer.commit()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


PYPI = Feed("osv:PyPI", "osv", "test")


# --- location ----------------------------------------------------------------------------------


def test_default_path_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HULLGUARD_DB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_db_path() == tmp_path / "cache" / "hullguard" / "vuln.db"
    monkeypatch.setenv("HULLGUARD_DB", str(tmp_path / "env.db"))
    assert default_db_path() == tmp_path / "env.db"
    assert default_db_path(VulnerabilityPolicy(db=str(tmp_path / "cfg.db"))) == tmp_path / "cfg.db"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path(VulnerabilityPolicy(db="~/x.db")) == tmp_path / "home" / "x.db"
    monkeypatch.delenv("HULLGUARD_DB")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_db_path() == tmp_path / "home" / ".cache" / "hullguard" / "vuln.db"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/not/allowed")  # the spec: absolute only
    assert default_db_path() == tmp_path / "home" / ".cache" / "hullguard" / "vuln.db"


# --- opening -----------------------------------------------------------------------------------


def test_missing_database_message(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissing) as caught:
        VulnDB.open(tmp_path / "none.db")
    assert str(caught.value) == (
        f"no vulnerability database at {tmp_path / 'none.db'}: "
        "run `hullguard db update` or `hullguard db import PATH`"
    )


def test_not_sqlite_names_the_file(tmp_path: Path) -> None:
    bogus = tmp_path / "vuln.db"
    bogus.write_bytes(b"this is not a database, only some text " * 200)
    with pytest.raises(DatabaseError) as caught:
        VulnDB.open(bogus)
    assert str(bogus) in str(caught.value)
    assert "not a hullguard vulnerability database" in str(caught.value)
    with pytest.raises(DatabaseError, match="not a hullguard vulnerability database"):
        DatabaseWriter(bogus).begin()
    assert [p.name for p in tmp_path.iterdir()] == ["vuln.db"]  # no copy left behind


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    write(path, PYPI, advisory("A-1", "demo"))
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(DatabaseError) as caught:
        VulnDB.open(path)
    message = str(caught.value)
    assert str(path) in message and f"schema version {SCHEMA_VERSION + 1}" in message
    assert "upgrade hullguard" in message
    before = digest(path)
    with pytest.raises(DatabaseError, match="newer than this hullguard reads"):
        DatabaseWriter(path).begin()
    assert digest(path) == before


def test_older_schema_is_migrated_by_a_write(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    sqlite3.connect(path).close()  # an empty SQLite file: schema version 0
    with pytest.raises(DatabaseError, match="db update"):
        VulnDB.open(path)
    write(path, PYPI, advisory("A-1", "demo"))
    with VulnDB.open(path) as db:
        assert db.schema_version == SCHEMA_VERSION
        assert list(db.lookup("PyPI", ["demo"])) == ["demo"]


def test_reader_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    write(path, PYPI, advisory("A-1", "demo"))
    with VulnDB.open(path) as db, pytest.raises(sqlite3.OperationalError, match="readonly"):
        db._db.execute("DELETE FROM advisories")


# --- lookups -----------------------------------------------------------------------------------


def test_round_trip_of_every_field(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    write(path, PYPI, FULL)
    with VulnDB.open(path) as db:
        found = db.lookup("PyPI", ["demo-pkg"])
    [(stored, affected)] = found["demo-pkg"]
    assert affected == FULL.affected[0]
    assert stored == FULL  # every field, the affected entries included


def test_lookup_exact_ecosystem_and_withdrawn(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    debian = Feed("debian-oval:Debian:12", "debian-oval", "test")
    write(path, debian, advisory("CVE-1", "openssl", ecosystem="Debian:12", source="debian-oval"))
    write(
        path,
        PYPI,
        advisory("A-1", "demo"),
        advisory("A-2", "demo", withdrawn="2024-01-01T00:00:00Z"),
        advisory("A-3", "other"),
    )
    with VulnDB.open(path) as db:
        assert [a.id for a, _ in db.lookup("PyPI", ["demo", "missing"])["demo"]] == ["A-1"]
        assert db.lookup("PyPI", ["missing"]) == {}
        assert list(db.lookup("Debian:12", ["openssl"])) == ["openssl"]
        assert db.lookup("Debian:11", ["openssl"]) == {}
        assert db.lookup("Debian", ["openssl"]) == {}
        assert sorted(db.ecosystems()) == ["Debian:12", "PyPI"]
        assert db.lookup("PyPI", []) == {}


def test_lookup_is_one_indexed_query_per_chunk(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    names = [f"pkg-{i:04d}" for i in range(1200)]
    write(path, PYPI, *(advisory(f"A-{i}", name) for i, name in enumerate(names[::7])))
    with VulnDB.open(path) as db:
        statements: list[str] = []
        db._db.set_trace_callback(statements.append)
        found = db.lookup("PyPI", names)
        assert len(statements) == -(-len(names) // LOOKUP_CHUNK) == 3
        assert sorted(found) == names[::7]
        statements.clear()
        db.lookup("PyPI", names[:100])
        assert len(statements) == 1
        plan = db._db.execute(
            "EXPLAIN QUERY PLAN SELECT f.package FROM affected f JOIN advisories a"
            " ON a.pk = f.advisory WHERE f.ecosystem = ? AND f.package IN (?, ?)",
            ("PyPI", "a", "b"),
        ).fetchall()
    assert any("USING INDEX affected_package (ecosystem=? AND package=?)" in p[-1] for p in plan)


# --- writing -----------------------------------------------------------------------------------


def test_later_session_replaces_a_record(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    write(path, PYPI, advisory("A-1", "demo", fixed="1.0"), advisory("A-2", "demo"))
    write(
        path,
        Feed("osv:PyPI", "osv", "update", complete=False),
        advisory("A-1", "demo", fixed="2.0"),
    )
    with VulnDB.open(path) as db:
        hits = {a.id: f for a, f in db.lookup("PyPI", ["demo"])["demo"]}
        assert hits["A-1"].ranges[0].events[-1] == Event("fixed", "2.0")
        assert set(hits) == {"A-1", "A-2"}  # an incomplete batch keeps the rest of the feed
        [source] = db.status().sources
        assert source.records == 2 and source.origin == "update"


def test_complete_feed_replaces_what_it_held(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    write(path, PYPI, advisory("A-1", "demo"), advisory("A-2", "gone"))
    other = Feed("osv:Go", "osv", "test")
    write(path, other, advisory("GO-1", "example.com/m", ecosystem="Go", source="osv:Go"))
    write(path, PYPI, advisory("A-1", "demo"))
    with VulnDB.open(path) as db:
        assert db.lookup("PyPI", ["gone"]) == {}
        assert list(db.lookup("Go", ["example.com/m"])) == ["example.com/m"]
        assert {s.name: s.records for s in db.status().sources} == {"osv:PyPI": 1, "osv:Go": 1}


def test_same_record_twice_in_a_session_is_merged(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    debian = Feed("debian-oval:Debian:12", "debian-oval", "test")
    write(
        path,
        debian,
        advisory("CVE-1", "thunderbird", ecosystem="Debian:12", fixed="2", aliases=("DSA-1",)),
        advisory("CVE-1", "thunderbird", ecosystem="Debian:12", fixed="2"),
        advisory("CVE-1", "thunderbird", ecosystem="Debian:12", fixed="3", aliases=("DSA-2",)),
        advisory("CVE-1", "firefox", ecosystem="Debian:12", fixed="5"),
    )
    with VulnDB.open(path) as db:
        found = db.lookup("Debian:12", ["thunderbird", "firefox"])
        [(record, affected)] = found["thunderbird"]
        assert record.aliases == ("DSA-1", "DSA-2")
        assert [r.events[-1].version for r in affected.ranges] == ["2", "3"]
        assert [f.ranges[0].events[-1].version for _, f in found["firefox"]] == ["5"]
        assert db.status().sources[0].records == 1


def test_abort_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    write(path, PYPI, advisory("A-1", "demo"))
    before = digest(path)
    with pytest.raises(RuntimeError), DatabaseWriter(path) as writer:
        writer.start_feed(PYPI)  # empties the feed in the copy
        writer.put("osv:PyPI", advisory("A-9", "else"))
        raise RuntimeError("interrupted")
    assert digest(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["vuln.db"]


def test_status(tmp_path: Path) -> None:
    path = tmp_path / "vuln.db"
    first = replace_modified(advisory("A-1", "demo"), "2024-03-01T00:00:00Z")
    second = replace_modified(advisory("A-2", "demo"), "2024-05-01T00:00:00Z")
    status = write(path, PYPI, first, second)
    with VulnDB.open(path) as db:
        again = db.status()
    assert again.path == path and again.schema_version == SCHEMA_VERSION
    assert again.size_bytes == path.stat().st_size == status.size_bytes
    assert again.updated_at is not None and again.age_days is not None
    assert abs((datetime.now(UTC) - again.updated_at).total_seconds()) < 3600
    [source] = again.sources
    assert (source.name, source.kind, source.records) == ("osv:PyPI", "osv", 2)
    assert source.newest_modified == "2024-05-01T00:00:00Z"
    document = json.loads(json.dumps(again.to_dict()))
    assert document["records"] == 2 and document["sources"][0]["name"] == "osv:PyPI"


def replace_modified(item: Advisory, modified: str) -> Advisory:
    from dataclasses import replace

    return replace(item, modified=modified)


def test_stale_warning(tmp_path: Path) -> None:
    def status(age: float | None) -> DbStatus:
        updated = datetime.now(UTC) - timedelta(days=age) if age is not None else None
        source = SourceStatus("osv:PyPI", "osv", "x", 1, datetime.now(UTC), None)
        return DbStatus(tmp_path / "vuln.db", 1, 10, updated, age, (source,))

    assert stale_warning(status(2.0), 7) is None
    assert stale_warning(status(9.5), 7) == (
        f"the vulnerability database at {tmp_path / 'vuln.db'} is 9 days old (more than 7): "
        "run `hullguard db update`"
    )
    assert stale_warning(status(9.5), 0) is None
    assert "no update time" in (stale_warning(status(None), 7) or "")


def test_wanted_ecosystems(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "vuln.db"
    record_wanted_ecosystems(path, ["Debian:12", "PyPI"])
    record_wanted_ecosystems(path, ["Go", "PyPI", "", "bad\nname"])
    assert (tmp_path / "cache" / "wanted-ecosystems.txt").read_text() == "Debian:12\nGo\nPyPI\n"
    assert read_wanted_ecosystems(path) == ["Debian:12", "Go", "PyPI"]
    blocked = tmp_path / "file"
    blocked.write_text("x")
    record_wanted_ecosystems(blocked / "vuln.db", ["Go"])  # cannot write: silent
    assert read_wanted_ecosystems(blocked / "vuln.db") == []


@pytest.mark.parametrize(
    "items",
    [["a"], ["a", "b c", "é"], ["x\x1fy"], ["", "a"], ["\x1dJSON-looking"], ["[not json"]],
)
def test_packed_lists_round_trip(items: list[str]) -> None:
    assert unpack_strings(pack_strings(items)) == items
    assert unpack_groups(pack_groups([items, ["z"]])) == [items, ["z"]]


def test_ranges_round_trip() -> None:
    ranges = (
        FULL.affected[0].ranges[0],
        Range("SEMVER", (Event("introduced", "1.0.0-rc.1"), Event("fixed", "1.0.0"))),
        Range("ECOSYSTEM", (Event("introduced", "0"),)),
        Range("CUSTOM", (Event("introduced", "a,b;c|d"),)),
    )
    assert decode_ranges(encode_ranges(ranges)) == ranges
    assert encode_ranges(()) is None and decode_ranges(None) == ()


def test_details_are_stored_once(tmp_path: Path) -> None:
    from dataclasses import replace

    path = tmp_path / "vuln.db"
    text = "The same description, repeated by two releases. " * 20
    bookworm = Feed("debian-oval:Debian:12", "debian-oval", "test")
    bullseye = Feed("debian-oval:Debian:11", "debian-oval", "test")
    write(path, bookworm, replace(advisory("CVE-1", "zlib", ecosystem="Debian:12"), details=text))
    write(path, bullseye, replace(advisory("CVE-1", "zlib", ecosystem="Debian:11"), details=text))
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM texts").fetchone() == (1,)
    raw.close()
    with VulnDB.open(path) as db:
        assert db.lookup("Debian:11", ["zlib"])["zlib"][0][0].details == text
        assert db.lookup("Debian:12", ["zlib"])["zlib"][0][0].details == text
    write(path, bookworm, replace(advisory("CVE-1", "zlib", ecosystem="Debian:12"), details="new"))
    write(path, bullseye, advisory("CVE-1", "zlib", ecosystem="Debian:11"))
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT body FROM texts").fetchall() == [("new",)]  # no orphans
    raw.close()
