"""The vulnerability pass: match the packages of images, hosts and lock files before the rules.

Sources put a `PackageSet` (kind `PENDING`) among a unit's models: the packages of an image,
of a host's package databases, or of one lock file, each with the location a finding about it
points to. `match_pending` runs once per scan, after every unit is loaded and before any rule:
it opens the database, matches every set (one lookup per ecosystem), applies the policy
(`--ignore-unfixed`, `--severity`, the ignore file) and puts a `VulnerablePackages` (registry
kind `VULNERABILITIES`) in the set's place, so that the rules HG630, HG631 and HG530 stay pure
functions of a model.

Nothing here stops a scan: no database, a database that cannot be read, a version that does not
parse, a bad ignore file are each an error entry, and the rest of the audit goes on.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hullguard.model import ErrorEntry, ErrorKind, Location
from hullguard.registry import VULNERABILITIES
from hullguard.vuln.model import Match, PackageRef

if TYPE_CHECKING:
    from hullguard.config import VulnerabilityPolicy
    from hullguard.image.model import ImageContents
    from hullguard.image.packages import Inventory
    from hullguard.sources.lockfiles import LockFile

PENDING = "packages-to-match"  # a unit's PackageSet before the pass; no rule receives it
IGNORE_FILE = ".hullguardignore.yaml"
MAX_INSTRUCTION = 80
MAX_NAMED = 5  # advisories named in one error entry
_STALE_NOTED: set[str] = set()  # the databases whose age was already warned of in this process


class Subject(enum.Enum):
    IMAGE = "image"
    HOST = "host"
    LOCK_FILE = "lock-file"


# The rule that reports the vulnerabilities of each subject.
SUBJECT_RULES = {Subject.IMAGE: "HG630", Subject.LOCK_FILE: "HG631", Subject.HOST: "HG530"}


@dataclass(frozen=True, slots=True)
class LocatedPackage:
    ref: PackageRef
    location: Location  # where a finding about it points
    origin: str | None = None  # images: the layer and the instruction that brought it in


@dataclass(frozen=True)
class PackageSet:
    """The packages of one image, host or lock file, waiting to be matched."""

    subject: Subject
    name: str  # the image reference, the host's root, the lock file's path
    packages: tuple[LocatedPackage, ...]


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One vulnerability of one package, with where to report it."""

    match: Match
    location: Location
    origin: str | None = None


@dataclass(frozen=True)
class VulnerablePackages:
    """What the vulnerability rules judge: the matches of one PackageSet after the policy."""

    subject: Subject
    name: str
    vulnerabilities: tuple[Vulnerability, ...]
    packages: int = 0  # how many packages were matched


class _Unit(Protocol):
    models: list[tuple[str, Any]]


@dataclass
class PassResult:
    errors: list[ErrorEntry] = field(default_factory=list)
    ignored: int = 0  # vulnerabilities the ignore file accepted


# --- building package sets ---------------------------------------------------------------------


def image_package_set(contents: ImageContents, inventory: Inventory) -> PackageSet:
    """An image's packages; each located at its database (or folder, or binary) with the
    layer and the history entry that brought it in."""
    from hullguard.vuln.packages import image_refs

    located = []
    for _, ref in image_refs(inventory, contents):
        origin = _layer_origin(contents, ref.layer)
        logical = f"image/{contents.ref}:{ref.path}"
        if origin:
            logical += f" ({origin})"
        located.append(LocatedPackage(ref, Location(path=ref.path, logical=logical), origin))
    return PackageSet(Subject.IMAGE, contents.ref, tuple(located))


def _layer_origin(contents: ImageContents, index: int | None) -> str | None:
    from hullguard.rules.image_files._files import instruction

    if index is None or not 0 <= index < len(contents.layers):
        return None
    layer = contents.layers[index]
    if not layer.created_by:
        return f"layer {index + 1}"
    from hullguard.image.model import FileType, ImageFile

    probe = ImageFile("/", FileType.DIRECTORY, 0o755, 0, 0, 0, index)
    return f"layer {index + 1}, {instruction(contents, probe)}"


def host_package_set(root: str, inventory: Inventory) -> PackageSet:
    """A host's installed packages, each located at its package database."""
    from hullguard.vuln.packages import inventory_refs

    located = tuple(
        LocatedPackage(ref, Location(path=ref.path, logical=f"host:{ref.path}"))
        for _, ref in inventory_refs(inventory)
    )
    return PackageSet(Subject.HOST, root, located)


def lock_file_package_set(lock: LockFile) -> PackageSet:
    """A lock file's pinned packages, each located at its line."""
    located = tuple(
        LocatedPackage(ref, Location(path=lock.path, line=ref.line)) for ref in lock.packages
    )
    return PackageSet(Subject.LOCK_FILE, lock.path, located)


# --- the pass ------------------------------------------------------------------------------------


def wanted_subjects(rule_ids: Iterable[str]) -> set[Subject]:
    """The subjects whose rule is among the selected rules."""
    chosen = set(rule_ids)
    return {subject for subject, rule_id in SUBJECT_RULES.items() if rule_id in chosen}


