"""The matcher: which advisories of the database affect which installed packages.

`match(db, packages)` asks the database once per ecosystem for every package name, then
evaluates each advisory's `Affected` entry as the OSV schema's "Evaluation" pseudo-code does
(https://ossf.github.io/osv-schema/#evaluation):

- a version is affected when it is in the entry's explicit `versions` list, or inside one of
  its ranges of type ECOSYSTEM or SEMVER (GIT ranges need the repository and are skipped);
- a range applies only below one of its `limit` events (none given: no limit; `*` is infinity);
- the range's events are sorted by the ecosystem's own version order (`introduced: "0"` before
  every version) and walked in that order: `introduced` at or below the version makes it
  vulnerable, `fixed` at or below it (exclusive) and `last_affected` below it (inclusive) make
  it not; the last event at or below the version decides;
- a range whose last event is `introduced` leaves the end open; GitHub advisories then keep an
  upper bound in `last_known_affected` ("<= 2.3.1", "< 2.0"), which is honoured;
- withdrawn advisories never match.

The fixed version reported is the lowest `fixed` event above the installed version. A package
whose version the ecosystem's order cannot read is not matched and an error entry says why.
Advisories reporting the same vulnerability (a Debian OVAL `CVE-x` and a `DSA-y` whose alias is
`CVE-x`) become one `Match` per package, the preferred one (with a fix, then with a CVSS vector)
naming the others in `also`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from hullguard.model import ErrorEntry, ErrorKind
from hullguard.versions.ecosystems import InvalidVersion, UnsupportedEcosystem, sort_key
from hullguard.vuln.model import (
    FIXED,
    INTRODUCED,
    LAST_AFFECTED,
    LIMIT,
    Advisory,
    Affected,
    Match,
    PackageRef,
    Range,
    normalise_name,
)
from hullguard.vuln.severity import rate

MATCHED_RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER"})
_LOWEST: tuple[int, Any] = (0, None)  # introduced "0"
_HIGHEST: tuple[int, Any] = (2, None)  # limit "*"
_UPPER_BOUND = re.compile(r"^\s*(<=|<)\s*(\S+)\s*$")


class Database(Protocol):
    """What `match` needs of the database (`hullguard.vuln.store.VulnDB`)."""

    def lookup(
        self, ecosystem: str, names: Collection[str]
    ) -> dict[str, list[tuple[Advisory, Affected]]]: ...


@dataclass(frozen=True)
class MatchResult:
    """Every match, in package order, and the packages that could not be matched."""

    matches: tuple[Match, ...]
    errors: tuple[ErrorEntry, ...]
    unreadable_ranges: int = 0  # affected entries with a range skipped: a version did not parse
    unreadable_entries: frozenset[tuple[str, str, str]] = frozenset()  # (id, ecosystem, package)


@dataclass(frozen=True, slots=True)
class Verdict:
    affected: bool
    fixed_version: str | None = None


class _Order:
    """One ecosystem's version order, with the keys of the versions seen cached."""

    def __init__(self, key: Callable[[str], Any]) -> None:
        self._key = key
        self._cache: dict[str, tuple[int, Any]] = {}

    def __call__(self, version: str) -> tuple[int, Any]:
        """The sortable key of `version`; raises InvalidVersion."""
        cached = self._cache.get(version)
        if cached is None:
            cached = (1, self._key(version))
            self._cache[version] = cached
        return cached


def match(db: Database, packages: Iterable[PackageRef]) -> MatchResult:
    """The advisories affecting `packages`; one database lookup per ecosystem."""
    by_ecosystem: dict[str, list[PackageRef]] = {}
    for package in packages:
        by_ecosystem.setdefault(package.ecosystem, []).append(package)
    matches: list[Match] = []
    errors: list[ErrorEntry] = []
    unreadable: set[tuple[str, str, str]] = set()
    for ecosystem, refs in by_ecosystem.items():
        try:
            order = _Order(sort_key(ecosystem))
        except UnsupportedEcosystem:
            errors.append(
                ErrorEntry(
                    refs[0].path,
                    f"vulnerabilities of {len(refs)} {ecosystem} package(s) not checked: "
                    f"no version order is known for the {ecosystem} ecosystem",
                    kind=ErrorKind.READ,
                )
            )
            continue
        names = {normalise_name(ecosystem, ref.name) for ref in refs}
        found = db.lookup(ecosystem, names)
        for ref in refs:
            candidates = found.get(normalise_name(ecosystem, ref.name))
            if not candidates:
                continue
            try:
                installed = order(ref.version)
            except InvalidVersion as exc:
                errors.append(_invalid_version(ref, exc))
                continue
            package_matches: list[Match] = []
            for advisory, affected in candidates:
                if advisory.withdrawn:
                    continue
                verdict, skipped = evaluate(affected, ref.version, installed, order)
                if skipped:
                    unreadable.add((advisory.id, affected.ecosystem, affected.package))
                if verdict.affected:
                    package_matches.append(_match(advisory, affected, ref, verdict))
            matches.extend(deduplicate(package_matches))
    return MatchResult(tuple(matches), tuple(errors), len(unreadable), frozenset(unreadable))


def _invalid_version(ref: PackageRef, exc: Exception) -> ErrorEntry:
    shown = ref.display_name if ref.display_name == ref.name else f"{ref.display_name} ({ref.name})"
    return ErrorEntry(
        ref.path,
        f"vulnerabilities of {shown} not checked: version {ref.version!r} is not a valid "
        f"{ref.ecosystem} version ({exc})",
        line=ref.line,
        kind=ErrorKind.PARSE,
    )


