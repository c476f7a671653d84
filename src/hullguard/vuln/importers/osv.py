"""OSV records: JSON or YAML files, folders of them, and osv.dev's per-ecosystem `all.zip`.

Read as the OSV schema defines them (https://ossf.github.io/osv-schema/):

- `id`, `aliases`, `summary`, `details`, `published`, `modified`, `withdrawn`;
- `severity[]` (`type` and `score`: a CVSS vector, or a word for types such as `Ubuntu`);
- `references[].url`;
- `affected[]`: `package.ecosystem` (kept as OSV spells it: `PyPI`, `Debian:12`,
  `Alpine:v3.19`), `package.name` (stored through `normalise_name`; taken from `package.purl`
  when an entry gives only that), `ranges[]` of type
  `ECOSYSTEM`, `SEMVER` or `GIT` with their `events` (each an object with exactly one of
  `introduced`, `fixed`, `last_affected`, `limit`), and `versions[]`;
- GitHub's `database_specific.last_known_affected_version_range` ("<= 2.3.1"), on the affected
  entry or on one of its ranges;
- a rating word from `affected[].ecosystem_specific.severity` or `.urgency` (Ubuntu, Debian),
  `affected[].database_specific.severity`, else the record's `database_specific.severity`
  (GitHub: "HIGH"), stored lower-case.

A record belongs to the feed `osv:<ecosystem>`, the ecosystem without its release
(`osv:Debian` for `Debian:12`), the unit osv.dev publishes archives for. Files are upserted
record by record; an `all.zip` is the whole feed and replaces what the feed held.

YAML is read with PyYAML's C safe loader only. Zip members are read one at a time, each bounded
to `MAX_RECORD_BYTES`.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hullguard.vuln.importers import MAX_RECORD_BYTES, Batch, Problem, Reporter
from hullguard.vuln.model import (
    EVENT_KINDS,
    Advisory,
    Affected,
    Event,
    Range,
    SeverityScore,
    normalise_name,
)
from hullguard.vuln.store import Feed

RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER", "GIT"})
MAX_ZIP_MEMBERS = 1_000_000


class RecordError(ValueError):
    """A record that breaks the OSV schema; the message says where."""


def feed_name(ecosystem: str) -> str:
    return f"osv:{ecosystem.split(':', 1)[0]}"


# --- reading files -----------------------------------------------------------------------------


def load_document(data: bytes, name: str) -> Any:
    """Parse a JSON or YAML document; raise RecordError with the line on failure."""
    if name.lower().endswith((".yaml", ".yml")):
        import yaml

        loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            return yaml.load(data, Loader=loader)  # a safe loader (C when available)
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else None
            where = f" at line {line}" if line else ""
            raise RecordError(f"not valid YAML{where}: {exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise RecordError(f"not valid YAML: {exc}") from None
        except RecursionError:
            raise RecordError("not read: nested too deeply") from None
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise RecordError("not valid JSON: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise RecordError("not read: nested too deeply") from None


def read_files(paths: Iterable[Path], report: Reporter) -> Iterator[Batch]:
    """One batch per record (files are upserted record by record)."""
    for path in paths:
        try:
            size = path.stat().st_size
            if size > MAX_RECORD_BYTES:
                report(Problem(str(path), f"larger than {MAX_RECORD_BYTES} bytes; skipped"))
                continue
            data = path.read_bytes()
        except OSError as exc:
            report(Problem(str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        yield from _batches_of(data, str(path), path.name, None, report, complete=False)


def _batches_of(
    data: bytes,
    where: str,
    name: str,
    default_ecosystem: str | None,
    report: Reporter,
    *,
    complete: bool,
    origin: str | None = None,
) -> Iterator[Batch]:
    try:
        document = load_document(data, name)
        advisory = parse_record(document, default_ecosystem)
    except RecordError as exc:
        record_id = _record_id(data, name)
        report(Problem(f"{where}#{record_id}" if record_id else where, str(exc)))
        return
    if complete and default_ecosystem:
        advisory = for_ecosystem(advisory, default_ecosystem)
    feed = advisory.source
    yield Batch(
        Feed(feed, "osv", origin or where, complete=complete),
        (advisory,),
    )


def _record_id(data: bytes, name: str) -> str | None:
    """The id of a broken record, when it can still be seen, for the message."""
    import re

    match = re.search(rb'(?:^|[{,\s])"?id"?\s*:\s*"?([A-Za-z0-9._:-]+)', data[:4096])
    return match.group(1).decode() if match else None


def read_zip(path: Path, report: Reporter, ecosystem: str | None = None) -> Iterator[Batch]:
    """The records of an osv.dev `all.zip`, member by member; the archive is the whole feed.

    `ecosystem` names the archive's ecosystem (`db update` knows it); when reading a local
    file it is taken from the folder the zip is in (`PyPI/all.zip`) or from the records.
    """
    default = ecosystem or (path.parent.name if path.name == "all.zip" else None)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        report(Problem(str(path), f"not a readable zip archive: {exc}"))
        return
    with archive:
        yield from iter_zip_records(archive, str(path), default, report)


def iter_zip_records(
    archive: zipfile.ZipFile,
    where: str,
    default_ecosystem: str | None,
    report: Reporter,
    *,
    strict: bool = False,
) -> Iterator[Batch]:
    """Batches of the archive's JSON members. With `strict`, a damaged archive (a CRC error,
    a member cut short) raises `zipfile.BadZipFile` instead of being reported, so that an
    update can refuse it whole."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise zipfile.BadZipFile(f"{where}: more than {MAX_ZIP_MEMBERS} members")
    for info in members:
        if info.is_dir() or not info.filename.lower().endswith(".json"):
            continue
        member_where = f"{where}:{info.filename}"
        if _unsafe_member_name(info.filename):
            report(Problem(member_where, "a member named outside the archive's root; refused"))
            continue
        if info.file_size > MAX_RECORD_BYTES:
            report(Problem(member_where, f"larger than {MAX_RECORD_BYTES} bytes; skipped"))
            continue
        try:
            with archive.open(info) as member:
                data = member.read(MAX_RECORD_BYTES + 1)
        # zipfile raises NotImplementedError for a compression method it lacks (deflate64...)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            if strict:
                raise zipfile.BadZipFile(f"{member_where}: {exc}") from exc
            report(Problem(member_where, f"cannot read the member: {exc}"))
            continue
        if len(data) > MAX_RECORD_BYTES:
            report(Problem(member_where, f"larger than {MAX_RECORD_BYTES} bytes; skipped"))
            continue
        yield from _batches_of(
            data,
            member_where,
            info.filename,
            default_ecosystem,
            report,
            complete=True,
            origin=where,
        )


