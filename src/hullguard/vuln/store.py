"""The local vulnerability database: one SQLite file (stdlib `sqlite3`).

Layout (schema version `SCHEMA_VERSION`, kept in `PRAGMA user_version`):

- `sources`: one row per feed, the unit an import replaces or an update refreshes:
  `osv:PyPI` (OSV records of one ecosystem), `alpine-secdb:v3.19/main` (one secdb file),
  `debian-oval:Debian:12` (one OVAL file). It keeps the kind, where the data came from, when it
  was imported, how many records it holds, the newest `modified` time among them and, for OSV
  feeds, the `cursor` an incremental `db update` starts from (the newest time listed in
  `modified_id.csv` at the last update).
- `advisories`: one row per (feed, id), the feed by its number in `sources`: aliases,
  summary, details, dates, withdrawn, severity and references. Details are kept once in
  `texts` (by SHA-1) and shared: Debian's releases repeat the same descriptions.
- `affected`: one row per (advisory, ecosystem, package), indexed on (ecosystem, package):
  the ranges and versions, the GitHub upper bound and the source's rating.
- Lists are stored packed (see `pack_strings`): quicker to read back than JSON, and smaller.
- `meta`: `updated_at`, the time of the last write.

Readers open the file read-only (`VulnDB.open`); every write goes through `DatabaseWriter`,
which builds a copy beside the file and swaps it in with `os.replace`, so that a reader never
sees a half-written database and a failed write leaves the old one intact.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hullguard.vuln.model import Advisory, Affected, Event, Range, SeverityScore

if TYPE_CHECKING:
    from hullguard.config import VulnerabilityPolicy

SCHEMA_VERSION = 1
DB_FILENAME = "vuln.db"
WANTED_FILENAME = "wanted-ecosystems.txt"
LOOKUP_CHUNK = 500
MMAP_BYTES = 256 * 1024 * 1024  # readers map the file: lookups touch pages all over it
_MAX_WANTED_BYTES = 64 * 1024

_SCHEMA_V1 = """
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    newest_modified TEXT,
    cursor TEXT
);
CREATE TABLE advisories (
    pk INTEGER PRIMARY KEY,
    feed INTEGER NOT NULL,  -- sources.id
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    aliases TEXT,
    summary TEXT,
    details INTEGER,  -- texts.id
    published TEXT,
    modified TEXT,
    withdrawn TEXT,
    severity TEXT,
    refs TEXT,
    UNIQUE (feed, id)
);
CREATE TABLE affected (
    advisory INTEGER NOT NULL,
    ecosystem TEXT NOT NULL,
    package TEXT NOT NULL,
    ranges TEXT,
    versions TEXT,
    last_known_affected TEXT,
    rating TEXT
);
CREATE INDEX affected_package ON affected (ecosystem, package);
CREATE INDEX affected_advisory ON affected (advisory);
CREATE TABLE texts (id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""

# MIGRATIONS[n] takes a database of schema version n to version n + 1 (0: an empty file).
MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1,)
assert len(MIGRATIONS) == SCHEMA_VERSION


class DatabaseError(Exception):
    """The database cannot be read or written; the message names the file."""


class DatabaseMissing(DatabaseError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"no vulnerability database at {path}: "
            "run `hullguard db update` or `hullguard db import PATH`"
        )
        self.path = path


def default_db_path(policy: VulnerabilityPolicy | None = None) -> Path:
    """Where the database is when `--db` is not given: `[vulnerabilities].db`, then
    `$HULLGUARD_DB`, then `$XDG_CACHE_HOME/hullguard/vuln.db`, then `~/.cache/hullguard/vuln.db`."""
    if policy is not None and policy.db:
        return Path(policy.db).expanduser()
    env = os.environ.get("HULLGUARD_DB")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache and Path(cache).is_absolute() else None
    if base is None:
        base = Path.home() / ".cache"
    return base / "hullguard" / DB_FILENAME


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str  # the feed: "osv:PyPI", "alpine-secdb:v3.19/main", "debian-oval:Debian:12"
    kind: str  # "osv", "alpine-secdb", "debian-oval"
    origin: str  # the file, folder or URL it came from
    records: int
    imported_at: datetime
    newest_modified: str | None
    cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "origin": self.origin,
            "records": self.records,
            "imported_at": _iso(self.imported_at),
            "newest_modified": self.newest_modified,
        }


