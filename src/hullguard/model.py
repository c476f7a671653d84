"""The values every layer shares: severities, pillars, locations, findings and the report."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

REPORT_SCHEMA = "hullguard/report/v1"


class Severity(enum.Enum):
    """How bad a finding is; ordered from INFO (advice) to CRITICAL."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Pillar(enum.IntEnum):
    """The six pillars of container security; a rule id's first digit."""

    SOCKET = 1
    PRIVILEGES = 2
    HOST_MOUNTS = 3
    IMAGE = 4
    HOST = 5
    PIPELINE = 6

    @property
    def title(self) -> str:
        return _PILLAR_TITLES[self]


_PILLAR_TITLES = {
    Pillar.SOCKET: "Docker socket",
    Pillar.PRIVILEGES: "Privileges",
    Pillar.HOST_MOUNTS: "Host mounts",
    Pillar.IMAGE: "Dockerfile and image hygiene",
    Pillar.HOST: "Host",
    Pillar.PIPELINE: "Pipeline",
}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value came from: a file position, a logical path for live data, or both."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    logical: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "logical": self.logical,
        }

    @classmethod
    def from_dict(cls, data: object, where: str = "location") -> Location:
        doc = _object(data, where)
        return cls(
            path=_optional(doc, "path", str, where),
            line=_optional(doc, "line", int, where),
            column=_optional(doc, "column", int, where),
            end_line=_optional(doc, "end_line", int, where),
            end_column=_optional(doc, "end_column", int, where),
            logical=_optional(doc, "logical", str, where),
        )

    def __str__(self) -> str:
        where = self.path or self.logical or "?"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """A value together with the place it was written."""

    value: T
    location: Location


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one place; rule fields copy the rule's metadata."""

    rule_id: str
    rule_name: str
    pillar: int
    severity: Severity
    message: str
    target_kind: str
    location: Location
    resource: str | None = None
    fix: str | None = None
    references: tuple[str, ...] = ()
    snippet: str | None = None
    chain: tuple[str, ...] = ()
    fingerprint: str = ""
    # Vulnerability findings only: id, aliases, package, ecosystem, installed_version,
    # fixed_version, cvss (and the extra keys documented in hullguard.vuln.model.Match.to_dict).
    vulnerability: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "pillar": self.pillar,
            "severity": self.severity.value,
            "message": self.message,
            "target_kind": self.target_kind,
            "resource": self.resource,
            "location": self.location.to_dict(),
            "fix": self.fix,
            "references": list(self.references),
            "snippet": self.snippet,
            "chain": list(self.chain),
            "fingerprint": self.fingerprint,
        }
        if self.vulnerability is not None:
            data["vulnerability"] = dict(self.vulnerability)
        return data

    @classmethod
    def from_dict(cls, data: object, where: str = "finding") -> Finding:
        """The finding `to_dict` wrote; ValueError naming the field when it is not one."""
        doc = _object(data, where)
        try:
            severity = Severity.parse(_required(doc, "severity", str, where))
        except ValueError as exc:
            raise ValueError(f"{where}.severity: {exc}") from None
        vulnerability = _optional(doc, "vulnerability", dict, where)
        return cls(
            rule_id=_required(doc, "rule_id", str, where),
            rule_name=_required(doc, "rule_name", str, where),
            pillar=_required(doc, "pillar", int, where),
            severity=severity,
            message=_required(doc, "message", str, where),
            target_kind=_required(doc, "target_kind", str, where),
            location=Location.from_dict(doc.get("location"), f"{where}.location"),
            resource=_optional(doc, "resource", str, where),
            fix=_optional(doc, "fix", str, where),
            references=_strings(doc, "references", where),
            snippet=_optional(doc, "snippet", str, where),
            chain=_strings(doc, "chain", where),
            fingerprint=_optional(doc, "fingerprint", str, where) or "",
            vulnerability=vulnerability,
        )


class TargetStatus(enum.Enum):
    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Target:
    """A file (or, later, a live object) that the scan looked at."""

    kind: str
    path: str
    status: TargetStatus = TargetStatus.OK
    note: str | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "path": self.path}
        data["status"] = self.status.value
        if self.note:
            data["note"] = self.note
        return data

    @classmethod
    def from_dict(cls, data: object, where: str = "target") -> Target:
        doc = _object(data, where)
        return cls(
            kind=_required(doc, "kind", str, where),
            path=_required(doc, "path", str, where),
            status=_member(doc, "status", TargetStatus, TargetStatus.OK, where),
            note=_optional(doc, "note", str, where),
        )


class ErrorKind(enum.Enum):
    PARSE = "parse"
    READ = "read"
    RULE_CRASH = "rule-crash"
    SUPPRESSION = "suppression"
    CONFIG = "config"


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """Something that went wrong for one target; the rest of the scan went on."""

    path: str | None
    message: str
    line: int | None = None
    column: int | None = None
    kind: ErrorKind = ErrorKind.PARSE
    rule_id: str | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "kind": self.kind.value,
        }
        if self.column is not None:
            data["column"] = self.column
        if self.rule_id:
            data["rule_id"] = self.rule_id
        return data

    @classmethod
    def from_dict(cls, data: object, where: str = "error") -> ErrorEntry:
        doc = _object(data, where)
        return cls(
            path=_optional(doc, "path", str, where),
            message=_required(doc, "message", str, where),
            line=_optional(doc, "line", int, where),
            column=_optional(doc, "column", int, where),
            kind=_member(doc, "kind", ErrorKind, ErrorKind.PARSE, where),
            rule_id=_optional(doc, "rule_id", str, where),
        )


