"""Debian OVAL definitions: `oval-definitions-<codename>.xml`, plain or `.bz2`.

Streamed with `xml.etree.ElementTree.iterparse`; each element is dropped once read. A
definition names a vulnerability (`metadata/title` "CVE-2023-1234 openssl", a `reference` with
`source="CVE"`), the release (`metadata/affected/platform` "Debian GNU/Linux 12", the criterion
"Debian 12 is installed") and, through its criteria, `dpkginfo_test`s that join a
`dpkginfo_object` (the source package's `name`) with a `dpkginfo_state` whose `evr` is
`less than` the fixed version ("0:2.2-1"). Tests, objects and states follow all the
definitions in the file, so definitions are kept (small) until the end.

Not fixed yet: Debian writes a vulnerability that is open in the release, with no fixed
version, as a state `evr less than "0:0"` (criterion comment "<package> DPKG is earlier than
0"). Read literally no version is below 0:0; it means "every version, no fix yet", and is stored
as the open range `introduced "0"` with no `fixed` event. A real fixed version becomes
`introduced "0", fixed <version>`, with the `0:` epoch dropped (dpkg treats `0:1.2-1` and `1.2-1`
as the same version, and OSV's Debian data writes them without it).

Ecosystem: `Debian:<major>` from the release (bookworm 12, bullseye 11, buster 10, trixie 13;
the codename in the file name when the definitions do not say). Advisory id: the CVE id (one
advisory per CVE named; other ids such as DSA become aliases), source `debian-oval`, feed
`debian-oval:Debian:<major>`: importing a file replaces what that release held. A rating
(`urgency` or `severity` under `metadata/debian`, when present) is kept per package.
"""

from __future__ import annotations

import bz2
import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from hullguard.vuln.importers import MAX_DOCUMENT_BYTES, Batch, Problem, Reporter
from hullguard.vuln.model import FIXED, INTRODUCED, Advisory, Affected, Event, Range, normalise_name
from hullguard.vuln.store import Feed

if TYPE_CHECKING:
    from hullguard.vuln.importers import ImportSummary

SOURCE = "debian-oval"
CODENAMES = {
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "stretch": "9",
    "jessie": "8",
    "wheezy": "7",
}
UNFIXED_EVRS = frozenset({"0:0", "0"})

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+$")
_RELEASE = re.compile(r"Debian(?: GNU/Linux)? (\d+)(?:\.\d+)? is installed")
_PLATFORM = re.compile(r"^Debian GNU/Linux (\d+)")


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    """A tag without its namespace; the few tags of the file are looked up once each."""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rsplit("}", 1)[-1]
    return name


def _read_definition(element: ET.Element) -> _Definition:
    definition = _Definition(element.get("id", ""))
    for child in element.iter():
        tag = _local(child.tag)
        if tag == "criterion":
            ref = child.get("test_ref")
            if ref:
                definition.test_refs.append(ref)
            comment = child.get("comment", "")
            if _RELEASE.search(comment):
                definition.release_comment = comment
        elif tag == "reference":
            definition.references.append(
                (child.get("source", ""), child.get("ref_id", ""), child.get("ref_url", ""))
            )
        elif tag == "title" and not definition.title:
            definition.title = (child.text or "").strip()
        elif tag == "description" and not definition.description:
            definition.description = (child.text or "").strip()
        elif tag == "platform" and not definition.platform:
            definition.platform = (child.text or "").strip()
        elif tag == "product":
            definition.products.append((child.text or "").strip())
        elif tag in ("urgency", "severity") and (child.text or "").strip():
            definition.rating = (child.text or "").strip().lower()
        elif tag == "date" and (child.text or "").strip() and definition.issued is None:
            definition.issued = (child.text or "").strip()
    return definition


@dataclass(slots=True)
class _Definition:
    oval_id: str
    title: str = ""
    description: str = ""
    platform: str = ""
    products: list[str] = field(default_factory=list)
    references: list[tuple[str, str, str]] = field(default_factory=list)  # source, id, url
    test_refs: list[str] = field(default_factory=list)
    release_comment: str = ""
    issued: str | None = None
    rating: str | None = None


