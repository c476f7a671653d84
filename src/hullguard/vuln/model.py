"""What the vulnerability database holds and what the matcher returns.

Every source (OSV records, the Alpine secdb, Debian OVAL) is stored in the shape the OSV schema
gives an advisory (https://ossf.github.io/osv-schema/): an `Advisory` with one `Affected` entry
per (ecosystem, package), each with `ranges` of ordered events and an explicit `versions` list.
Ecosystems are named as OSV names them: `PyPI`, `Go`, `npm`, `crates.io`, `Maven`, and for
distributions `Debian:12`, `Alpine:v3.19`. Package names are stored normalised by
`normalise_name` so that lookups agree with the inventory's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hullguard.model import Severity

# Range event kinds, as the OSV schema spells them.
INTRODUCED, FIXED, LAST_AFFECTED, LIMIT = "introduced", "fixed", "last_affected", "limit"
EVENT_KINDS = (INTRODUCED, FIXED, LAST_AFFECTED, LIMIT)


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # one of EVENT_KINDS
    version: str  # "0" for `introduced` means "from the first version"


@dataclass(frozen=True, slots=True)
class Range:
    type: str  # "ECOSYSTEM", "SEMVER" or "GIT" (GIT ranges are kept but never matched)
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Affected:
    """One package an advisory affects, in one ecosystem."""

    ecosystem: str  # OSV's name: "PyPI", "Debian:12", "Alpine:v3.19"...
    package: str  # normalised with normalise_name(ecosystem, name)
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    # GitHub advisories: database_specific.last_known_affected_version_range, e.g. "<= 2.3.1";
    # an upper bound kept when the ranges leave the end open.
    last_known_affected: str | None = None
    # A per-package rating from the source (Debian's urgency, an OSV ecosystem_specific
    # severity), lower-case words such as "high"; None when the source has none.
    rating: str | None = None


@dataclass(frozen=True, slots=True)
class SeverityScore:
    type: str  # OSV: "CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu"...
    score: str  # the vector (CVSS) or the word


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str  # "PYSEC-2021-108", "GO-2022-0001", "CVE-2023-1234" (secdb, OVAL), "DSA-5000-1"
    source: str  # "osv:PyPI", "alpine-secdb", "debian-oval"...: where the record was imported from
    aliases: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    published: str | None = None  # RFC 3339
    modified: str | None = None
    withdrawn: str | None = None  # withdrawn advisories are stored but never matched
    severity: tuple[SeverityScore, ...] = ()
    references: tuple[str, ...] = ()  # URLs
    affected: tuple[Affected, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class PackageRef:
    """A package to match, from any inventory: an image's, a host's, a lock file's."""

    ecosystem: str  # the OSV ecosystem it is matched in: "Debian:12", "PyPI"...
    name: str  # the name vulnerability data keys it by (Debian: the source package)
    version: str  # the version compared (Debian: the source version)
    display_name: str  # the installed package's own name (the binary package)
    display_version: str  # its own version
    path: str  # where it was found: a database file, a dist-info folder, a lock file
    purl: str = ""
    line: int | None = None  # lock files: the line that pins it
    layer: int | None = None  # images: the index of the layer that brought it in


@dataclass(frozen=True, slots=True)
class Match:
    """One advisory affecting one installed package."""

    advisory: Advisory
    affected: Affected
    package: PackageRef
    fixed_version: str | None  # the lowest fixed version above the installed one, if any
    severity: Severity
    severity_source: str  # "cvss:3.1", "cvss:4.0", "source:high", "unknown"
    cvss: dict[str, Any] | None = None  # {"version": "3.1", "vector": ..., "score": 9.8}
    also: tuple[str, ...] = ()  # other advisory ids reporting the same vulnerability

    def to_dict(self) -> dict[str, Any]:
        """The `vulnerability` object of the JSON report's finding."""
        return {
            "id": self.advisory.id,
            "aliases": sorted({*self.advisory.aliases, *self.also} - {self.advisory.id}),
            "package": self.package.display_name,
            "source_package": self.package.name,
            "ecosystem": self.package.ecosystem,
            "installed_version": self.package.display_version,
            "fixed_version": self.fixed_version,
            "cvss": self.cvss,
            "severity_source": self.severity_source,
            "summary": self.advisory.summary,
            "references": list(self.advisory.references[:10]),
            "purl": self.package.purl,
            "path": self.package.path,
            "layer": self.package.layer,
        }


_PYPI_SEPARATORS = re.compile(r"[-_.]+")


def normalise_name(ecosystem: str, name: str) -> str:
    """The name packages are stored and looked up by: PEP 503 for PyPI, lower case for the
    ecosystems whose names are case-insensitive, as given otherwise (npm, Go, Maven)."""
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return _PYPI_SEPARATORS.sub("-", name).lower()
    if base in ("crates.io", "Debian", "Alpine", "Ubuntu"):
        return name.lower()
    return name