@dataclass(frozen=True, slots=True)
class DbStatus:
    path: Path
    schema_version: int
    size_bytes: int
    updated_at: datetime | None  # UTC
    age_days: float | None
    sources: tuple[SourceStatus, ...]

    @property
    def records(self) -> int:
        return sum(source.records for source in self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "schema_version": self.schema_version,
            "size_bytes": self.size_bytes,
            "updated_at": _iso(self.updated_at) if self.updated_at else None,
            "age_days": round(self.age_days, 2) if self.age_days is not None else None,
            "records": self.records,
            "sources": [source.to_dict() for source in self.sources],
        }


def stale_warning(status: DbStatus, max_age_days: int) -> str | None:
    """The warning a scan prints when the database is older than `max_age_days`; None when
    it is fresh enough or the limit is 0 (never warn)."""
    if max_age_days <= 0:
        return None
    if status.age_days is None:
        return (
            f"the vulnerability database at {status.path} has no update time: "
            "run `hullguard db update`"
        )
    if status.age_days <= max_age_days:
        return None
    days = math.floor(status.age_days)
    return (
        f"the vulnerability database at {status.path} is {days} days old "
        f"(more than {max_age_days}): run `hullguard db update`"
    )


def record_wanted_ecosystems(db_path: Path, ecosystems: Iterable[str]) -> None:
    """Remember the ecosystems a scan needed in `wanted-ecosystems.txt` beside the database,
    so that `db update` fetches them. Best effort: any failure is ignored."""
    try:
        new = {e.strip() for e in ecosystems if e and e.strip() and "\n" not in e}
        if not new:
            return
        wanted_file = db_path.parent / WANTED_FILENAME
        known = set(read_wanted_ecosystems(db_path))
        if new <= known:
            return
        wanted_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".wanted-", dir=wanted_file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("".join(f"{name}\n" for name in sorted(known | new)))
            os.replace(tmp, wanted_file)
        except BaseException:
            with _ignore_os_errors():
                os.unlink(tmp)
            raise
    except (OSError, ValueError, TypeError):
        return


def read_wanted_ecosystems(db_path: Path) -> list[str]:
    """The ecosystems scans recorded as wanted; [] when there is no readable file."""
    try:
        with open(db_path.parent / WANTED_FILENAME, encoding="utf-8") as f:
            text = f.read(_MAX_WANTED_BYTES)
    except (OSError, UnicodeDecodeError):
        return []
    return sorted({line.strip() for line in text.splitlines() if line.strip()})


class _ignore_os_errors:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return isinstance(exc, OSError)


# --- reading ---------------------------------------------------------------------------------