class _Truncated(Exception):
    pass


class _BoundedReader:
    """A file object that refuses to read past `limit` bytes (decompression bombs)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw = raw
        self._left = limit

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > 1 << 20:
            size = 1 << 20
        data = self._raw.read(size)
        self._left -= len(data)
        if self._left < 0:
            raise _Truncated(f"larger than {MAX_DOCUMENT_BYTES} bytes once decompressed")
        return data


def release_from_name(path: Path) -> str | None:
    name = path.name.lower()
    for codename, number in CODENAMES.items():
        if codename in name:
            return number
    return None


def read_oval(path: Path, report: Reporter, summary: ImportSummary) -> Iterator[Batch]:
    """The file's definitions as one batch per release; nothing if the file is damaged."""
    where = str(path)
    try:
        raw = _open(path)
    except OSError as exc:
        report(Problem(where, f"cannot read: {exc.strerror or exc}"))
        return
    try:
        parsed = _parse(_BoundedReader(raw, MAX_DOCUMENT_BYTES), where, path, report)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        at = f"{where}:{line}" if line else where
        report(Problem(at, f"not well-formed XML ({exc}); nothing imported from this file"))
        return
    except (OSError, EOFError, ValueError) as exc:
        what = "not a bzip2 stream or cut short" if path.name.endswith(".bz2") else "unreadable"
        report(Problem(where, f"{what}: {exc}; nothing imported from this file"))
        return
    except _Truncated as exc:
        report(Problem(where, f"{exc}; nothing imported from this file"))
        return
    finally:
        raw.close()
    if parsed is None:
        return
    for release, advisories in sorted(parsed.items()):
        feed = Feed(f"{SOURCE}:Debian:{release}", SOURCE, where)
        yield Batch(feed, advisories)


def _open(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".bz2"):
        return bz2.BZ2File(path, "rb")
    return path.open("rb")


def _parse(
    stream: _BoundedReader, where: str, path: Path, report: Reporter
) -> dict[str, list[Advisory]] | None:
    definitions: list[_Definition] = []
    tests: dict[str, tuple[str | None, str | None, str]] = {}  # id -> object, state, comment
    objects: dict[str, str] = {}  # dpkginfo_object id -> package name
    states: dict[str, tuple[str, str]] = {}  # dpkginfo_state id -> (operation, evr)
    release_tests: dict[str, str] = {}  # test id -> comment of a release test
    last = ""
    # "end" events only: an element is whole when it ends; each one read is then cleared
    for _, element in ET.iterparse(stream):
        tag = last = _local(element.tag)
        if tag == "definition":
            definitions.append(_read_definition(element))
        elif tag.endswith("_test"):
            object_ref = state_ref = None
            for child in element:
                kind = _local(child.tag)
                if kind == "object":
                    object_ref = child.get("object_ref")
                elif kind == "state":
                    state_ref = child.get("state_ref")
            test_id = element.get("id", "")
            comment = element.get("comment", "")
            if tag == "dpkginfo_test":
                tests[test_id] = (object_ref, state_ref, comment)
            elif _RELEASE.search(comment):
                release_tests[test_id] = comment
        elif tag == "dpkginfo_object":
            for child in element:
                if _local(child.tag) == "name" and child.text:
                    objects[element.get("id", "")] = child.text.strip()
        elif tag == "dpkginfo_state":
            for child in element:
                if _local(child.tag) == "evr" and child.text is not None:
                    states[element.get("id", "")] = (
                        child.get("operation", "equals"),
                        child.text.strip(),
                    )
        else:
            continue
        element.clear()
    seen_root = last == "oval_definitions"
    if not seen_root:
        what = f"root element <{last}>" if last else "no elements"
        report(Problem(where, f"not OVAL definitions ({what})"))
        return None
    fallback = release_from_name(path)
    out: dict[str, list[Advisory]] = {}
    for definition in definitions:
        try:
            release, advisories = _advisories(
                definition, tests, objects, states, release_tests, fallback
            )
        except ValueError as exc:
            report(Problem(f"{where}#{definition.title or definition.oval_id}", str(exc)))
            continue
        out.setdefault(release, []).extend(advisories)
    return out