def _match(advisory: Advisory, affected: Affected, ref: PackageRef, verdict: Verdict) -> Match:
    rated = rate(advisory, affected)
    fixed = verdict.fixed_version
    if fixed and ref.ecosystem == "Go" and ref.version.startswith("v") and fixed[0].isdigit():
        fixed = f"v{fixed}"  # OSV's Go records drop the `v` that go.mod and go.sum write
    return Match(
        advisory=advisory,
        affected=affected,
        package=ref,
        fixed_version=fixed,
        severity=rated.severity,
        severity_source=rated.source,
        cvss=rated.cvss,
    )


def is_affected(affected: Affected, version: str, order: Callable[[str], Any]) -> Verdict:
    """Whether `version` is affected by one `Affected` entry; `order` gives sortable keys
    (`hullguard.versions.ecosystems.sort_key(ecosystem)`). Raises InvalidVersion when
    `version` itself does not parse."""
    keyed = _Order(order)
    verdict, _ = evaluate(affected, version, keyed(version), keyed)
    return verdict


def evaluate(
    affected: Affected,
    version: str,
    installed: tuple[int, Any],
    order: Callable[[str], tuple[int, Any]],
) -> tuple[Verdict, int]:
    """The verdict for the installed version (its key `installed`), and how many ranges were
    skipped because one of their versions does not parse."""
    skipped = 0
    vulnerable = version in affected.versions
    open_ended = False
    fixes: list[tuple[tuple[int, Any], str]] = []
    for range_ in affected.ranges:
        if range_.type not in MATCHED_RANGE_TYPES:
            continue
        try:
            events = _keyed_events(range_, order)
        except InvalidVersion:
            skipped += 1
            continue
        fixes += [(key, event_version) for kind, key, event_version in events if kind == FIXED]
        inside, open_end = _included(events, installed)
        if inside:
            vulnerable = True
            open_ended = open_ended or open_end
    if (
        vulnerable
        and open_ended
        and affected.last_known_affected
        and version not in (affected.versions)
    ):
        vulnerable = _below_bound(affected.last_known_affected, installed, order)
    if not vulnerable:
        return Verdict(False), skipped
    above = [(key, text) for key, text in fixes if key > installed]
    fixed = min(above, key=lambda pair: pair[0])[1] if above else None
    return Verdict(True, fixed), skipped


def _keyed_events(
    range_: Range, order: Callable[[str], tuple[int, Any]]
) -> list[tuple[str, tuple[int, Any], str]]:
    """(kind, sortable key, version) of each event, sorted; `introduced: 0` sorts first and
    `limit: *` last."""
    keyed: list[tuple[str, tuple[int, Any], str]] = []
    for event in range_.events:
        if event.kind == INTRODUCED and event.version == "0":
            key = _LOWEST
        elif event.kind == LIMIT and event.version == "*":
            key = _HIGHEST
        else:
            key = order(event.version)
        keyed.append((event.kind, key, event.version))
    keyed.sort(key=lambda item: item[1])
    return keyed


def _included(
    events: list[tuple[str, tuple[int, Any], str]], installed: tuple[int, Any]
) -> tuple[bool, bool]:
    """(inside the range, the range is open at its end): the schema's IncludedInRanges for
    one range, with BeforeLimits."""
    limits = [key for kind, key, _ in events if kind == LIMIT]
    if limits and not any(installed < key for key in limits):
        return False, False
    vulnerable = False
    for kind, key, _ in events:
        if kind == INTRODUCED and installed >= key:
            vulnerable = True
        elif (kind == FIXED and installed >= key) or (kind == LAST_AFFECTED and installed > key):
            vulnerable = False
    bounded = [kind for kind, _, _ in events if kind in (FIXED, LAST_AFFECTED, LIMIT)]
    open_end = bool(events) and events[-1][0] == INTRODUCED and not bounded
    return vulnerable, open_end


def _below_bound(
    bound: str, installed: tuple[int, Any], order: Callable[[str], tuple[int, Any]]
) -> bool:
    """Whether the installed version is within a GitHub upper bound ("<= 2.3.1", "< 2.0").
    A bound that cannot be read bounds nothing."""
    for part in bound.split(","):
        found = _UPPER_BOUND.match(part)
        if found is None:
            continue
        try:
            limit = order(found.group(2))
        except InvalidVersion:
            return True
        return installed <= limit if found.group(1) == "<=" else installed < limit
    return True


def deduplicate(matches: list[Match]) -> list[Match]:
    """One Match per vulnerability of one package: advisories that share an id or an alias
    are one vulnerability. The kept one has a fix if any has, then a CVSS vector; the others'
    ids go to its `also`."""
    if len(matches) < 2:
        return matches
    parent = list(range(len(matches)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[str, int] = {}
    for index, found in enumerate(matches):
        for name in (found.advisory.id, *found.advisory.aliases):
            if name in owner:
                parent[root(index)] = root(owner[name])
            else:
                owner[name] = index
    groups: dict[int, list[int]] = {}
    for index in range(len(matches)):
        groups.setdefault(root(index), []).append(index)
    kept: list[Match] = []
    for members in sorted(groups.values(), key=lambda m: m[0]):
        best = min(members, key=lambda i: _preference(matches[i], i))
        others = sorted({matches[i].advisory.id for i in members} - {matches[best].advisory.id})
        kept.append(replace(matches[best], also=tuple(others)) if others else matches[best])
    return kept


def _preference(found: Match, index: int) -> tuple[int, int, int, int]:
    return (
        0 if found.fixed_version else 1,
        0 if found.cvss else 1,
        0 if found.severity_source != "unknown" else 1,
        index,
    )
