"""The packages of an inventory (an image's, a host's) as the matcher sees them: `PackageRef`s
named and versioned as the vulnerability data keys them, in OSV's ecosystems.

- Debian (and Ubuntu): by source package and source version, in `Debian:12` (the os-release
  VERSION_ID; testing and unstable have none, so their codename tells: trixie 13, forky 14) or
  `Ubuntu:22.04:LTS`;
- Alpine: by origin package and version, in `Alpine:v3.19` (VERSION_ID 3.19.1), `Alpine:edge`
  for edge (a VERSION_ID with `_alpha`, or "edge" in the pretty name);
- PyPI (names normalised as PEP 503 does), npm, Go (module path and version, `v1.2.3`; the
  standard library as `stdlib`), Maven (`group:artifact`);
- rpm packages are not matched: no rpm distribution data is imported (the packages are
  counted in an error entry by the caller).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hullguard.image.model import ImageContents
from hullguard.image.packages import Ecosystem, Inventory, OperatingSystem, Package
from hullguard.model import ErrorEntry, Location
from hullguard.vuln.model import PackageRef, normalise_name

if TYPE_CHECKING:
    pass

# Debian releases by codename, for testing and unstable, whose os-release has no VERSION_ID.
DEBIAN_CODENAMES = {
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}
_LANGUAGE_ECOSYSTEMS = {
    Ecosystem.PYPI: "PyPI",
    Ecosystem.NPM: "npm",
    Ecosystem.GOLANG: "Go",
    Ecosystem.MAVEN: "Maven",
}
_ALPINE_IDS = frozenset({"alpine"})
_DEBIAN_IDS = frozenset({"debian", "raspbian"})


def distro_ecosystem(os: OperatingSystem | None, kind: Ecosystem) -> str | None:
    """The OSV ecosystem of the distribution's packages (`Debian:12`, `Alpine:v3.19`), or None
    when the distribution or its release cannot be told."""
    if os is None:
        return None
    if kind is Ecosystem.DEB:
        if os.id in _DEBIAN_IDS:
            release = _debian_release(os)
            return f"Debian:{release}" if release else None
        if os.id == "ubuntu" and os.version_id:
            version = os.version_id
            lts = re.fullmatch(r"(\d\d)\.04", version) and int(version[:2]) % 2 == 0
            return f"Ubuntu:{version}:LTS" if lts else f"Ubuntu:{version}"
        return None
    if kind is Ecosystem.APK and os.id in _ALPINE_IDS:
        version = os.version_id or ""
        if "_alpha" in version or "edge" in (os.pretty_name or "").lower():
            return "Alpine:edge"
        found = re.match(r"^(\d+)\.(\d+)", version)
        return f"Alpine:v{found.group(1)}.{found.group(2)}" if found else None
    return None


def _debian_release(os: OperatingSystem) -> str | None:
    if os.version_id and re.fullmatch(r"\d+", os.version_id):
        return os.version_id
    codename = (os.codename or "").lower()
    if not codename and os.pretty_name:
        named = re.search(r"\b([a-z]+)/sid\b", os.pretty_name)
        codename = named.group(1) if named else ""
    return DEBIAN_CODENAMES.get(codename)


def package_ref(
    os: OperatingSystem | None, package: Package, layer: int | None
) -> PackageRef | None:
    """The matcher's view of one package, or None when it cannot be matched (no ecosystem, no
    version)."""
    if package.ecosystem in (Ecosystem.DEB, Ecosystem.APK):
        ecosystem = distro_ecosystem(os, package.ecosystem)
        if ecosystem is None:
            return None
        name = package.source_name or package.name
        version = package.source_version or package.version
    elif package.ecosystem in _LANGUAGE_ECOSYSTEMS:
        ecosystem = _LANGUAGE_ECOSYSTEMS[package.ecosystem]
        name, version = package.name, package.version
        if version in ("(devel)", ""):
            return None
    else:
        return None
    return PackageRef(
        ecosystem=ecosystem,
        name=normalise_name(ecosystem, name),
        version=version,
        display_name=package.name,
        display_version=package.version,
        path=package.path,
        purl=package.purl,
        layer=layer,
    )


def unmatched_kinds(inventory: Inventory) -> dict[str, int]:
    """How many packages of each kind have no ecosystem the matcher knows (rpm, or a
    distribution it cannot place), by purl type."""
    counts: dict[str, int] = {}
    for package in inventory.packages:
        if package_ref(inventory.os, package, None) is None and package.version != "(devel)":
            counts[package.ecosystem.value] = counts.get(package.ecosystem.value, 0) + 1
    return counts


def inventory_refs(inventory: Inventory) -> Iterator[tuple[Package, PackageRef]]:
    """Each matchable package of an inventory with its PackageRef (layer as inventoried)."""
    for package in inventory.packages:
        ref = package_ref(inventory.os, package, package.layer)
        if ref is not None:
            yield package, ref


def image_refs(
    inventory: Inventory, contents: ImageContents
) -> Iterator[tuple[Package, PackageRef]]:
    """Like `inventory_refs`, with the layer of a Debian package taken from its file list
    (`/var/lib/dpkg/info/NAME[:ARCH].list`, written when the package was installed or last
    upgraded) instead of the status database's, which every installing layer rewrites."""
    for package in inventory.packages:
        layer = package.layer
        if package.ecosystem is Ecosystem.DEB:
            layer = _dpkg_layer(contents, package, layer)
        ref = package_ref(inventory.os, package, layer)
        if ref is not None:
            yield package, ref


def _dpkg_layer(contents: ImageContents, package: Package, default: int) -> int:
    names: Iterable[str] = (package.name,)
    if package.architecture:
        names = (f"{package.name}:{package.architecture}", package.name)
    for name in names:
        listed = contents.files.get(f"/var/lib/dpkg/info/{name}.list")
        if listed is not None:
            return listed.layer
    return default


# --- a host's package databases ------------------------------------------------------------------

HOST_REF = "host"
HOST_PACKAGE_FILES = (
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/debian_version",
    "/etc/redhat-release",
    "/var/lib/dpkg/status",
    "/lib/apk/db/installed",
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages",
)
MAX_DATABASE_BYTES = 64 * 1024 * 1024


def host_inventory(root: Path) -> tuple[Inventory, list[ErrorEntry]]:
    """The installed packages of the root filesystem at `root`: its whole dpkg status (and
    distroless `status.d`), apk installed database or rpm database, read with the image
    inventory's readers. Links never lead out of the root; nothing is written."""
    from hullguard.image.inventory import inventory
    from hullguard.image.model import FileType, ImageFile, Layer
    from hullguard.sources.host import RootFS

    fs = RootFS(root)
    paths = list(HOST_PACKAGE_FILES)
    paths += [f"/var/lib/dpkg/status.d/{name}" for name in fs.listdir("/var/lib/dpkg/status.d")]
    files: dict[str, ImageFile] = {}
    errors: list[ErrorEntry] = []
    for path in paths:
        data = fs.read_bytes(path, MAX_DATABASE_BYTES)
        if data is not None:
            files[path] = ImageFile(path, FileType.REGULAR, 0o644, 0, 0, len(data), 0, content=data)
    contents = ImageContents(
        ref=HOST_REF,
        files=files,
        layers=(Layer(0, str(root), 0, None),),
        location=Location(logical=HOST_REF),
    )
    found, problems = inventory(contents)
    prefix = f"image/{HOST_REF}:"
    for problem in [*fs.errors, *problems]:
        shown = problem.path
        if shown is not None and shown.startswith(prefix):
            shown = shown[len(prefix) :]
        errors.append(replace(problem, path=shown))
    return found, errors
