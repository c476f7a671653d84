"""The ignore file: vulnerabilities accepted for a reason, until a date.

`.hullguardignore.yaml` (in the working folder, or `--ignore-file`, or `[vulnerabilities]
ignore-file`) is a YAML list of entries:

```yaml
- id: CVE-2023-4911          # an advisory id or any of its aliases
  package: glibc             # optional: only for this package (installed or source name)
  reason: not reachable: no setuid binaries in the image     # required
  expires: 2026-03-31        # optional: YYYY-MM-DD, the last day the entry holds
```

An entry past its expiry date no longer ignores anything and is reported as an error entry
with the file and line, so that an acceptance is looked at again. Malformed entries are error
entries with their line; the well-formed ones still apply.
"""

from __future__ import annotations

import datetime as dt
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hullguard.model import ErrorEntry, ErrorKind
from hullguard.sources.yaml import YList, YMap, load_documents
from hullguard.vuln.model import Match, normalise_name

MAX_IGNORE_FILE_BYTES = 4 * 1024 * 1024
_KEYS = frozenset({"id", "package", "reason", "expires"})


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    id: str
    reason: str
    line: int
    package: str | None = None
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def covers(self, found: Match) -> bool:
        ids = {i.upper() for i in (found.advisory.id, *found.advisory.aliases, *found.also)}
        if self.id.upper() not in ids:  # `cve-2023-1` as typed; GHSA ids mix cases
            return False
        if self.package is None:
            return True
        ref = found.package
        wanted = normalise_name(ref.ecosystem, self.package)
        return self.package == ref.display_name or wanted in (
            ref.name,
            normalise_name(ref.ecosystem, ref.display_name),
        )


@dataclass
class IgnoreList:
    """The entries of one ignore file in force today, and the problems found in it."""

    path: str | None = None
    entries: list[IgnoreEntry] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)

    def ignoring(self, found: Match) -> IgnoreEntry | None:
        """The entry that ignores `found`, or None."""
        for entry in self.entries:
            if entry.covers(found):
                return entry
        return None


def load_ignore_file(
    path: Path, shown: str | None = None, today: dt.date | None = None
) -> IgnoreList:
    """Read an ignore file; never raises. `shown` is the path written in error entries."""
    shown = shown or str(path)
    result = IgnoreList(shown)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a folder, or a FIFO that would never end
            what = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file"
            result.errors.append(
                ErrorEntry(shown, f"cannot read the ignore file: {what}", kind=ErrorKind.READ)
            )
            return result
        size = status.st_size
        if size > MAX_IGNORE_FILE_BYTES:
            result.errors.append(
                ErrorEntry(shown, f"ignore file is {size:,} bytes; not read", kind=ErrorKind.READ)
            )
            return result
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        result.errors.append(
            ErrorEntry(shown, f"cannot read the ignore file: {exc.strerror}", kind=ErrorKind.READ)
        )
        return result
    except UnicodeDecodeError as exc:
        result.errors.append(ErrorEntry(shown, f"the ignore file is not UTF-8: {exc.reason}"))
        return result
    parse_ignore_text(text, shown, today or dt.date.today(), result)
    return result


def parse_ignore_text(text: str, shown: str, today: dt.date, result: IgnoreList) -> None:
    documents = load_documents(text, shown)
    for document in documents:
        if document.error is not None:
            result.errors.append(
                ErrorEntry(
                    shown, document.error.message, document.error.line, document.error.column
                )
            )
            continue
        if not isinstance(document.value, YList):
            result.errors.append(
                ErrorEntry(shown, "the ignore file must be a YAML list of entries", document.line)
            )
            continue
        for index, item in enumerate(document.value):
            line = document.value.at(index).line or document.line
            entry = _entry(item, line, shown, result)
            if entry is None:
                continue
            if entry.expired(today):
                result.errors.append(
                    ErrorEntry(
                        shown,
                        f"ignore entry for {entry.id} expired on {entry.expires}: the "
                        "vulnerability is reported again; renew or remove the entry",
                        entry.line,
                        kind=ErrorKind.CONFIG,
                    )
                )
                continue
            result.entries.append(entry)


def _entry(item: object, line: int, shown: str, result: IgnoreList) -> IgnoreEntry | None:
    def problem(message: str, at: int = line) -> None:
        result.errors.append(ErrorEntry(shown, message, at, kind=ErrorKind.CONFIG))

    if not isinstance(item, YMap):
        problem("an ignore entry must be a mapping with `id` and `reason`")
        return None
    unknown = sorted(str(k) for k in item if k not in _KEYS)
    if unknown:
        problem(f"unknown key(s) in an ignore entry: {', '.join(unknown)}")
        return None
    vuln_id, reason, package = item.get("id"), item.get("reason"), item.get("package")
    if not isinstance(vuln_id, str) or not vuln_id.strip():
        problem("an ignore entry needs an `id` (an advisory id or alias, e.g. CVE-2023-4911)")
        return None
    if not isinstance(reason, str) or not reason.strip():
        problem(f"the ignore entry for {vuln_id} needs a `reason`")
        return None
    if package is not None and (not isinstance(package, str) or not package.strip()):
        problem(f"the ignore entry for {vuln_id}: `package` must be a package name")
        return None
    expires: dt.date | None = None
    if "expires" in item:
        raw = item["expires"]
        try:
            expires = dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            problem(
                f"the ignore entry for {vuln_id}: `expires` must be a date, YYYY-MM-DD "
                f"(got {raw!r})",
                item.at("expires").line or line,
            )
            return None
    return IgnoreEntry(
        id=vuln_id.strip(),
        reason=reason.strip(),
        line=line,
        package=package.strip() if isinstance(package, str) else None,
        expires=expires,
    )
