"""`hullguard merge`: many `hullguard/report/v1` reports combined into one fleet report.

Each report is read back into a `Report` (`Report.from_dict`). A report made by `hullguard host`
(its `origin.command`, or, for reports that predate `origin`, a target of kind `host`) describes
one machine: its targets, findings and errors are scoped to that machine by prefixing their
paths and logical locations with `HOST:` (`node-a:host`, `node-a:container/web:...`), so that
the same daemon setting on two nodes stays two findings, each with a fingerprint of its host
(GitLab keeps one issue per fingerprint; a baseline of a fleet report accepts a finding on one
node only). Other reports (images, source trees) describe things that are the same wherever
they were audited and are not scoped; nor is an earlier fleet report (it has a `fleet`
summary), whose findings are scoped already.

Findings are deduplicated by fingerprint and target (the scoped path, or the object of the
scoped logical location); targets and errors are unioned, identical entries kept once. A file
that cannot be read or is not a report is an error entry naming it (with the line, for JSON that
does not parse) and an unreadable target of kind `report`, so that the merged report exits 2;
the other files are still merged. A file named twice is read once; `-` is standard input.

The merged report carries a `fleet` summary: per source report, per audited host and per image,
the number of findings by severity and by pillar.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hullguard import __version__
from hullguard.model import (
    REPORT_SCHEMA,
    ErrorEntry,
    ErrorKind,
    Finding,
    Location,
    Pillar,
    Report,
    Severity,
    Target,
    TargetStatus,
)

REPORT_KIND = "report"  # Target.kind of a source report that could not be read
HOST_COMMAND = "host"
MERGE_COMMAND = "merge"
STDIN = "-"
IMAGE_KIND = "image"
MAX_REPORT_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class SourceReport:
    """One file given to merge: its report, or the error that kept it out."""

    file: str
    report: Report | None
    error: ErrorEntry | None = None

    @property
    def host(self) -> str | None:
        origin = self.report.origin if self.report is not None else None
        name = origin.get("host") if origin else None
        return name if isinstance(name, str) and name else None

    @property
    def command(self) -> str | None:
        if self.report is None:
            return None
        origin = self.report.origin or {}
        command = origin.get("command")
        if isinstance(command, str) and command:
            return command
        if self.report.fleet is not None:
            return MERGE_COMMAND  # already scoped: merging it again must not scope it twice
        if any(t.kind == HOST_COMMAND for t in self.report.targets):
            return HOST_COMMAND
        return None

    @property
    def scope(self) -> str | None:
        """The machine this report's findings belong to: a host audit's host (else its file
        name), or None for reports about things that are the same everywhere."""
        if self.command != HOST_COMMAND:
            return None
        return self.host or Path(self.file).name

    @property
    def hosts(self) -> frozenset[str]:
        """The machines whose findings this report holds: its scope, or the hosts of an
        earlier fleet report's summary (its findings already scoped to them)."""
        if self.scope is not None:
            return frozenset({self.scope})
        fleet = self.report.fleet if self.report is not None else None
        entries = fleet.get("hosts") if fleet is not None else None
        return frozenset(
            e["host"]
            for e in (entries if isinstance(entries, list) else [])
            if isinstance(e, Mapping) and isinstance(e.get("host"), str)
        )


