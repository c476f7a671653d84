"""`hullguard db update`: OSV's per-ecosystem exports, downloaded into the database.

osv.dev publishes, for each ecosystem under its base URL
(https://google.github.io/osv.dev/data/#data-dumps):

- `{url}/{ecosystem}/all.zip`: every record of the ecosystem, one `<id>.json` per member;
- `{url}/{ecosystem}/modified_id.csv`: one line per record, `<modified>,<id>` with `modified`
  an RFC 3339 time (`2024-06-01T12:34:56.123456Z`), no header, newest first;
- `{url}/{ecosystem}/{id}.json`: one record.

The ecosystems are those asked for, those in `[vulnerabilities].ecosystems`, those scans
recorded as wanted (`wanted-ecosystems.txt` beside the database) and the OSV feeds already in
the database, each by its base name: `Debian:12` is fetched from `Debian/` (the per-release
folders osv.dev also keeps are not current). An ecosystem the database does not hold yet, or
with `--full`, is downloaded whole; otherwise the update reads `modified_id.csv` down to the
newest time seen at the last update (the feed's cursor) and fetches only the records listed as
newer, one by one (past `MAX_INCREMENTAL` of them the whole archive is cheaper).

Atomic: everything is written into a copy of the database beside it (`DatabaseWriter`), which
replaces the database only when every ecosystem succeeded. An HTTP error, a cut connection, a
damaged archive, a timeout or Ctrl-C leaves the old database byte for byte as it was.
Each request has a connect and a read timeout, and the whole update a deadline.
Plain HTTP is refused except on loopback.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from hullguard.progress import progress
from hullguard.vuln.importers import MAX_RECORD_BYTES, Problem
from hullguard.vuln.importers.osv import (
    RecordError,
    feed_name,
    for_ecosystem,
    iter_zip_records,
    load_document,
    parse_record,
)
from hullguard.vuln.store import (
    DatabaseError,
    DatabaseWriter,
    DbStatus,
    Feed,
    read_wanted_ecosystems,
)

if TYPE_CHECKING:
    import requests

MiB = 1024 * 1024
MAX_ZIP_BYTES = 4096 * MiB
MAX_CSV_LINES = 5_000_000
MAX_INCREMENTAL = 5_000
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 60.0
DEFAULT_DEADLINE = 3600.0
CHUNK = 1024 * 1024
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$")


class UpdateError(Exception):
    """The update failed; the old database is intact. The message says what and where."""


@dataclass(frozen=True, slots=True)
class EcosystemUpdate:
    ecosystem: str
    mode: str  # "full", "incremental", "current"
    records: int  # records written (full: all of them; incremental: those changed)
    url: str


@dataclass
class UpdateResult:
    status: DbStatus | None = None
    ecosystems: list[EcosystemUpdate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def archive_name(ecosystem: str) -> str:
    """The folder osv.dev exports an ecosystem under: the name without its release, spelled
    as OSV spells it (the bucket's paths are case-sensitive: `pypi` is `PyPI`)."""
    from hullguard.versions.ecosystems import osv_spelling

    return osv_spelling(ecosystem.strip().split(":", 1)[0])


def ecosystems_to_update(
    db_path: Path, asked: Iterable[str], configured: Iterable[str], in_database: Iterable[str]
) -> list[str]:
    """Asked, then configured, then wanted by scans, then already held; base names, once."""
    names: list[str] = []
    for source in (asked, configured, read_wanted_ecosystems(db_path), in_database):
        for ecosystem in source:
            base = archive_name(ecosystem)
            if base and base not in names:
                names.append(base)
    return names


def osv_feeds_in(db_path: Path) -> list[str]:
    """The OSV ecosystems the database at `db_path` holds, read-only; [] when there is none."""
    from hullguard.vuln.store import VulnDB

    try:
        with VulnDB.open(db_path) as db:
            return [s.name.removeprefix("osv:") for s in db.status().sources if s.kind == "osv"]
    except DatabaseError:
        return []


def check_base_url(url: str) -> str:
    from hullguard.image.registry import is_loopback

    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UpdateError(f"the OSV URL {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UpdateError(
            f"refusing {url}: plain HTTP only on loopback (127.0.0.1, ::1, localhost); use HTTPS"
        )
    return url.strip().rstrip("/")


def update_database(
    db_path: Path,
    ecosystems: list[str],
    base_url: str,
    *,
    full: bool = False,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    deadline_seconds: float = DEFAULT_DEADLINE,
) -> UpdateResult:
    """Update `ecosystems` (archive names) from `base_url` into the database at `db_path`."""
    import requests

    base = check_base_url(base_url)
    if not ecosystems:
        raise UpdateError(
            "no ecosystem to update: give --ecosystem NAME (PyPI, Go, npm, Debian, Alpine...), "
            "list them in [vulnerabilities].ecosystems, or scan an image first"
        )
    fetcher = _Fetcher(session or requests.Session(), timeout, time.monotonic() + deadline_seconds)
    result = UpdateResult()
    writer = DatabaseWriter(db_path)
    try:
        writer.begin()
    except DatabaseError as exc:
        if not full:
            raise
        result.notes.append(f"{exc}; rebuilding the database from scratch (--full)")
        writer = DatabaseWriter(db_path, fresh=True)
        writer.begin()
    try:
        for ecosystem in ecosystems:
            result.ecosystems.append(_update_one(writer, fetcher, base, ecosystem, full, result))
        result.status = writer.commit()
    finally:
        writer.abort()
        fetcher.close()
    return result


def _update_one(
    writer: DatabaseWriter,
    fetcher: _Fetcher,
    base: str,
    ecosystem: str,
    full: bool,
    result: UpdateResult,
) -> EcosystemUpdate:
    folder = f"{base}/{quote(ecosystem, safe='')}"
    state = writer.feed_state(feed_name(ecosystem))
    if not full and state is not None and state.cursor:
        cursor = _parse_time(state.cursor)
        if cursor is not None:
            changed = _changed_since(fetcher, f"{folder}/modified_id.csv", cursor, result)
            if changed is not None:
                ids, newest = changed
                if not ids:
                    return EcosystemUpdate(ecosystem, "current", 0, f"{folder}/modified_id.csv")
                count = _fetch_records(writer, fetcher, folder, ecosystem, ids, result)
                writer.set_cursor(feed_name(ecosystem), newest)
                return EcosystemUpdate(ecosystem, "incremental", count, f"{folder}/modified_id.csv")
            result.notes.append(
                f"{ecosystem}: more than {MAX_INCREMENTAL} records changed; "
                "downloading the whole archive"
            )
    count = _fetch_archive(writer, fetcher, folder, ecosystem, result)
    return EcosystemUpdate(ecosystem, "full", count, f"{folder}/all.zip")


def _fetch_archive(
    writer: DatabaseWriter, fetcher: _Fetcher, folder: str, ecosystem: str, result: UpdateResult
) -> int:
    url = f"{folder}/all.zip"
    feed = feed_name(ecosystem)
    fd, name = tempfile.mkstemp(prefix=".osv-", suffix=".zip", dir=writer.path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        fetcher.download(url, tmp, f"Downloading {ecosystem}/all.zip")
        try:
            archive = zipfile.ZipFile(tmp)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UpdateError(f"{url}: not a complete zip archive ({exc})") from exc
        newest: datetime | None = None
        count = 0
        with archive:
            writer.start_feed(Feed(feed, "osv", url, complete=True))
            try:
                batches = iter_zip_records(
                    archive, url, ecosystem, result.problems.append, strict=True
                )
                with progress(f"Importing {ecosystem}", total=len(archive.infolist())) as bar:
                    for batch in batches:
                        for advisory in batch.advisories:
                            writer.put(feed, for_ecosystem(advisory, ecosystem))
                            count += 1
                            moment = _parse_time(advisory.modified)
                            if moment and (newest is None or moment > newest):
                                newest = moment
                        bar.advance()
            except zipfile.BadZipFile as exc:
                raise UpdateError(f"{url}: damaged archive ({exc})") from exc
        writer.set_cursor(feed, _iso(newest) if newest else None)
        return count
    finally:
        tmp.unlink(missing_ok=True)


def _changed_since(
    fetcher: _Fetcher, url: str, cursor: datetime, result: UpdateResult
) -> tuple[list[str], str] | None:
    """(ids modified after `cursor`, newest time listed); None when too many changed."""
    ids: list[str] = []
    newest: str | None = None
    for number, line in enumerate(fetcher.lines(url), start=1):
        if number > MAX_CSV_LINES:
            raise UpdateError(f"{url}: more than {MAX_CSV_LINES} lines")
        line = line.strip()
        if not line:
            continue
        stamp, sep, record_id = line.partition(",")
        moment = _parse_time(stamp.strip())
        record_id = record_id.strip()
        if moment is None or not sep or not _ID.match(record_id):
            if number == 1 and moment is None:
                continue  # a header line
            result.problems.append(Problem(f"{url}:{number}", f"not `<time>,<id>`: {line[:80]!r}"))
            continue
        if newest is None:
            newest = _iso(moment)
        if moment <= cursor:
            break  # newest first: everything below was seen at the last update
        if record_id not in ids:
            ids.append(record_id)
        if len(ids) > MAX_INCREMENTAL:
            return None
    return ids, newest or _iso(cursor)


def _fetch_records(
    writer: DatabaseWriter,
    fetcher: _Fetcher,
    folder: str,
    ecosystem: str,
    ids: list[str],
    result: UpdateResult,
) -> int:
    feed = feed_name(ecosystem)
    writer.start_feed(Feed(feed, "osv", f"{folder}/", complete=False))
    count = 0
    with progress(f"Updating {ecosystem}", total=len(ids)) as bar:
        for record_id in ids:
            url = f"{folder}/{quote(record_id, safe='')}.json"
            data = fetcher.get(url, MAX_RECORD_BYTES, missing_ok=True)
            bar.advance()
            if data is None:
                writer.remove(feed, record_id)
                result.notes.append(f"{record_id}: no longer published ({url}); removed")
                continue
            try:
                advisory = parse_record(load_document(data, url), ecosystem)
            except RecordError as exc:
                result.problems.append(Problem(url, str(exc)))
                continue
            if advisory.id != record_id:
                result.problems.append(Problem(url, f"the record's id is {advisory.id!r}"))
                continue
            writer.put(feed, for_ecosystem(advisory, ecosystem))
            count += 1
    return count


class _Fetcher:
    """GET requests with timeouts, a deadline, bounded bodies and clear errors."""

    def __init__(
        self, session: requests.Session, timeout: tuple[float, float], deadline: float
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.deadline = deadline
        session.max_redirects = 5

    def close(self) -> None:
        self.session.close()

    def _left(self, url: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise UpdateError(f"{url}: the update ran past its time limit")
        return left

    def _open(self, url: str) -> requests.Response:
        import requests

        left = self._left(url)
        try:
            response = self.session.get(
                url,
                stream=True,
                timeout=(min(self.timeout[0], left), min(self.timeout[1], left)),
                headers={"Accept-Encoding": "identity"},
            )
        except requests.Timeout as exc:
            raise UpdateError(f"{url}: no answer within the timeout") from exc
        except requests.RequestException as exc:
            raise UpdateError(f"{url}: {_reason(exc)}") from exc
        try:
            check_base_url(response.url)  # no redirect to plain HTTP elsewhere
        except UpdateError:
            response.close()
            raise
        return response

    def _status(self, response: requests.Response, url: str) -> None:
        if response.status_code != 200:
            response.close()
            reason = response.reason or ""
            raise UpdateError(f"{url}: HTTP {response.status_code} {reason}".rstrip())

    def _chunks(self, response: requests.Response, url: str) -> Iterator[bytes]:
        import requests

        try:
            for chunk in response.iter_content(CHUNK):
                self._left(url)
                yield chunk
        except requests.RequestException as exc:
            raise UpdateError(f"{url}: the transfer broke off ({_reason(exc)})") from exc

    def download(self, url: str, target: Path, description: str) -> None:
        response = self._open(url)
        with response:
            self._status(response, url)
            expected = _content_length(response)
            if expected is not None and expected > MAX_ZIP_BYTES:
                raise UpdateError(f"{url}: {expected} bytes, more than {MAX_ZIP_BYTES}")
            received = 0
            with open(target, "wb") as out, progress(description, expected, unit="bytes") as bar:
                for chunk in self._chunks(response, url):
                    received += len(chunk)
                    if received > MAX_ZIP_BYTES:
                        raise UpdateError(f"{url}: more than {MAX_ZIP_BYTES} bytes")
                    out.write(chunk)
                    bar.advance(len(chunk))
            if expected is not None and received != expected:
                raise UpdateError(
                    f"{url}: the transfer broke off after {received} of {expected} bytes"
                )

    def get(self, url: str, limit: int, *, missing_ok: bool = False) -> bytes | None:
        response = self._open(url)
        with response:
            if missing_ok and response.status_code == 404:
                return None
            self._status(response, url)
            data = bytearray()
            for chunk in self._chunks(response, url):
                data += chunk
                if len(data) > limit:
                    raise UpdateError(f"{url}: larger than {limit} bytes")
            expected = _content_length(response)
            if expected is not None and len(data) != expected:
                raise UpdateError(f"{url}: the transfer broke off after {len(data)} bytes")
            return bytes(data)

    def lines(self, url: str) -> Iterator[str]:
        """The lines of a text file, read as they arrive; leaving early closes it."""
        response = self._open(url)
        with response:
            self._status(response, url)
            pending = b""
            for chunk in self._chunks(response, url):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    yield raw.decode("utf-8", "replace")
            if pending:
                yield pending.decode("utf-8", "replace")


def _content_length(response: requests.Response) -> int | None:
    """The body's length as sent; None when unknown or when it was compressed on the way
    (requests hands over the decoded bytes)."""
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    value = response.headers.get("Content-Length")
    if value and value.isdigit():
        return int(value)
    return None


def _reason(exc: Exception) -> str:
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if match:
        return match.group(1)
    return text if len(text) < 200 else text[:200] + "..."


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
