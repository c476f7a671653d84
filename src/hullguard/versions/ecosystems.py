"""Version ordering by OSV ecosystem: the one entry point the vulnerability matcher uses.

An OSV ecosystem name may carry a release after a colon (`Debian:12`, `Alpine:v3.19`,
`Ubuntu:22.04:LTS`, `Rocky Linux:9`); the part before the first colon chooses the ordering:

| ecosystems | ordering |
|---|---|
| Debian, Ubuntu | dpkg (Debian Policy §5.6.12) |
| Alpine up to v3.22, Wolfi, Chainguard | apk-tools 2 |
| Alpine from v3.23 on (and `Alpine:edge`) | apk-tools 3 |
| Red Hat, Rocky Linux, AlmaLinux, openSUSE, SUSE, Mageia, openEuler | rpm `labelCompare` |
| PyPI | PEP 440 (`packaging.version.Version`) |
| npm, crates.io | SemVer 2.0.0 |
| Go | Go module versions (golang.org/x/mod/semver) |
| Maven | Maven's ComparableVersion (Maven 3.8 and 3.9) |

`sort_key(ecosystem)` gives a key function for `sorted`/`min`/comparisons; keys are cached, so
sorting the same versions again costs a dictionary look-up each. A version that the ecosystem's
grammar refuses raises `InvalidVersion`; an ecosystem without an ordering here raises
`UnsupportedEcosystem`. OSV's `introduced: "0"` is accepted everywhere.

Alpine 3.23 replaced apk-tools 2 with apk-tools 3, whose grammar is stricter at the edges
(`1.9.5p2` is valid for the one, not the other; see `hullguard.versions.apk`), so the release in
the name chooses the dialect. A bare `Alpine` gets apk-tools 2, the more lenient one: it reads
all but five malformed fixed versions of Alpine's security database, apk-tools 3 twenty fewer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

import packaging.version

from hullguard.versions import apk, dpkg, maven, rpm, semver

_CACHE_SIZE: Final = 65536


class InvalidVersion(ValueError):
    """A version string that its ecosystem's grammar refuses."""

    def __init__(self, ecosystem: str, version: str, reason: str) -> None:
        super().__init__(f"invalid {ecosystem} version {version!r}: {reason}")
        self.ecosystem = ecosystem
        self.version = version
        self.reason = reason


class UnsupportedEcosystem(ValueError):
    """An ecosystem whose version ordering hullguard does not know."""

    def __init__(self, ecosystem: str) -> None:
        known = ", ".join(sorted(_ORDERING_OF))
        super().__init__(f"no version ordering for ecosystem {ecosystem!r} (known: {known})")
        self.ecosystem = ecosystem


def _apk2_key(text: str) -> apk.VersionKey:
    if not apk.is_valid(text, apk.Dialect.APK_TOOLS_2):
        raise ValueError("not digits{.digits}{letter{digits}}{_suffix{N}}{-rN} (apk-tools 2)")
    return apk.key(text, apk.Dialect.APK_TOOLS_2)


def _apk3_key(text: str) -> apk.VersionKey:
    if not apk.is_valid(text, apk.Dialect.APK_TOOLS_3):
        raise ValueError("not digits{.digits}{letter}{_suffix{N}}{~hash}{-rN} (apk-tools 3)")
    return apk.key(text, apk.Dialect.APK_TOOLS_3)


def _rpm_key(text: str) -> rpm.LabelKey:
    if not text or text != text.strip():
        raise ValueError("empty or surrounded by white space")
    return rpm.label_key(text)


def _maven_key(text: str) -> maven.MavenVersion:
    if not text or any(char.isspace() for char in text):
        raise ValueError("empty or holding white space")
    return maven.key(text)


def _pep440_key(text: str) -> packaging.version.Version:
    try:
        return packaging.version.Version(text)
    except packaging.version.InvalidVersion as exc:
        raise ValueError("not a PEP 440 version") from exc


_KEYS: Final[dict[str, Callable[[str], Any]]] = {
    "dpkg": dpkg.sort_key,
    "apk2": _apk2_key,
    "apk3": _apk3_key,
    "rpm": _rpm_key,
    "pep440": _pep440_key,
    "semver-npm": semver.npm_key,
    "semver-cargo": semver.cargo_key,
    "go": semver.go_key,
    "maven": _maven_key,
}

_ORDERING_OF: Final[dict[str, str]] = {
    "Debian": "dpkg",
    "Ubuntu": "dpkg",
    "Alpine": "apk2",
    "Wolfi": "apk2",
    "Chainguard": "apk2",
    "Red Hat": "rpm",
    "Rocky Linux": "rpm",
    "AlmaLinux": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "openEuler": "rpm",
    "PyPI": "pep440",
    "npm": "semver-npm",
    "crates.io": "semver-cargo",
    "Go": "go",
    "Maven": "maven",
}
_ORDERING_OF_FOLDED: Final = {name.casefold(): kind for name, kind in _ORDERING_OF.items()}
_SPELLING: Final = {name.casefold(): name for name in _ORDERING_OF}


def osv_spelling(name: str) -> str:
    """A known ecosystem's name as OSV spells it (`pypi` -> `PyPI`); others unchanged."""
    return _SPELLING.get(name.strip().casefold(), name.strip())


_ALPINE_RELEASE = re.compile(r"v?(\d+)\.(\d+)")
_FIRST_APK_TOOLS_3: Final = (3, 23)


def ordering(ecosystem: str) -> str | None:
    """The name of the ordering an OSV ecosystem uses (`dpkg`, `apk2`, `apk3`, `rpm`,
    `pep440`, `semver-npm`, `semver-cargo`, `go`, `maven`), or None."""
    base, _, release = (part.strip() for part in ecosystem.partition(":"))
    kind = _ORDERING_OF.get(base) or _ORDERING_OF_FOLDED.get(base.casefold())
    if base.casefold() == "alpine" and release:
        found = _ALPINE_RELEASE.match(release)
        numbers = (int(found.group(1)), int(found.group(2))) if found else None
        if numbers is None or numbers >= _FIRST_APK_TOOLS_3:  # edge, v3.23, v4.0...
            kind = "apk3"
    return kind


def supports(ecosystem: str) -> bool:
    """Whether versions of this OSV ecosystem can be ordered."""
    return ordering(ecosystem) is not None


@functools.cache
def _cached(kind: str) -> Callable[[str], Any]:
    return functools.lru_cache(maxsize=_CACHE_SIZE)(_KEYS[kind])


@functools.lru_cache(maxsize=1024)
def sort_key(ecosystem: str) -> Callable[[str], Any]:
    """A key function ordering versions of the ecosystem; it raises InvalidVersion."""
    kind = ordering(ecosystem)
    if kind is None:
        raise UnsupportedEcosystem(ecosystem)
    parse = _cached(kind)

    def key(version: str) -> Any:
        if not isinstance(version, str):
            raise InvalidVersion(
                ecosystem, str(version), f"not a string ({type(version).__name__})"
            )
        try:
            return parse(version)
        except ValueError as exc:
            raise InvalidVersion(ecosystem, version, str(exc)) from None

    return key


def compare(ecosystem: str, left: str, right: str) -> int:
    """Compare two versions of the ecosystem: -1, 0 or 1."""
    key = sort_key(ecosystem)
    a, b = key(left), key(right)
    return int((a > b) - (a < b))
