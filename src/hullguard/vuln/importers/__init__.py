"""Importers: vulnerability data files into the database, one module per format.

- `osv`: OSV records (https://ossf.github.io/osv-schema/) as JSON or YAML files, folders of
  them, and the per-ecosystem `all.zip` that osv.dev publishes;
- `alpine`: the Alpine secdb JSON (`secdb.alpinelinux.org/<branch>/<repo>.json`);
- `debian_oval`: Debian's OVAL definitions (`oval-definitions-<codename>.xml`, plain or bz2).

`import_paths` detects the format of each path (folders are walked) and writes every batch
through a `DatabaseWriter`. A record that does not parse is skipped with a `Problem` naming the
file and the record (or line); the rest of the file still imports. A path that cannot be read
at all is an `UnreadablePath`, reported and counted apart.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hullguard.vuln.model import Advisory
from hullguard.vuln.store import DatabaseWriter, Feed

MiB = 1024 * 1024
MAX_RECORD_BYTES = 16 * MiB  # one OSV record file or zip member
MAX_DOCUMENT_BYTES = 256 * MiB  # one secdb JSON file, one decompressed OVAL file

OSV_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Problem:
    """A record (or a whole file) that was skipped, and why."""

    where: str  # "path", "path:line", "path#record-id", "all.zip:member"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Batch:
    """Advisories of one feed read from one file (or one archive)."""

    feed: Feed
    advisories: Iterable[Advisory]


class UnreadablePath(Exception):
    """A path given to `db import` that cannot be read at all (missing, not permitted)."""


@dataclass
class ImportSummary:
    records: dict[str, int] = field(default_factory=dict)  # feed -> records written
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_affected: int = 0  # Alpine secdb entries under version 0: not stored

    @property
    def total(self) -> int:
        return sum(self.records.values())


Reporter = Callable[[Problem], None]


def detect_format(path: Path) -> str | None:
    """ "osv", "osv-zip", "alpine-secdb", "debian-oval" or None (not vulnerability data)."""
    name = path.name.lower()
    if name.endswith((".xml", ".xml.bz2", ".oval", ".oval.bz2")) or (
        name.endswith(".bz2") and "oval" in name
    ):
        return "debian-oval"
    if name.endswith(".zip"):
        return "osv-zip"
    if name.endswith((".yaml", ".yml")):
        return "osv"
    if name.endswith(".json"):
        return "alpine-secdb" if _looks_like_secdb(path) else "osv"
    return None


def _looks_like_secdb(path: Path) -> bool:
    """A secdb file opens with the keys `apkurl`, `archs`, `reponame`, `distroversion`...
    before `packages`; an OSV record never has them."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return b'"distroversion"' in head or (b'"packages"' in head and b'"reponame"' in head)


def walk(path: Path) -> Iterator[Path]:
    """The data files under a folder, in a stable order; hidden entries are skipped and
    symbolic links are not followed out of it."""
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            candidate = Path(folder) / name
            if candidate.is_symlink() or not candidate.is_file():
                continue  # a link, a FIFO or a device: opening a FIFO would wait forever
            if detect_format(candidate) is not None:
                yield candidate


def read_batches(
    path: Path,
    report: Reporter,
    summary: ImportSummary,
    on_file: Callable[[Path], None] | None = None,
) -> Iterator[Batch]:
    """Every batch in `path` (a file or a folder); problems go to `report`, and `on_file`
    hears of each file as it is read (a progress bar)."""
    from hullguard.vuln.importers import alpine, debian_oval, osv

    if not path.exists():
        raise UnreadablePath(f"{path}: no such file or folder")
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            raise UnreadablePath(f"{path}: permission denied")
        files = list(walk(path))
        if not files:
            raise UnreadablePath(f"{path}: no vulnerability data found in this folder")
    else:
        if not path.is_file():
            raise UnreadablePath(f"{path}: not a regular file")
        if not os.access(path, os.R_OK):
            raise UnreadablePath(f"{path}: permission denied")
        if detect_format(path) == "osv-zip" and not zipfile.is_zipfile(path):
            raise UnreadablePath(f"{path}: not a zip archive")
        files = [path]
    osv_files: list[Path] = []
    for file in files:
        kind = detect_format(file)
        if kind is None:
            kind = "osv"  # a file named on the command line is read as OSV unless it says else
        summary.files += 1
        if kind == "osv":
            osv_files.append(file)
            continue
        if on_file is not None:
            on_file(file)
        if kind == "osv-zip":
            yield from osv.read_zip(file, report)
        elif kind == "alpine-secdb":
            yield from alpine.read_secdb(file, report, summary)
        else:
            yield from debian_oval.read_oval(file, report, summary)
    if osv_files:
        yield from osv.read_files(_announced(osv_files, on_file), report)


def _announced(files: list[Path], on_file: Callable[[Path], None] | None) -> Iterator[Path]:
    for file in files:
        if on_file is not None:
            on_file(file)
        yield file


def import_paths(
    writer: DatabaseWriter,
    paths: Iterable[Path],
    *,
    on_problem: Reporter | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> ImportSummary:
    """Import every path into the open `writer`; the caller commits."""
    summary = ImportSummary()

    def report(problem: Problem) -> None:
        summary.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    for path in paths:
        try:
            for batch in read_batches(Path(path), report, summary, on_file):
                write_batch(writer, batch, summary)
        except UnreadablePath as exc:
            summary.unreadable.append(Problem(str(path), str(exc).removeprefix(f"{path}: ")))
    return summary


def write_batch(writer: DatabaseWriter, batch: Batch, summary: ImportSummary) -> int:
    started = False
    count = 0
    for advisory in batch.advisories:
        if not started:
            writer.start_feed(batch.feed)
            started = True
        writer.put(batch.feed.name, advisory)
        count += 1
    if not started and batch.feed.complete:
        writer.start_feed(batch.feed)  # a complete feed that is now empty
    summary.records[batch.feed.name] = summary.records.get(batch.feed.name, 0) + count
    return count