def match_pending(
    units: Sequence[_Unit],
    policy: VulnerabilityPolicy,
    rule_ids: Iterable[str],
    *,
    today: dt.date | None = None,
    cwd: Path | None = None,
) -> PassResult:
    """Replace every pending PackageSet of `units` with its VulnerablePackages (or drop it when
    its rule is not selected); the errors met and the count of ignored vulnerabilities."""
    result = PassResult()
    wanted = wanted_subjects(rule_ids)
    pending: list[tuple[_Unit, int, PackageSet]] = []
    for unit in units:
        kept: list[tuple[str, Any]] = []
        for kind, model in unit.models:
            if kind != PENDING:
                kept.append((kind, model))
            elif model.subject in wanted:
                pending.append((unit, len(kept), model))
                kept.append((kind, model))
        unit.models = kept
    if not pending:
        return result
    if not any(package_set.packages for _, _, package_set in pending):
        for unit, index, package_set in pending:  # nothing to match: no database needed
            unit.models[index] = (VULNERABILITIES, _empty(package_set))
        return result
    from hullguard.vuln.store import (
        DatabaseError,
        DatabaseMissing,
        VulnDB,
        default_db_path,
        record_wanted_ecosystems,
    )

    db_path = default_db_path(policy)
    ecosystems = {p.ref.ecosystem for _, _, s in pending for p in s.packages}
    record_wanted_ecosystems(db_path, ecosystems)
    try:
        db = VulnDB.open(db_path)
    except DatabaseMissing:
        return _not_checked(
            result,
            pending,
            db_path,
            f"no database at {db_path}; run `hullguard db update` or `hullguard db import`",
        )
    except DatabaseError as exc:
        return _not_checked(result, pending, db_path, str(exc))
    with db:
        try:
            _check_age(db, policy, result)
            ignore = _ignore_list(policy, today, cwd)
            if ignore is not None:
                result.errors.extend(ignore.errors)
            skipped: set[tuple[str, str, str]] = set()
            for unit, index, package_set in pending:
                try:
                    matched, entries = _match_set(db, package_set, policy, ignore, result)
                except DatabaseError:
                    raise
                except Exception as exc:  # a bug in matching is reported, never fatal
                    result.errors.append(
                        ErrorEntry(
                            package_set.name,
                            f"vulnerabilities not checked: matching failed: "
                            f"{type(exc).__name__}: {exc}",
                            kind=ErrorKind.RULE_CRASH,
                        )
                    )
                    continue
                skipped |= entries
                unit.models[index] = (VULNERABILITIES, matched)
            _drop(pending)  # the sets whose matching failed
        except DatabaseError as exc:
            return _not_checked(result, pending, db_path, str(exc))
    if skipped:
        ids = sorted({f"{vuln_id} ({package})" for vuln_id, _, package in skipped})
        named = ", ".join(ids[:MAX_NAMED]) + (", ..." if len(ids) > MAX_NAMED else "")
        result.errors.append(
            ErrorEntry(
                str(db_path),
                f"{len(skipped)} advisory entr{'y' if len(skipped) == 1 else 'ies'} of the "
                "database had a range skipped: a version in it is not valid in its ecosystem's "
                f"order: {named}",
                kind=ErrorKind.READ,
            )
        )
    return result


def _empty(package_set: PackageSet) -> VulnerablePackages:
    return VulnerablePackages(package_set.subject, package_set.name, ())


def _not_checked(
    result: PassResult, pending: list[tuple[_Unit, int, PackageSet]], db_path: Path, why: str
) -> PassResult:
    """Leave every pending package set unmatched, say why once, and end the pass."""
    _drop(pending)
    result.errors.append(
        ErrorEntry(str(db_path), f"vulnerabilities not checked: {why}", kind=ErrorKind.READ)
    )
    return result


def _drop(pending: list[tuple[_Unit, int, PackageSet]]) -> None:
    for unit in {id(u): u for u, _, _ in pending}.values():
        unit.models = [(k, m) for k, m in unit.models if k != PENDING]


def _check_age(db: Any, policy: VulnerabilityPolicy, result: PassResult) -> None:
    from hullguard.progress import note
    from hullguard.vuln.store import stale_warning

    warning = stale_warning(db.status(), policy.max_age_days)
    if warning:
        if str(db.path) not in _STALE_NOTED:  # said once per run, not once per image
            _STALE_NOTED.add(str(db.path))
            note(warning)
        result.errors.append(ErrorEntry(str(db.path), warning, kind=ErrorKind.READ))


def _ignore_list(policy: VulnerabilityPolicy, today: dt.date | None, cwd: Path | None) -> Any:
    from hullguard.vuln.ignore import load_ignore_file

    if policy.ignore_file:
        return load_ignore_file(Path(policy.ignore_file), policy.ignore_file, today)
    default = (cwd or Path(os.getcwd())) / IGNORE_FILE
    if default.is_file():
        return load_ignore_file(default, IGNORE_FILE, today)
    return None


def _match_set(
    db: Any,
    package_set: PackageSet,
    policy: VulnerabilityPolicy,
    ignore: Any,
    result: PassResult,
) -> tuple[VulnerablePackages, frozenset[tuple[str, str, str]]]:
    from hullguard.vuln.match import match

    where = {p.ref: p for p in package_set.packages}
    found = match(db, where)
    result.errors.extend(found.errors)
    kept: list[Vulnerability] = []
    for item in found.matches:
        if policy.ignore_unfixed and item.fixed_version is None:
            continue
        if policy.severities and item.severity not in policy.severities:
            continue
        if ignore is not None and ignore.ignoring(item) is not None:
            result.ignored += 1
            continue
        located = where[item.package]
        kept.append(Vulnerability(item, located.location, located.origin))
    matched = VulnerablePackages(
        package_set.subject, package_set.name, tuple(kept), len(package_set.packages)
    )
    return matched, found.unreadable_entries