def read_report(path: str | Path) -> SourceReport:
    """The report in `path` (`-`: standard input); an unreadable file or a document that is
    not a report is an error entry naming the file."""
    file = str(path)
    if file != STDIN and Path(file).is_dir():
        return _unreadable(file, "a folder, not a report: name the report files in it")
    try:
        if file == STDIN:
            data = sys.stdin.buffer.read(MAX_REPORT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        return _unreadable(file, f"cannot read the report: {exc.strerror or exc}")
    if len(data) > MAX_REPORT_BYTES:
        return _unreadable(file, f"larger than the {MAX_REPORT_BYTES} bytes allowed for a report")
    if not data.strip():
        return _unreadable(file, "empty: not a report (merge reads `--format json` reports)")
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        return _unreadable(file, f"not JSON: {exc.msg}", exc.lineno, exc.colno)
    except UnicodeDecodeError as exc:
        return _unreadable(file, f"not JSON: not UTF-8 text ({exc.reason})")
    schema = document.get("schema") if isinstance(document, dict) else None
    if isinstance(document, dict) and "runs" in document and schema is None:
        return _unreadable(
            file, "a SARIF log, not a hullguard report: merge reads `--format json` reports"
        )
    if schema != REPORT_SCHEMA:
        found = f"its schema is {schema!r}" if schema is not None else "it names no schema"
        return _unreadable(
            file,
            f"not a {REPORT_SCHEMA} report ({found}); merge reads `--format json` reports of "
            f"this hullguard version",
        )
    try:
        report = Report.from_dict(document)
    except ValueError as exc:
        return _unreadable(
            file,
            f"a {REPORT_SCHEMA} report that hullguard {__version__} cannot read ({exc}); a newer "
            "version's report needs a merge by that version",
        )
    return SourceReport(file, report)


def _unreadable(
    file: str, message: str, line: int | None = None, column: int | None = None
) -> SourceReport:
    return SourceReport(file, None, ErrorEntry(file, message, line, column, ErrorKind.READ))


def merge_files(
    paths: Sequence[str | Path],
    fail_on: Severity | None = Severity.MEDIUM,
    baseline: frozenset[str] = frozenset(),
) -> Report:
    """Read every file, each once however often it is named, and merge them (see
    `merge_reports`)."""
    distinct: dict[str, str] = {}
    for path in paths:
        name = str(path)
        distinct.setdefault(name if name == STDIN else str(Path(name).resolve()), name)
    return merge_reports([read_report(p) for p in distinct.values()], fail_on, baseline)


def merge_reports(
    sources: Sequence[SourceReport],
    fail_on: Severity | None = Severity.MEDIUM,
    baseline: frozenset[str] = frozenset(),
) -> Report:
    """One fleet report from the sources, in their order: findings deduplicated by fingerprint
    and target, targets and errors unioned, a `fleet` summary added. Findings whose (scoped)
    fingerprint is in `baseline` are counted as baselined, not reported."""
    targets: dict[Target, None] = {}
    errors: dict[ErrorEntry, None] = {}
    findings: dict[tuple[str, str], Finding] = {}
    hosts: dict[str, dict[tuple[str, str], Finding]] = {}
    suppressed = baselined = 0
    for source in sources:
        if source.report is None:
            assert source.error is not None
            targets[Target(REPORT_KIND, source.file, TargetStatus.ERROR, source.error.message)] = (
                None
            )
            errors[source.error] = None
            continue
        scope = source.scope
        report = source.report
        suppressed += report.suppressed
        baselined += report.baselined
        for target in report.targets:
            targets[_scoped_target(target, scope)] = None
        for error in report.errors:
            errors[_scoped_error(error, scope)] = None
        prefix = f"{scope}:" if scope is not None else ""
        names = {prefix + n for t in report.targets for n in (t.path, f"{t.kind}/{t.path}")}
        nested = source.hosts if scope is None else frozenset()
        for finding in report.findings:
            scoped = _scoped_finding(finding, scope)
            if scoped.fingerprint and scoped.fingerprint in baseline:
                baselined += 1
                continue
            key = (_identity(scoped), finding_target(scoped, names))
            findings.setdefault(key, scoped)
            owner = scope if scope is not None else _host_of(scoped, nested)
            if owner is not None:
                hosts.setdefault(owner, {})[key] = scoped
    merged = tuple(findings.values())
    fleet = {
        "reports": [_source_summary(source) for source in sources],
        "hosts": [
            {"host": name, "reports": _files_of(sources, name), **_counts(found.values())}
            for name, found in sorted(hosts.items())
        ]
        + [
            {"host": name, "reports": _files_of(sources, name), **_counts(())}
            for name in sorted(set().union(*(s.hosts for s in sources)) - set(hosts))
        ],
        "images": _image_summaries(targets, merged),
        "duplicates": sum(len(s.report.findings) for s in sources if s.report) - len(merged),
    }
    return Report(
        version=__version__,
        targets=tuple(targets),
        findings=tuple(
            sorted(merged, key=lambda f: (f.location.path or "", f.location.line or 0, f.rule_id))
        ),
        errors=tuple(errors),
        suppressed=suppressed,
        baselined=baselined,
        fail_on=fail_on,
        fleet=fleet,
    )


def finding_target(finding: Finding, names: Collection[str] = frozenset()) -> str:
    """The object a finding is about: its file, else the longest of `names` (target names,
    which may hold colons) that its logical location is or starts with before a colon, else
    the part of the logical location before its first colon. Only the logical location's
    prefixes that end at a colon are looked up, so many targets cost no more than a few."""
    location = finding.location
    if location.path:
        return location.path
    logical = location.logical or ""
    if logical in names:
        return logical
    end = len(logical)
    while (end := logical.rfind(":", 0, end)) >= 0:
        if logical[:end] in names:
            return logical[:end]
    return logical.split(":", 1)[0]


def _identity(finding: Finding) -> str:
    """The fingerprint; a finding without one (a hand-written report) by its whole content."""
    if finding.fingerprint:
        return finding.fingerprint
    return json.dumps(finding.to_dict(), sort_keys=True)


def _scoped(text: str | None, scope: str | None) -> str | None:
    if text is None or scope is None:
        return text
    return f"{scope}:{text}"


def _scoped_target(target: Target, scope: str | None) -> Target:
    if scope is None:
        return target
    return replace(target, path=f"{scope}:{target.path}")


def _scoped_error(error: ErrorEntry, scope: str | None) -> ErrorEntry:
    if scope is None:
        return error
    return replace(error, path=_scoped(error.path, scope) if error.path else scope)


def _scoped_finding(finding: Finding, scope: str | None) -> Finding:
    """The finding placed on its host; its fingerprint too, so that the same finding on two
    hosts has two fingerprints (GitLab keeps one issue per fingerprint; a baseline of the fleet
    report accepts a finding on one host only)."""
    if scope is None:
        return finding
    location: Location = finding.location
    fingerprint = finding.fingerprint
    if fingerprint:
        fingerprint = hashlib.sha256(f"{scope}\0{fingerprint}".encode()).hexdigest()[:32]
    return replace(
        finding,
        location=replace(
            location, path=_scoped(location.path, scope), logical=_scoped(location.logical, scope)
        ),
        fingerprint=fingerprint,
    )


def _counts(findings: Iterable[Finding]) -> dict[str, Any]:
    by_severity = {s.value: 0 for s in reversed(Severity)}
    by_pillar = {str(p.value): 0 for p in Pillar}
    total = 0
    for finding in findings:
        total += 1
        by_severity[finding.severity.value] += 1
        by_pillar[str(finding.pillar)] = by_pillar.get(str(finding.pillar), 0) + 1
    return {"findings": total, "by_severity": by_severity, "by_pillar": by_pillar}


def _source_summary(source: SourceReport) -> dict[str, Any]:
    if source.report is None:
        assert source.error is not None
        return {
            "file": source.file,
            "status": "error",
            "message": source.error.message,
            **_counts(()),
        }
    return {
        "file": source.file,
        "status": "ok",
        "host": source.host,
        "command": source.command,
        "targets": len(source.report.targets),
        "errors": len(source.report.errors),
        **_counts(source.report.findings),
    }


def _files_of(sources: Sequence[SourceReport], host: str) -> list[str]:
    return [s.file for s in sources if host in s.hosts]


def _host_of(finding: Finding, hosts: frozenset[str]) -> str | None:
    """The host of a finding already scoped (`HOST:...`) to one of `hosts`, else None."""
    if not hosts:
        return None
    place = finding.location.path or finding.location.logical or ""
    host = place.split(":", 1)[0]
    return host if host in hosts else None


def _image_summaries(
    targets: Iterable[Target], findings: Sequence[Finding]
) -> list[dict[str, Any]]:
    """Per image target: its status and the findings whose logical location is inside it."""
    images: dict[str, list[Target]] = {}
    for target in targets:
        if target.kind == IMAGE_KIND:
            images.setdefault(target.path, []).append(target)
    if not images:
        return []
    names = {f"image/{name}": name for name in images}
    found: dict[str, list[Finding]] = {name: [] for name in images}
    for finding in findings:
        if finding.location.path is None:
            owner = finding_target(finding, names)
            if owner in names:
                found[names[owner]].append(finding)
    return [
        {
            "image": name,
            "status": "error"
            if any(t.status is TargetStatus.ERROR for t in images[name])
            else "ok",
            **_counts(found[name]),
        }
        for name in sorted(images)
    ]


def fleet_rows(fleet: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(kind, name, counts) for every report, host and image of a fleet summary, for
    renderers; entries that are not objects are skipped."""
    rows: list[tuple[str, str, Mapping[str, Any]]] = []
    for kind, key, name_key in (
        ("report", "reports", "file"),
        ("host", "hosts", "host"),
        ("image", "images", "image"),
    ):
        entries = fleet.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping):
                rows.append((kind, str(entry.get(name_key, "?")), entry))
    return rows


def origin(command: str, root: str | Path | None = None) -> dict[str, str]:
    """The `origin` of a report made by `command`: the command and the host it describes. For
    a host audit of another root (`host --root /host`, a node's root mounted in a pod) the
    host is that root's `etc/hostname`, when it is a regular file; else this machine's name."""
    name = None
    if root is not None and Path(root).resolve() != Path("/"):
        name = _hostname_file(Path(root) / "etc" / "hostname")
    return {"host": name or socket.gethostname(), "command": command}


def _hostname_file(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        with path.open("rb") as handle:
            text = handle.read(256).decode("utf-8", errors="replace")
    except OSError:
        return None
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first or None