def _unsafe_member_name(name: str) -> bool:
    """An absolute member name or one with a `..` part: refused, as every archive is."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts


def for_ecosystem(advisory: Advisory, ecosystem: str) -> Advisory:
    """The record as the feed of `ecosystem` keeps it: osv.dev exports a record that affects
    two ecosystems in both archives, so each feed keeps only the entries of its own ecosystem
    (all of them when none is: nothing is lost)."""
    base = ecosystem.split(":", 1)[0]
    own = tuple(a for a in advisory.affected if a.ecosystem.split(":", 1)[0] == base)
    return replace(advisory, source=feed_name(base), affected=own or advisory.affected)


# --- the record --------------------------------------------------------------------------------


def parse_record(document: Any, default_ecosystem: str | None = None) -> Advisory:
    """An `Advisory` from one OSV record (a parsed JSON/YAML document)."""
    if not isinstance(document, Mapping):
        raise RecordError(f"an OSV record is a mapping with an `id`, not {_kind(document)}")
    record_id = document.get("id")
    if not isinstance(record_id, str) or not record_id.strip():
        raise RecordError("the record has no `id` string")
    record_id = record_id.strip()
    try:
        affected = tuple(_affected_entries(document))
        ecosystems = [a.ecosystem for a in affected]
        feed_ecosystem = ecosystems[0] if ecosystems else default_ecosystem
        if feed_ecosystem is None:
            feed_ecosystem = _first_ecosystem(document) or "unknown"
        return Advisory(
            id=record_id,
            source=feed_name(feed_ecosystem),
            aliases=tuple(_strings(document, "aliases")),
            summary=_text(document, "summary"),
            details=_text(document, "details"),
            published=_time(document, "published"),
            modified=_time(document, "modified"),
            withdrawn=_time(document, "withdrawn"),
            severity=tuple(_severities(document.get("severity"), "severity")),
            references=tuple(_references(document.get("references"))),
            affected=affected,
        )
    except RecordError as exc:
        raise RecordError(f"{exc}") from None


def _affected_entries(document: Mapping[str, Any]) -> Iterator[Affected]:
    entries = document.get("affected")
    if entries is None:
        return
    if not isinstance(entries, list):
        raise RecordError(f"`affected` is {_kind(entries)}, not a list")
    record_rating = _rating(document.get("database_specific"))
    for index, entry in enumerate(entries):
        where = f"affected[{index}]"
        if not isinstance(entry, Mapping):
            raise RecordError(f"{where} is {_kind(entry)}, not a mapping")
        package = entry.get("package")
        if package is None:
            continue  # an entry of git ranges only (no package): nothing to match by name
        if not isinstance(package, Mapping):
            raise RecordError(f"{where}.package is {_kind(package)}, not a mapping")
        ecosystem = package.get("ecosystem")
        name = package.get("name")
        purl = package.get("purl")
        if (not isinstance(ecosystem, str) or not isinstance(name, str)) and isinstance(purl, str):
            from_purl = _from_purl(purl)
            if from_purl is not None:
                ecosystem = ecosystem if isinstance(ecosystem, str) else from_purl[0]
                name = name if isinstance(name, str) else from_purl[1]
        if not isinstance(ecosystem, str) or not ecosystem.strip():
            raise RecordError(f"{where}.package has no `ecosystem` string")
        if not isinstance(name, str) or not name.strip():
            raise RecordError(f"{where}.package has no `name` string")
        ecosystem = ecosystem.strip()
        ranges = tuple(_ranges(entry.get("ranges"), where))
        versions = tuple(_string_list(entry.get("versions"), f"{where}.versions"))
        yield Affected(
            ecosystem=ecosystem,
            package=normalise_name(ecosystem, name.strip()),
            ranges=ranges,
            versions=versions,
            last_known_affected=_last_known_affected(entry),
            rating=(
                _rating(entry.get("ecosystem_specific"))
                or _rating(entry.get("database_specific"))
                or record_rating
            ),
        )


def _ranges(value: Any, where: str) -> Iterator[Range]:
    if value is None:
        return
    if not isinstance(value, list):
        raise RecordError(f"{where}.ranges is {_kind(value)}, not a list")
    for index, item in enumerate(value):
        here = f"{where}.ranges[{index}]"
        if not isinstance(item, Mapping):
            raise RecordError(f"{here} is {_kind(item)}, not a mapping")
        kind = item.get("type")
        if kind not in RANGE_TYPES:
            raise RecordError(f"{here}.type is {kind!r}, not one of ECOSYSTEM, SEMVER, GIT")
        events = item.get("events")
        if not isinstance(events, list) or not events:
            raise RecordError(f"{here} has no `events` list")
        parsed: list[Event] = []
        for number, event in enumerate(events):
            if not isinstance(event, Mapping) or len(event) != 1:
                raise RecordError(
                    f"{here}.events[{number}] must be a mapping with exactly one of "
                    + ", ".join(EVENT_KINDS)
                )
            ((event_kind, version),) = event.items()
            if event_kind not in EVENT_KINDS:
                raise RecordError(f"{here}.events[{number}] has the unknown event {event_kind!r}")
            version_text = _scalar_text(version)
            if version_text is None:
                raise RecordError(f"{here}.events[{number}].{event_kind} is not a version string")
            parsed.append(Event(event_kind, version_text))
        yield Range(kind, tuple(parsed))


# purl types (https://github.com/package-url/purl-spec) and the OSV ecosystems they name
_PURL_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "cargo": "crates.io",
    "maven": "Maven",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
}


def _from_purl(purl: str) -> tuple[str, str] | None:
    """(OSV ecosystem, package name) from `package.purl`, for an entry that gives only that:
    Go and npm names keep their namespace (`golang.org/x/net`, `@scope/pkg`), Maven names are
    `group:artifact`."""
    from packageurl import PackageURL

    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    ecosystem = _PURL_ECOSYSTEMS.get(parsed.type)
    if ecosystem is None:
        return None
    namespace = parsed.namespace or ""
    if not namespace:
        return ecosystem, parsed.name
    separator = ":" if ecosystem == "Maven" else "/"
    return ecosystem, f"{namespace}{separator}{parsed.name}"


def _last_known_affected(entry: Mapping[str, Any]) -> str | None:
    places: list[Any] = [entry.get("database_specific")]
    ranges = entry.get("ranges")
    if isinstance(ranges, list):
        places += [r.get("database_specific") for r in ranges if isinstance(r, Mapping)]
    for place in places:
        if isinstance(place, Mapping):
            bound = place.get("last_known_affected_version_range")
            if isinstance(bound, str) and bound.strip():
                return bound.strip()
    return None


def _rating(specific: Any) -> str | None:
    if not isinstance(specific, Mapping):
        return None
    for key in ("severity", "urgency"):
        word = specific.get(key)
        if isinstance(word, str) and word.strip():
            return word.strip().lower()
    return None


def _severities(value: Any, where: str) -> Iterator[SeverityScore]:
    if value is None:
        return
    if not isinstance(value, list):
        raise RecordError(f"`{where}` is {_kind(value)}, not a list")
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise RecordError(f"{where}[{index}] is {_kind(item)}, not a mapping")
        kind, score = item.get("type"), _scalar_text(item.get("score"))
        if not isinstance(kind, str) or not score:
            raise RecordError(f"{where}[{index}] needs a `type` and a `score`")
        yield SeverityScore(kind, score)


def _references(value: Any) -> Iterator[str]:
    if value is None:
        return
    if not isinstance(value, list):
        raise RecordError(f"`references` is {_kind(value)}, not a list")
    for item in value:
        if isinstance(item, Mapping) and isinstance(item.get("url"), str):
            yield item["url"]


def _first_ecosystem(document: Mapping[str, Any]) -> str | None:
    entries = document.get("affected")
    if isinstance(entries, list):
        for entry in entries:
            package = entry.get("package") if isinstance(entry, Mapping) else None
            if isinstance(package, Mapping) and isinstance(package.get("ecosystem"), str):
                return str(package["ecosystem"])
    return None


def _strings(document: Mapping[str, Any], key: str) -> list[str]:
    return _string_list(document.get(key), f"`{key}`")


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{where} is {_kind(value)}, not a list")
    out: list[str] = []
    for item in value:
        text = _scalar_text(item)
        if text is None:
            raise RecordError(f"{where} holds {_kind(item)}, not a string")
        out.append(text)
    return out


def _text(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"`{key}` is {_kind(value)}, not a string")
    return value


def _time(document: Mapping[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # YAML reads unquoted timestamps as datetimes
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    if not isinstance(value, str):
        raise RecordError(f"`{key}` is {_kind(value)}, not an RFC 3339 time")
    return value.strip()


def _scalar_text(value: Any) -> str | None:
    """A version or id as text: YAML may have read `2.0` as a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
