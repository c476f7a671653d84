"""The package inventory of an image: what the inventory readers produce, what SBOMs and the
vulnerability matcher consume."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Ecosystem(enum.Enum):
    """Where a package comes from; the values are the purl types."""

    DEB = "deb"
    APK = "apk"
    RPM = "rpm"
    PYPI = "pypi"
    NPM = "npm"
    GOLANG = "golang"
    MAVEN = "maven"


@dataclass(frozen=True, slots=True)
class Package:
    """One installed package.

    `source_name`/`source_version` are the Debian source package (or Alpine origin, rpm source
    rpm) that vulnerability data is keyed by; `path` is where the inventory found it (the
    database, the dist-info folder, the binary); `layer` indexes `ImageContents.layers`.
    """

    ecosystem: Ecosystem
    name: str
    version: str
    purl: str
    path: str
    layer: int
    source_name: str | None = None
    source_version: str | None = None
    architecture: str | None = None
    licenses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OperatingSystem:
    """The distribution from `/etc/os-release` (or the release files): `id` as os-release
    names it (`debian`, `alpine`, `rhel`...), `version_id` (`12`, `3.20.1`), and `codename`."""

    id: str
    version_id: str | None
    codename: str | None
    pretty_name: str | None


@dataclass(frozen=True)
class Inventory:
    os: OperatingSystem | None
    packages: tuple[Package, ...]
