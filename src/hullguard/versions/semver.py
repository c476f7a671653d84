"""Semantic Versioning 2.0.0 ordering for npm and crates.io, and Go module versions.

Precedence (semver.org §11): MAJOR, MINOR and PATCH compare as numbers; a version with a
pre-release sorts before the same version without one; pre-release identifiers compare one by
one, numeric identifiers as numbers and below alphanumeric ones (compared in ASCII order), and a
longer list of identifiers wins when all shared ones are equal. Build metadata (`+...`) takes
no part in the order.

The three spellings differ only in what they accept:

- npm (node-semver): surrounding white space, a leading `v` and, before it, a `=` (which
  node-semver's `clean` and loose mode strip) are tolerated; MAJOR, MINOR or PATCH beyond
  JavaScript's largest safe integer and versions over 256 characters are refused.
- crates.io (the `semver` crate): the bare SemVer grammar.
- Go (golang.org/x/mod/semver): versions start with `v`, and `vMAJOR` and `vMAJOR.MINOR` are
  shorthands for `.0` completions. Module versions such as `v2.0.0+incompatible` and
  pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`)
  are ordinary SemVer pre-releases and build metadata, which is how Go itself orders them.
  OSV's Go records drop the `v` (`1.2.3`, `0`), so it is added when missing; toolchain tags
  (`go1.21.5`, `go1.22rc1`) read as the versions OSV gives the standard library (`1.21.5`,
  `1.22.0-rc.1`).

OSV's `introduced: "0"` ("from the first version on") is accepted by all three and sorts below
every version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# A number compares by its length, then by its digits: exact for any size, no int() limit.
NumberKey = tuple[int, str]
# (0, number, "") for a numeric identifier, (1, (0, ""), text) for an alphanumeric one.
IdentifierKey = tuple[int, NumberKey, str]
SemverKey = tuple[NumberKey, NumberKey, NumberKey, int, tuple[IdentifierKey, ...]]

_NUMBER = r"0|[1-9][0-9]*"
_IDENTIFIER = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    rf"(?:\+(?P<build>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?",
    re.ASCII,
)
_GO = re.compile(
    rf"v(?P<major>{_NUMBER})(?:\.(?P<minor>{_NUMBER})(?:\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    rf"(?:\+(?P<build>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?)?)?",
    re.ASCII,
)
_GO_TOOLCHAIN = re.compile(
    r"go(?P<major>[0-9]+)(?:\.(?P<minor>[0-9]+)(?:\.(?P<patch>[0-9]+))?)?"
    r"(?:(?P<kind>beta|rc)(?P<number>[0-9]+))?",
    re.ASCII,
)

NPM_MAX_LENGTH: Final = 256
NPM_MAX_SAFE_INTEGER: Final = 2**53 - 1
CARGO_MAX_NUMBER: Final = 2**64 - 1


class InvalidSemver(ValueError):
    """A version string that the ecosystem's grammar refuses; the message says why."""


@dataclass(frozen=True)
class Semver:
    """A parsed version: the three numbers, the pre-release identifiers, the build metadata."""

    major: str
    minor: str
    patch: str
    prerelease: tuple[str, ...]
    build: tuple[str, ...]

    def key(self) -> SemverKey:
        """A sort key that orders versions by SemVer precedence (build metadata ignored)."""
        return (
            _number_key(self.major),
            _number_key(self.minor),
            _number_key(self.patch),
            0 if self.prerelease else 1,
            tuple(_identifier_key(part) for part in self.prerelease),
        )

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text


def _number_key(digits: str) -> NumberKey:
    return (len(digits), digits)


def _identifier_key(identifier: str) -> IdentifierKey:
    if identifier.isdigit():
        return (0, _number_key(identifier.lstrip("0") or "0"), "")
    return (1, (0, ""), identifier)


def _from_match(match: re.Match[str], text: str, what: str) -> Semver:
    prerelease = tuple(match.group("pre").split(".")) if match.group("pre") else ()
    for identifier in prerelease:
        if len(identifier) > 1 and identifier.isdigit() and identifier.startswith("0"):
            raise InvalidSemver(
                f"{what} version {text!r}: numeric pre-release identifier {identifier!r} "
                "has a leading zero"
            )
    build = tuple(match.group("build").split(".")) if match.group("build") else ()
    return Semver(
        match.group("major"),
        match.group("minor") or "0",
        match.group("patch") or "0",
        prerelease,
        build,
    )