def _advisories(
    definition: _Definition,
    tests: dict[str, tuple[str | None, str | None, str]],
    objects: dict[str, str],
    states: dict[str, tuple[str, str]],
    release_tests: dict[str, str],
    fallback_release: str | None,
) -> tuple[str, list[Advisory]]:
    release = _release(definition)
    for ref in definition.test_refs:
        if release is None and ref in release_tests:
            match = _RELEASE.search(release_tests[ref])
            release = match.group(1) if match else None
    release = release or fallback_release
    if release is None:
        raise ValueError(
            'no Debian release in the definition (platform or "Debian N is installed") '
            "nor in the file name"
        )
    ecosystem = f"Debian:{release}"
    fixes: dict[str, list[str | None]] = {}  # package -> fixed versions (None: not fixed yet)
    for ref in definition.test_refs:
        test = tests.get(ref)
        if test is None:
            continue  # the release and architecture tests
        object_ref, state_ref, comment = test
        name = objects.get(object_ref or "")
        if not name:
            raise ValueError(f"test {ref} ({comment}) names no dpkginfo object with a package")
        state = states.get(state_ref or "")
        if state is None:
            raise ValueError(f"test {ref} ({comment}) has no dpkginfo state with an evr")
        operation, evr = state
        if operation != "less than":
            raise ValueError(f'test {ref}: evr operation {operation!r}, expected "less than"')
        fixed = None if evr in UNFIXED_EVRS else evr.removeprefix("0:")
        fixes.setdefault(normalise_name(ecosystem, name), []).append(fixed)
    if not fixes:
        raise ValueError("no dpkginfo test (package and fixed version) in the criteria")
    ids = [ref_id for source, ref_id, _ in definition.references if _CVE.match(ref_id)]
    title_id = definition.title.split(" ", 1)[0] if definition.title else ""
    if not ids and _CVE.match(title_id):
        ids = [title_id]
    others = [
        ref_id
        for _, ref_id, _ in definition.references
        if ref_id and ref_id not in ids and _ID.match(ref_id)
    ]
    if title_id and title_id not in ids and title_id not in others and _ID.match(title_id):
        others.append(title_id)  # "DSA-5423-1 thunderbird": the DSA is an alias of its CVEs
    if not ids:
        if others:
            ids, others = others[:1], others[1:]
        elif _ID.match(title_id):
            ids = [title_id]
        else:
            raise ValueError(f"no CVE or advisory id in the definition {definition.oval_id}")
    affected = tuple(
        Affected(
            ecosystem=ecosystem,
            package=package,
            ranges=tuple(_range(fixed) for fixed in dict.fromkeys(versions)),
            rating=definition.rating,
        )
        for package, versions in fixes.items()
    )
    urls = tuple(dict.fromkeys(url for _, _, url in definition.references if url))
    advisories = [
        Advisory(
            id=advisory_id,
            source=SOURCE,
            aliases=tuple(i for i in (*ids, *others) if i != advisory_id),
            summary=definition.title,
            details=definition.description,
            published=_date(definition.issued),
            references=urls,
            affected=affected,
        )
        for advisory_id in ids
    ]
    return release, advisories


@functools.lru_cache(maxsize=65536)
def _range(fixed: str | None) -> Range:
    if fixed is None:
        return Range("ECOSYSTEM", (Event(INTRODUCED, "0"),))
    return Range("ECOSYSTEM", (Event(INTRODUCED, "0"), Event(FIXED, fixed)))


def _release(definition: _Definition) -> str | None:
    match = _PLATFORM.match(definition.platform) or _RELEASE.search(definition.release_comment)
    return match.group(1) if match else None


def _date(text: str | None) -> str | None:
    if text and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return f"{text}T00:00:00Z"
    return None