@dataclass(frozen=True)
class Report:
    """Everything a run found. Renderers see only this."""

    version: str
    targets: tuple[Target, ...] = ()
    findings: tuple[Finding, ...] = ()
    errors: tuple[ErrorEntry, ...] = ()
    suppressed: int = 0
    baselined: int = 0
    fail_on: Severity | None = Severity.MEDIUM
    # Where the report was made: {"host": ..., "command": ...}; a merged report's `fleet`
    # summary (hullguard.merge). Both optional: written only when set.
    origin: Mapping[str, Any] | None = None
    fleet: Mapping[str, Any] | None = None

    def by_pillar(self) -> dict[str, int]:
        counts = Counter(str(f.pillar) for f in self.findings)
        return {str(p.value): counts.get(str(p.value), 0) for p in Pillar}

    def by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity.value for f in self.findings)
        return {s.value: counts[s.value] for s in reversed(Severity) if counts[s.value]}

    def failing(self) -> list[Finding]:
        """Findings at or above the fail-on threshold."""
        if self.fail_on is None:
            return []
        threshold = self.fail_on
        return [f for f in self.findings if threshold <= f.severity]

    def unreadable_targets(self) -> list[Target]:
        return [t for t in self.targets if t.status is TargetStatus.ERROR]

    def exit_code(self) -> int:
        """0: nothing at or above the threshold, 1: findings at or above it, 2: unreadable."""
        if self.unreadable_targets():
            return 2
        return 1 if self.failing() else 0

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "schema": REPORT_SCHEMA,
            "tool": {"name": "hullguard", "version": self.version},
        }
        if self.origin is not None:
            data["origin"] = dict(self.origin)
        data.update(
            {
                "targets": [t.to_dict() for t in self.targets],
                "findings": [f.to_dict() for f in self.findings],
                "errors": [e.to_dict() for e in self.errors],
                "summary": {
                    "by_pillar": self.by_pillar(),
                    "by_severity": self.by_severity(),
                    "suppressed": self.suppressed,
                    "baselined": self.baselined,
                },
            }
        )
        if self.fleet is not None:
            data["fleet"] = dict(self.fleet)
        return data

    @classmethod
    def from_dict(cls, data: object, fail_on: Severity | None = Severity.MEDIUM) -> Report:
        """The report `to_dict` wrote (a `hullguard/report/v1` document), so that
        `Report.from_dict(r.to_dict()).to_dict() == r.to_dict()`; ValueError naming the
        field when it is not one. `fail_on` is not part of the document."""
        doc = _object(data, "report")
        if doc.get("schema") != REPORT_SCHEMA:
            raise ValueError(f"not a {REPORT_SCHEMA} report (schema: {doc.get('schema')!r})")
        tool = _object(doc.get("tool", {}), "tool")
        summary = _object(doc.get("summary", {}), "summary")
        return cls(
            version=_optional(tool, "version", str, "tool") or "",
            targets=tuple(
                Target.from_dict(t, f"targets[{i}]") for i, t in enumerate(_list(doc, "targets"))
            ),
            findings=tuple(
                Finding.from_dict(f, f"findings[{i}]") for i, f in enumerate(_list(doc, "findings"))
            ),
            errors=tuple(
                ErrorEntry.from_dict(e, f"errors[{i}]") for i, e in enumerate(_list(doc, "errors"))
            ),
            suppressed=_optional(summary, "suppressed", int, "summary") or 0,
            baselined=_optional(summary, "baselined", int, "summary") or 0,
            fail_on=fail_on,
            origin=_optional(doc, "origin", dict, "report"),
            fleet=_optional(doc, "fleet", dict, "report"),
        )


def _object(data: object, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a JSON object, found {type(data).__name__}")
    return data


def _required(doc: Mapping[str, Any], key: str, kind: type[T], where: str) -> T:
    if key not in doc:
        raise ValueError(f"{where}.{key}: missing")
    value = _optional(doc, key, kind, where)
    if value is None:
        raise ValueError(f"{where}.{key}: missing")
    return value


def _optional(doc: Mapping[str, Any], key: str, kind: type[T], where: str) -> T | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}.{key}: expected {kind.__name__}, found {type(value).__name__}")
    return value


def _list(doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list, found {type(value).__name__}")
    return value


def _strings(doc: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}.{key}: expected a list of strings")
    return tuple(value)


E = TypeVar("E", bound=enum.Enum)


def _member(doc: Mapping[str, Any], key: str, kind: type[E], default: E, where: str) -> E:
    """An enum member named by its value at `key`; `default` when the key is absent."""
    value = _optional(doc, key, str, where)
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{where}.{key}: unknown {key} {value!r}") from None