def _check_limit(version: Semver, text: str, what: str, limit: int) -> None:
    for number in (version.major, version.minor, version.patch):
        if len(number) > len(str(limit)) or int(number) > limit:
            raise InvalidSemver(f"{what} version {text!r}: {number} is larger than {limit}")


def parse_npm(text: str) -> Semver:
    """A version as node-semver reads one: `1.2.3-beta.1+build`, also `v1.2.3`, `=1.2.3`."""
    if len(text) > NPM_MAX_LENGTH:
        raise InvalidSemver(f"npm version of {len(text)} characters (at most {NPM_MAX_LENGTH})")
    value = text.strip().removeprefix("=").removeprefix("v")
    match = _SEMVER.fullmatch(value)
    if not match:
        raise InvalidSemver(f"npm version {text!r} is not MAJOR.MINOR.PATCH[-pre][+build]")
    version = _from_match(match, text, "npm")
    _check_limit(version, text, "npm", NPM_MAX_SAFE_INTEGER)
    return version


def parse_cargo(text: str) -> Semver:
    """A version as the `semver` crate reads one: exactly SemVer 2.0.0."""
    match = _SEMVER.fullmatch(text)
    if not match:
        raise InvalidSemver(f"crates.io version {text!r} is not MAJOR.MINOR.PATCH[-pre][+build]")
    version = _from_match(match, text, "crates.io")
    _check_limit(version, text, "crates.io", CARGO_MAX_NUMBER)
    return version


def _go_toolchain(text: str) -> str | None:
    """`go1.21.5` -> `v1.21.5`, `go1.22rc1` -> `v1.22.0-rc.1`, `go1.9` -> `v1.9.0`."""
    match = _GO_TOOLCHAIN.fullmatch(text)
    if not match:
        return None
    version = f"v{match.group('major')}.{match.group('minor') or 0}.{match.group('patch') or 0}"
    if match.group("kind"):
        version += f"-{match.group('kind')}.{match.group('number')}"
    return version


def parse_go(text: str) -> Semver:
    """A Go module version (`v1.2.3`, `v0.0.0-20191109021931-daa7c04131f5`,
    `v2.0.0+incompatible`, shorthand `v1.2`), the same without `v` as OSV writes it, or a
    toolchain tag (`go1.21.5`)."""
    value = text
    if value.startswith("go"):
        value = _go_toolchain(value) or value
    elif not value.startswith("v"):
        value = "v" + value
    match = _GO.fullmatch(value)
    if not match:
        raise InvalidSemver(
            f"Go version {text!r} is not vMAJOR[.MINOR[.PATCH[-pre][+build]]] (nor a go1.N tag)"
        )
    return _from_match(match, text, "Go")


# OSV writes `introduced: "0"` for "since the first version"; it is not a SemVer version, so
# it gets a key below every version (0.0.0-0 and Go's v0.0.0 pseudo-versions included).
OSV_ZERO: Final = "0"
MINIMUM_KEY: Final[SemverKey] = ((0, ""), (0, ""), (0, ""), 0, ())


def npm_key(text: str) -> SemverKey:
    return MINIMUM_KEY if text == OSV_ZERO else parse_npm(text).key()


def cargo_key(text: str) -> SemverKey:
    return MINIMUM_KEY if text == OSV_ZERO else parse_cargo(text).key()


def go_key(text: str) -> SemverKey:
    return MINIMUM_KEY if text == OSV_ZERO else parse_go(text).key()


def _sign(left: SemverKey, right: SemverKey) -> int:
    return (left > right) - (left < right)


def compare_npm(left: str, right: str) -> int:
    """-1, 0 or 1 as node-semver's `compare` answers."""
    return _sign(npm_key(left), npm_key(right))


def compare_cargo(left: str, right: str) -> int:
    """-1, 0 or 1 by SemVer precedence, as crates.io versions order."""
    return _sign(cargo_key(left), cargo_key(right))


def compare_go(left: str, right: str) -> int:
    """-1, 0 or 1 as golang.org/x/mod/semver's `Compare` answers."""
    return _sign(go_key(left), go_key(right))