class VulnDB:
    """A read-only view of the database."""

    def __init__(self, path: Path, connection: sqlite3.Connection, version: int) -> None:
        self.path = path
        self._db = connection
        self.schema_version = version

    @classmethod
    def open(cls, path: Path) -> VulnDB:
        path = Path(path)
        if not path.is_file():
            _refuse_non_file(path)
            raise DatabaseMissing(path)
        uri = f"file:{quote(str(path.absolute()))}?mode=ro"
        try:
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open the vulnerability database {path}: {exc}") from exc
        try:
            version = _user_version(connection, path)
            check_schema_readable(path, version)
            _check_tables(connection, path)
        except BaseException:
            connection.close()
            raise
        return cls(path, connection, version)

    def __enter__(self) -> VulnDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def lookup(
        self, ecosystem: str, names: Collection[str]
    ) -> dict[str, list[tuple[Advisory, Affected]]]:
        """For each name (normalised with `normalise_name`), the advisories that are not
        withdrawn with their `Affected` entry for (ecosystem, name). Names without any are
        left out. An advisory's `affected` holds the entries this call found for it."""
        wanted = sorted(set(names))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += self._query(
                "SELECT a.pk, a.id, a.source, a.aliases, a.summary, t.body, a.published,"
                " a.modified, a.severity, a.refs, f.package, f.ranges, f.versions,"
                " f.last_known_affected, f.rating"
                " FROM affected f JOIN advisories a ON a.pk = f.advisory"
                " LEFT JOIN texts t ON t.id = a.details"
                f" WHERE f.ecosystem = ? AND f.package IN ({marks}) AND a.withdrawn IS NULL",
                (ecosystem, *chunk),
            )
        entries: dict[int, list[Affected]] = {}
        heads: dict[int, tuple[Any, ...]] = {}
        for row in rows:
            pk = row[0]
            affected = Affected(
                ecosystem=ecosystem,
                package=row[10],
                ranges=decode_ranges(row[11]),
                versions=tuple(unpack_strings(row[12])),
                last_known_affected=row[13],
                rating=row[14],
            )
            entries.setdefault(pk, []).append(affected)
            heads[pk] = row
        found: dict[str, list[tuple[Advisory, Affected]]] = {}
        for pk, affected_list in entries.items():
            row = heads[pk]
            advisory = Advisory(
                id=row[1],
                source=row[2],
                aliases=tuple(unpack_strings(row[3])),
                summary=row[4] or "",
                details=row[5] or "",
                published=row[6],
                modified=row[7],
                withdrawn=None,
                severity=tuple(
                    SeverityScore(g[0], g[1]) for g in unpack_groups(row[8]) if len(g) == 2
                ),
                references=tuple(unpack_strings(row[9])),
                affected=tuple(affected_list),
            )
            for affected in affected_list:
                found.setdefault(affected.package, []).append((advisory, affected))
        return found

    def ecosystems(self) -> list[str]:
        return [row[0] for row in self._query("SELECT DISTINCT ecosystem FROM affected", ())]

    def status(self) -> DbStatus:
        return read_status(self._db, self.path, self.schema_version)

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise DatabaseError(
                f"cannot read the vulnerability database {self.path}: {exc}"
            ) from exc


def check_schema_readable(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"the vulnerability database {path} has schema version {version}, newer than this "
            f"hullguard reads ({SCHEMA_VERSION}): upgrade hullguard, or rebuild the database "
            "with `hullguard db update --full`"
        )
    if version < SCHEMA_VERSION:
        what = "is empty" if version == 0 else f"has the older schema version {version}"
        raise DatabaseError(
            f"the vulnerability database {path} {what}: run `hullguard db update` or "
            "`hullguard db import PATH` to bring it to version "
            f"{SCHEMA_VERSION}"
        )


def read_status(db: sqlite3.Connection, path: Path, version: int) -> DbStatus:
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        rows = db.execute(
            "SELECT name, kind, origin, records, imported_at, newest_modified, cursor"
            " FROM sources ORDER BY name"
        ).fetchall()
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot read the vulnerability database {path}: {exc}") from exc
    sources = tuple(
        SourceStatus(
            name=r[0],
            kind=r[1],
            origin=r[2],
            records=int(r[3]),
            imported_at=_parse_time(r[4]) or datetime.fromtimestamp(0, UTC),
            newest_modified=r[5],
            cursor=r[6],
        )
        for r in rows
    )
    updated = _parse_time(meta.get("updated_at"))
    age = (datetime.now(UTC) - updated).total_seconds() / 86400 if updated else None
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return DbStatus(path, version, size, updated, age, sources)


def _user_version(db: sqlite3.Connection, path: Path) -> int:
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"{path} is not a hullguard vulnerability database (not SQLite: {exc})"
        ) from exc


