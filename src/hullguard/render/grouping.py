"""Groupings the report renderers share: which target a finding belongs to (junit, html,
gitlab), and the vulnerability findings by package (html, markdown).

A Report lists targets and findings side by side; a finding names its place, not its target.
A finding belongs to the target whose path is its file, else to the target whose name (`path`, or
`kind/path` for live objects) its logical location starts with, else to the only target of its
kind (the host: its findings carry logical places such as `audit-rules:/usr/bin/runc`), else to
a target made up from its own place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hullguard.model import Finding, Location, Severity, Target


@dataclass(frozen=True, slots=True, order=True)
class TargetKey:
    """A target's kind and name; the name is the path the report gives it."""

    kind: str
    name: str


class TargetIndex:
    """Looks findings' targets up in one pass over the report's targets."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self._by_path: dict[str, TargetKey] = {}
        self._by_name: dict[str, TargetKey] = {}
        kinds: dict[str, list[TargetKey]] = {}
        for target in targets:
            key = TargetKey(target.kind, target.path)
            self._by_path.setdefault(target.path, key)
            for name in (target.path, f"{target.kind}/{target.path}"):
                self._by_name.setdefault(name, key)
            kinds.setdefault(target.kind, []).append(key)
        self._names = sorted(self._by_name, key=len, reverse=True)
        self._only_of_kind = {kind: keys[0] for kind, keys in kinds.items() if len(keys) == 1}
        self._cache: dict[tuple[str | None, str | None, str], TargetKey] = {}

    def target_of(self, finding: Finding) -> TargetKey:
        location = finding.location
        cache_key = (location.path, location.logical, finding.target_kind)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._lookup(location, finding.target_kind)
            self._cache[cache_key] = found
        return found

    def _lookup(self, location: Location, target_kind: str) -> TargetKey:
        if location.path and location.path in self._by_path:
            return self._by_path[location.path]
        logical = location.logical
        if logical and not location.path:
            for name in self._names:
                if logical == name or logical.startswith(name + ":"):
                    return self._by_name[name]
        if target_kind in self._only_of_kind:
            return self._only_of_kind[target_kind]
        return TargetKey(target_kind, object_name(location, target_kind))


def object_name(location: Location, fallback: str) -> str:
    """A file's path, else the object part of a logical location (`container/web` of
    `container/web:HostConfig.Privileged`), else `fallback`."""
    if location.path:
        return location.path
    if location.logical:
        return location.logical.split(":", 1)[0] or location.logical
    return fallback


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One advisory on one package, from the worst of the findings that report it."""

    id: str
    severity: Severity
    fixed_version: str | None
    summary: str
    finding: Finding


@dataclass(frozen=True, slots=True)
class VulnerablePackage:
    ecosystem: str
    name: str
    installed: tuple[str, ...]
    vulnerabilities: tuple[Vulnerability, ...]  # worst first

    @property
    def worst(self) -> Severity:
        return max((v.severity for v in self.vulnerabilities), key=lambda s: s.rank)

    @property
    def fixed_versions(self) -> tuple[str, ...]:
        return tuple(sorted({v.fixed_version for v in self.vulnerabilities if v.fixed_version}))

    @property
    def unfixed(self) -> int:
        return sum(1 for v in self.vulnerabilities if not v.fixed_version)


def vulnerable_packages(findings: Iterable[Finding]) -> list[VulnerablePackage]:
    """The findings that carry a `vulnerability` object, grouped by (ecosystem, package), each
    advisory once; worst package first."""
    grouped: dict[tuple[str, str], tuple[set[str], dict[str, Vulnerability]]] = {}
    for finding in findings:
        data: Mapping[str, Any] | None = finding.vulnerability
        if data is None:
            continue
        ecosystem = str(data.get("ecosystem") or "")
        name = str(data.get("package") or "?")
        installed, advisories = grouped.setdefault((ecosystem, name), (set(), {}))
        if data.get("installed_version"):
            installed.add(str(data["installed_version"]))
        vuln_id = str(data.get("id") or finding.rule_id)
        known = advisories.get(vuln_id)
        if known is None or known.severity < finding.severity:
            fixed = data.get("fixed_version")
            advisories[vuln_id] = Vulnerability(
                id=vuln_id,
                severity=finding.severity,
                fixed_version=str(fixed) if fixed else None,
                summary=str(data.get("summary") or finding.message),
                finding=finding,
            )
    packages = [
        VulnerablePackage(
            ecosystem=ecosystem,
            name=name,
            installed=tuple(sorted(installed)),
            vulnerabilities=tuple(
                sorted(advisories.values(), key=lambda v: (-v.severity.rank, v.id))
            ),
        )
        for (ecosystem, name), (installed, advisories) in grouped.items()
    ]
    packages.sort(key=lambda p: (-p.worst.rank, -len(p.vulnerabilities), p.name, p.ecosystem))
    return packages