def _check_tables(db: sqlite3.Connection, path: Path) -> None:
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot read the vulnerability database {path}: {exc}") from exc
    missing = {"sources", "advisories", "affected", "texts", "meta"} - names
    if missing:
        raise DatabaseError(
            f"{path} is not a hullguard vulnerability database (no table {sorted(missing)[0]})"
        )


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feed:
    """What a batch of advisories is: the feed it belongs to, and whether the batch is the
    whole feed (an import replaces everything the feed held) or some records of it (upserted)."""

    name: str
    kind: str
    origin: str
    complete: bool = True


class DatabaseWriter:
    """Writes into a copy of the database and swaps it in on `commit`.

    The copy is a temporary file in the database's folder; `commit` migrates it to the
    current schema, refreshes the source counts, compacts it, fsyncs it and renames it over the
    database. Leaving the `with` block without `commit` (an error, Ctrl-C) deletes the copy
    and the old database is as it was.
    """

    def __init__(self, path: Path, *, fresh: bool = False) -> None:
        self.path = Path(path)
        self.fresh = fresh
        self._tmp: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._touched: set[str] = set()  # feeds written in this session
        self._written: dict[str, dict[str, int]] = {}  # feed -> id -> pk, this session
        self._emptied: set[str] = set()  # feeds emptied in this session: no old rows left
        self._feed_ids: dict[str, int] = {}  # feed name -> sources.id
        self._texts: dict[bytes, int] = {}  # SHA-1 of a text -> texts.id
        self._newest: dict[str, str] = {}
        self.changed = False

    def __enter__(self) -> DatabaseWriter:
        self.begin()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.abort()

    def begin(self) -> None:
        folder = self.path.parent
        _refuse_non_file(self.path)
        if folder.exists() and not folder.is_dir():
            raise DatabaseError(f"cannot write {self.path}: {folder} is not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
            os.close(fd)
        except OSError as exc:
            raise DatabaseError(
                f"cannot write {self.path}: the folder {folder} does not take a new file "
                f"({exc.strerror or exc})"
            ) from exc
        self._tmp = Path(name)
        if not self.fresh and self.path.exists():
            # an existing file must be one we can read before it is copied and changed
            try:
                check = _probe(self.path)
                if check > SCHEMA_VERSION:
                    check_schema_readable(self.path, check)
                shutil.copyfile(self.path, self._tmp)
            except OSError as exc:
                self.abort()
                raise DatabaseError(f"cannot copy {self.path}: {exc}") from exc
            except BaseException:
                self.abort()
                raise
        try:
            db = sqlite3.connect(self._tmp, isolation_level=None)
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("PRAGMA cache_size = -16384")
            self._db = db
            self._migrate()
            db.execute("BEGIN")
        except sqlite3.Error as exc:
            self.abort()
            raise DatabaseError(
                f"cannot write the vulnerability database {self.path}: {exc}"
            ) from exc

    def _migrate(self) -> None:
        db = self._conn
        version = _user_version(db, self.path)
        while version < SCHEMA_VERSION:
            db.executescript(MIGRATIONS[version])
            version += 1
            db.execute(f"PRAGMA user_version = {version}")
            self.changed = True
        _check_tables(db, self.path)

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise DatabaseError(f"the vulnerability database {self.path} is not open for writing")
        return self._db

    # the feeds --------------------------------------------------------------------------------

    def feed_state(self, name: str) -> SourceStatus | None:
        row = self._conn.execute(
            "SELECT name, kind, origin, records, imported_at, newest_modified, cursor"
            " FROM sources WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            return None
        return SourceStatus(
            row[0],
            row[1],
            row[2],
            int(row[3]),
            _parse_time(row[4]) or datetime.fromtimestamp(0, UTC),
            row[5],
            row[6],
        )

    def feeds(self, kind: str | None = None) -> list[SourceStatus]:
        names = [
            r[0]
            for r in self._conn.execute(
                "SELECT name FROM sources WHERE ? IS NULL OR kind = ? ORDER BY name", (kind, kind)
            )
        ]
        return [s for s in (self.feed_state(n) for n in names) if s is not None]

    def start_feed(self, feed: Feed, *, cursor: str | None = None) -> None:
        """Declare a batch; a complete batch first empties the feed (once per session)."""
        db = self._conn
        if feed.complete and feed.name not in self._touched:
            number = self._feed_id(feed.name, create=False)
            if number is not None:
                db.execute(
                    "DELETE FROM affected WHERE advisory IN"
                    " (SELECT pk FROM advisories WHERE feed = ?)",
                    (number,),
                )
                db.execute("DELETE FROM advisories WHERE feed = ?", (number,))
            self._written.pop(feed.name, None)
            self._emptied.add(feed.name)
        self._touched.add(feed.name)
        now = _iso(datetime.now(UTC))
        db.execute(
            "INSERT INTO sources (name, kind, origin, imported_at, cursor) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, origin = excluded.origin,"
            " imported_at = excluded.imported_at, cursor = coalesce(excluded.cursor, cursor)",
            (feed.name, feed.kind, feed.origin, now, cursor),
        )
        self.changed = True

    def _feed_id(self, name: str, *, create: bool = True) -> int | None:
        number = self._feed_ids.get(name)
        if number is None:
            row = self._conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
            if row is None:
                if not create:
                    return None
                raise DatabaseError(f"{self.path}: the feed {name} was not started")
            number = self._feed_ids[name] = int(row[0])
        return number

    def set_cursor(self, feed: str, cursor: str | None) -> None:
        self._conn.execute("UPDATE sources SET cursor = ? WHERE name = ?", (cursor, feed))

    def put(self, feed: str, advisory: Advisory) -> None:
        """Store one advisory of `feed` (declared by `start_feed`). A record already written
        in this session under the same id gains the new affected entries (a CVE found in two
        files of one feed); one from an earlier session is replaced."""
        db = self._conn
        written = self._written.setdefault(feed, {})
        number = self._feed_id(feed)
        pk = written.get(advisory.id)
        if pk is None:
            old = (
                None
                if feed in self._emptied
                else db.execute(
                    "SELECT pk FROM advisories WHERE feed = ? AND id = ?", (number, advisory.id)
                ).fetchone()
            )
            if old is not None:
                db.execute("DELETE FROM affected WHERE advisory = ?", (old[0],))
                db.execute("DELETE FROM advisories WHERE pk = ?", (old[0],))
            cursor = db.execute(
                "INSERT INTO advisories (feed, id, source, aliases, summary, details, published,"
                " modified, withdrawn, severity, refs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    number,
                    advisory.id,
                    advisory.source,
                    pack_strings(advisory.aliases),
                    advisory.summary or None,
                    self._text(advisory.details),
                    advisory.published,
                    advisory.modified,
                    advisory.withdrawn,
                    pack_groups([[s.type, s.score] for s in advisory.severity]),
                    pack_strings(advisory.references),
                ),
            )
            pk = int(cursor.lastrowid or 0)
            written[advisory.id] = pk
        else:
            if advisory.aliases:
                row = db.execute("SELECT aliases FROM advisories WHERE pk = ?", (pk,)).fetchone()
                known = unpack_strings(row[0] if row else None)
                merged = [a for a in dict.fromkeys([*known, *advisory.aliases]) if a != advisory.id]
                db.execute(
                    "UPDATE advisories SET aliases = ? WHERE pk = ?", (pack_strings(merged), pk)
                )
            self._merge_affected(pk, advisory.affected)
            return
        db.executemany(
            "INSERT INTO affected (advisory, ecosystem, package, ranges, versions,"
            " last_known_affected, rating) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [_affected_row(pk, a) for a in advisory.affected],
        )
        if advisory.modified and advisory.modified > self._newest.get(feed, ""):
            self._newest[feed] = advisory.modified

    def _text(self, body: str) -> int | None:
        """The number of `body` in `texts`, stored on first use; None for no text."""
        if not body:
            return None
        digest = hashlib.sha1(body.encode("utf-8", "surrogatepass")).digest()
        number = self._texts.get(digest)
        if number is None:
            db = self._conn
            row = db.execute("SELECT id FROM texts WHERE digest = ?", (digest,)).fetchone()
            if row is None:
                cursor = db.execute(
                    "INSERT INTO texts (digest, body) VALUES (?, ?)", (digest, body)
                )
                number = int(cursor.lastrowid or 0)
            else:
                number = int(row[0])
            self._texts[digest] = number
        return number

    def _merge_affected(self, pk: int, entries: Iterable[Affected]) -> None:
        """Add entries to a record written earlier in this session: an entry for a package
        the record already has joins its ranges and versions to that row (a version is
        affected when any range says so); one for a new package gets its own row."""
        db = self._conn
        for entry in entries:
            row = db.execute(
                "SELECT rowid, ranges, versions FROM affected"
                " WHERE advisory = ? AND ecosystem = ? AND package = ?",
                (pk, entry.ecosystem, entry.package),
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO affected (advisory, ecosystem, package, ranges, versions,"
                    " last_known_affected, rating) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    _affected_row(pk, entry),
                )
                continue
            ranges = decode_ranges(row[1])
            ranges += tuple(r for r in entry.ranges if r not in ranges)
            versions = list(dict.fromkeys([*unpack_strings(row[2]), *entry.versions]))
            db.execute(
                "UPDATE affected SET ranges = ?, versions = ?,"
                " last_known_affected = coalesce(last_known_affected, ?),"
                " rating = coalesce(rating, ?) WHERE rowid = ?",
                (
                    encode_ranges(ranges),
                    pack_strings(versions),
                    entry.last_known_affected,
                    entry.rating,
                    row[0],
                ),
            )

    def remove(self, feed: str, advisory_id: str) -> None:
        db = self._conn
        number = self._feed_id(feed, create=False)
        row = db.execute(
            "SELECT pk FROM advisories WHERE feed = ? AND id = ?", (number, advisory_id)
        ).fetchone()
        if row is not None:
            db.execute("DELETE FROM affected WHERE advisory = ?", (row[0],))
            db.execute("DELETE FROM advisories WHERE pk = ?", (row[0],))
        self._written.get(feed, {}).pop(advisory_id, None)

    def put_many(self, feed: str, advisories: Iterable[Advisory]) -> int:
        count = 0
        for advisory in advisories:
            self.put(feed, advisory)
            count += 1
        return count

    # finishing --------------------------------------------------------------------------------

    def commit(self) -> DbStatus:
        """Refresh the counts, compact, fsync and swap the copy in; returns the new status."""
        db = self._conn
        tmp = self._tmp
        assert tmp is not None
        try:
            for name in self._touched:
                records, newest = db.execute(
                    "SELECT count(*), max(modified) FROM advisories"
                    " WHERE feed = (SELECT id FROM sources WHERE name = ?)",
                    (name,),
                ).fetchone()
                db.execute(
                    "UPDATE sources SET records = ?, newest_modified = ? WHERE name = ?",
                    (records, newest, name),
                )
            db.execute(  # texts no advisory uses any more
                "DELETE FROM texts WHERE id NOT IN"
                " (SELECT details FROM advisories WHERE details IS NOT NULL)"
            )
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('updated_at', ?)",
                (_iso(datetime.now(UTC)),),
            )
            db.execute("COMMIT")
            db.execute("VACUUM")
            status = read_status(db, tmp, SCHEMA_VERSION)
            db.close()
            self._db = None
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
            self._tmp = None
            _fsync_folder(self.path.parent)
        except (sqlite3.Error, OSError) as exc:
            self.abort()
            raise DatabaseError(
                f"cannot write the vulnerability database {self.path}: {exc}"
            ) from exc
        return DbStatus(
            self.path,
            status.schema_version,
            self.path.stat().st_size,
            status.updated_at,
            status.age_days,
            status.sources,
        )

    def abort(self) -> None:
        """Drop the copy; the database stays as it was. Safe to call twice."""
        if self._db is not None:
            with _ignore_sqlite_errors():
                self._db.close()
            self._db = None
        if self._tmp is not None:
            with _ignore_os_errors():
                os.unlink(self._tmp)
            self._tmp = None


def _affected_row(pk: int, a: Affected) -> tuple[Any, ...]:
    return (
        pk,
        a.ecosystem,
        a.package,
        encode_ranges(a.ranges),
        pack_strings(a.versions),
        a.last_known_affected,
        a.rating,
    )


class _ignore_sqlite_errors:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return isinstance(exc, sqlite3.Error)


def _refuse_non_file(path: Path) -> None:
    """A folder (or a FIFO, a device) where the database file should be is a mistake in the
    path given (--db, HULLGUARD_DB, [vulnerabilities].db), not a missing database."""
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise DatabaseError(
            f"{path} is {what}: the vulnerability database is a file; give its file path "
            "(--db, HULLGUARD_DB or [vulnerabilities].db)"
        )


def _probe(path: Path) -> int:
    """The schema version of an existing file, opened read-only."""
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open the vulnerability database {path}: {exc}") from exc
    try:
        return _user_version(db, path)
    finally:
        db.close()


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- encoding --------------------------------------------------------------------------------
# Lists of strings are stored joined by the ASCII unit separator, lists of such lists joined by
# the record separator: far quicker to read back than JSON, and smaller. A list holding one of
# those characters or an empty string is stored as JSON behind a group-separator prefix.

_ITEM, _GROUP, _JSON = "\x1f", "\x1e", "\x1d"


def _plain(item: str) -> bool:
    return bool(item) and _ITEM not in item and _GROUP not in item and _JSON not in item


def pack_strings(items: Sequence[str]) -> str | None:
    if not items:
        return None
    if all(_plain(item) for item in items):
        return _ITEM.join(items)
    return _JSON + json.dumps(list(items), separators=(",", ":"), ensure_ascii=False)


def unpack_strings(text: str | None) -> list[str]:
    if not text:
        return []
    if text[0] == _JSON:
        value = json.loads(text[1:])
        return [str(v) for v in value] if isinstance(value, list) else []
    return text.split(_ITEM)


def pack_groups(groups: Sequence[Sequence[str]]) -> str | None:
    if not groups:
        return None
    if all(group and all(_plain(item) for item in group) for group in groups):
        return _GROUP.join(_ITEM.join(group) for group in groups)
    return _JSON + json.dumps([list(g) for g in groups], separators=(",", ":"), ensure_ascii=False)


def unpack_groups(text: str | None) -> list[list[str]]:
    if not text:
        return []
    if text[0] == _JSON:
        value = json.loads(text[1:])
        return (
            [[str(v) for v in g] for g in value if isinstance(g, list)]
            if isinstance(value, list)
            else []
        )
    return [group.split(_ITEM) for group in text.split(_GROUP)]


# Ranges are stored as groups `[type, kind, version, kind, version...]` with one-letter codes
# for the types and event kinds the schema defines (other names are kept whole).
_TYPE_CODES = {"ECOSYSTEM": "E", "SEMVER": "S", "GIT": "G"}
_KIND_CODES = {"introduced": "i", "fixed": "f", "last_affected": "l", "limit": "m"}
_TYPES = {code: name for name, code in _TYPE_CODES.items()}
_KINDS = {code: name for name, code in _KIND_CODES.items()}


def encode_ranges(ranges: Iterable[Range]) -> str | None:
    encoded: list[list[str]] = []
    for r in ranges:
        item = [_TYPE_CODES.get(r.type, r.type)]
        for event in r.events:
            item += [_KIND_CODES.get(event.kind, event.kind), event.version]
        encoded.append(item)
    return pack_groups(encoded)


def decode_ranges(text: str | None) -> tuple[Range, ...]:
    out: list[Range] = []
    for item in unpack_groups(text):
        events = tuple(
            Event(_KINDS.get(item[i], item[i]), item[i + 1]) for i in range(1, len(item) - 1, 2)
        )
        out.append(Range(_TYPES.get(item[0], item[0]), events))
    return tuple(out)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
