"""The versions of a host's kernel, engine, containerd and runc, each with where it was read.

`read_host_packages(root, daemon)` gathers them from every place that tells:
- the kernel release: `os.uname()` when the root is `/` (with the Debian package version that
  `uname -v` names on Debian kernels); under another root the newest kernel installed there
  (`/boot/vmlinuz-*`, `/lib/modules/*`), which need not be the one that runs;
- the distribution, from `/etc/os-release` (or `/usr/lib/os-release`);
- the installed packages of the engine, containerd, runc and kernel from the dpkg database
  (`/var/lib/dpkg/status`), with their Debian versions and source packages. The rpm database is
  not read: on rpm-based hosts an error entry says so and the versions come from the kernel
  release and the Engine API only;
- the component versions the Engine API reports (`/version` Components: Engine, containerd,
  runc, docker-init) and the kernel version it reports.

Files are read through the same root-confined resolver as the host file source: a symlink never
leads out of the audited root. Nothing raises; what cannot be read becomes an error entry.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hullguard.model import ErrorEntry, ErrorKind, Location
from hullguard.sources.host import RootFS
from hullguard.versions.dpkg import DebianVersion
from hullguard.versions.kernel import KernelRelease, debian_build_version

if TYPE_CHECKING:
    from hullguard.sources.daemon import DaemonState

DPKG_STATUS = "/var/lib/dpkg/status"
RPM_DATABASES = ("/var/lib/rpm", "/usr/lib/sysimage/rpm")
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
MAX_STATUS_SIZE = 64 << 20  # a dpkg status file of a large host is a few megabytes


class Component(enum.Enum):
    KERNEL = "kernel"
    ENGINE = "engine"  # Docker Engine / Moby, with its embedded BuildKit
    CONTAINERD = "containerd"
    RUNC = "runc"
    DOCKER_INIT = "docker-init"


class FactSource(enum.Enum):
    """How a version was learnt; the rules weigh them differently."""

    UNAME = "uname"  # the running kernel
    BOOT = "boot"  # the newest kernel installed under the root (not necessarily running)
    DPKG = "dpkg"  # an installed Debian package
    API = "api"  # the Engine API's /version


# dpkg package name -> the component it ships. `containerd.io` (Docker's own packages) ships
# runc too, but its version says nothing about the runc inside: the API reports that one.
PACKAGE_COMPONENTS: Mapping[str, Component] = {
    "docker.io": Component.ENGINE,
    "docker-ce": Component.ENGINE,
    "docker-engine": Component.ENGINE,
    "moby-engine": Component.ENGINE,
    "containerd": Component.CONTAINERD,
    "containerd.io": Component.CONTAINERD,
    "moby-containerd": Component.CONTAINERD,
    "runc": Component.RUNC,
    "moby-runc": Component.RUNC,
    "tini": Component.DOCKER_INIT,
}
_KERNEL_PACKAGE = re.compile(r"^linux-image-(\d+\.\d+\S*)$")
API_COMPONENTS: Mapping[str, Component] = {
    "engine": Component.ENGINE,
    "containerd": Component.CONTAINERD,
    "runc": Component.RUNC,
    "docker-init": Component.DOCKER_INIT,
}


@dataclass(frozen=True)
class Distribution:
    id: str  # `debian`, `ubuntu`, `rhel`, ...
    version_id: str | None  # `12`
    codename: str | None  # `bookworm`
    id_like: tuple[str, ...]
    location: Location

    @property
    def is_debian_family(self) -> bool:
        return self.id == "debian" or "debian" in self.id_like


@dataclass(frozen=True)
class ComponentVersion:
    """One version of one component, as one source told it."""

    component: Component
    version: str  # as read: `6.1.0-18-amd64`, `1.1.12`, `1.1.5+ds1-1+deb12u1`
    source: FactSource
    location: Location
    package: str | None = None  # the dpkg package (`runc`, `linux-image-6.1.0-18-amd64`)
    source_package: str | None = None  # its source package (`runc`, `linux`)
    package_version: str | None = None  # the Debian package version, when known

    @property
    def describe(self) -> str:
        """`runc 1.1.5+ds1-1+deb12u1 (dpkg package runc, /var/lib/dpkg/status:120)`."""
        if self.source is FactSource.DPKG:
            how = f"dpkg package {self.package}"
        elif self.source is FactSource.API:
            how = "Engine API"
        elif self.source is FactSource.UNAME:
            how = "running kernel"
        else:
            how = "newest kernel installed under the root"
        return f"{self.version} ({how}, {self.location})"


@dataclass(frozen=True)
class HostPackages:
    root: str
    distribution: Distribution | None
    versions: tuple[ComponentVersion, ...]
    package_database: str | None  # `dpkg` when a dpkg status file was read

    def of(self, component: Component) -> tuple[ComponentVersion, ...]:
        return tuple(v for v in self.versions if v.component is component)


@dataclass(frozen=True)
class HostPackagesResult:
    packages: HostPackages | None
    errors: tuple[ErrorEntry, ...] = ()


def read_host_packages(root: Path, daemon: DaemonState | None) -> HostPackagesResult:
    """Every version of the kernel, engine, containerd and runc known for this host."""
    if not root.is_dir():
        message = "not a directory: cannot read the host's packages"
        return HostPackagesResult(None, (ErrorEntry(str(root), message, kind=ErrorKind.READ),))
    fs = RootFS(root)
    errors: list[ErrorEntry] = []
    distribution = _read_distribution(fs)
    status_text = fs.read(DPKG_STATUS, limit=MAX_STATUS_SIZE)
    versions: list[ComponentVersion] = []
    kernel_packages: dict[str, ComponentVersion] = {}
    if status_text is not None:
        for fact in _dpkg_facts(status_text):
            if fact.component is Component.KERNEL:
                kernel_packages[fact.version] = fact
            else:
                versions.append(fact)
    elif any(fs.resolve(path) is not None for path in RPM_DATABASES):
        errors.append(
            ErrorEntry(
                RPM_DATABASES[0],
                "rpm database found but not read: package versions of rpm-based hosts come "
                "from the kernel release and the Engine API only",
                kind=ErrorKind.READ,
            )
        )
    versions[:0] = _kernel_facts(fs, kernel_packages)
    if daemon is not None:
        versions.extend(api_facts(daemon))
    errors.extend(fs.errors)
    packages = HostPackages(
        root=str(root),
        distribution=distribution,
        versions=tuple(versions),
        package_database="dpkg" if status_text is not None else None,
    )
    return HostPackagesResult(packages, tuple(errors))


# --- distribution ------------------------------------------------------------------------------


def _read_distribution(fs: RootFS) -> Distribution | None:
    for path in OS_RELEASE:
        text = fs.read(path)
        if text is None:
            continue
        fields: dict[str, tuple[str, int]] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            key, sep, value = line.strip().partition("=")
            if sep and key and not key.startswith("#"):
                fields[key] = (value.strip().strip("\"'"), number)
        if "ID" not in fields:
            continue
        ident, id_line = fields["ID"]
        return Distribution(
            id=ident.lower(),
            version_id=fields["VERSION_ID"][0] if "VERSION_ID" in fields else None,
            codename=fields["VERSION_CODENAME"][0] if "VERSION_CODENAME" in fields else None,
            id_like=tuple(fields.get("ID_LIKE", ("", 0))[0].lower().split()),
            location=Location(path=path, line=id_line),
        )
    return None


# --- dpkg database -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stanza:
    fields: Mapping[str, str]
    lines: Mapping[str, int]


def _stanzas(text: str) -> Iterator[_Stanza]:
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if fields:
                yield _Stanza(fields, lines)
            fields, lines = {}, {}
            continue
        if line[0] in " \t":
            continue  # a continuation line (descriptions, conffiles)
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
            lines[key.strip().lower()] = number
    if fields:
        yield _Stanza(fields, lines)


def _dpkg_facts(text: str) -> Iterator[ComponentVersion]:
    for stanza in _stanzas(text):
        name = stanza.fields.get("package", "")
        version = stanza.fields.get("version", "")
        status = stanza.fields.get("status", "").split()
        if not name or not version or status[-1:] != ["installed"]:
            continue
        try:
            DebianVersion.parse(version)
        except ValueError:
            continue
        source = (stanza.fields.get("source") or name).split()[0]
        location = Location(path=DPKG_STATUS, line=stanza.lines.get("version"))
        if kernel := _KERNEL_PACKAGE.match(name):
            yield ComponentVersion(Component.KERNEL, kernel.group(1), FactSource.DPKG, location,
                                   package=name, source_package=_kernel_source(source),
                                   package_version=version)  # fmt: skip
        elif name in PACKAGE_COMPONENTS:
            yield ComponentVersion(PACKAGE_COMPONENTS[name], version, FactSource.DPKG, location,
                                   package=name, source_package=source,
                                   package_version=version)  # fmt: skip


def _kernel_source(source: str) -> str:
    """Signed kernels are built from `linux-signed-<arch>`; their versions follow `linux`."""
    return "linux" if source.startswith("linux-signed") else source


# --- kernel ------------------------------------------------------------------------------------


def _kernel_facts(fs: RootFS, packages: Mapping[str, ComponentVersion]) -> list[ComponentVersion]:
    """The running kernel (root `/`) or the newest installed one, with its package version."""
    if fs.live:
        uname = os.uname()
        location = Location(logical="host:uname")
        package = packages.get(uname.release)
        build = debian_build_version(uname.version)
        return [
            ComponentVersion(
                Component.KERNEL,
                uname.release,
                FactSource.UNAME,
                location,
                package=package.package if package else None,
                source_package=package.source_package if package else None,
                package_version=package.package_version if package else build,
            )
        ]
    releases: dict[str, Location] = {}
    for name in fs.listdir("/boot"):
        if name.startswith("vmlinuz-"):
            releases.setdefault(name[len("vmlinuz-") :], Location(path=f"/boot/{name}"))
    for name in fs.listdir("/lib/modules"):
        releases.setdefault(name, Location(path=f"/lib/modules/{name}"))
    for release, fact in packages.items():
        releases.setdefault(release, fact.location)
    parsed: list[tuple[tuple[int, int, int], DebianVersion, str]] = []
    for release in releases:
        try:
            parsed.append((KernelRelease.parse(release).upstream, _ordering(release), release))
        except ValueError:
            continue
    if not parsed:
        return []
    newest = max(parsed)[2]
    package = packages.get(newest)
    return [
        ComponentVersion(
            Component.KERNEL,
            newest,
            FactSource.BOOT,
            releases[newest],
            package=package.package if package else None,
            source_package=package.source_package if package else None,
            package_version=package.package_version if package else None,
        )
    ]


def _ordering(release: str) -> DebianVersion:
    try:
        return DebianVersion.parse(release.replace("_", "."))
    except ValueError:
        return DebianVersion.parse("0")


# --- Engine API --------------------------------------------------------------------------------


def api_facts(daemon: DaemonState) -> Iterator[ComponentVersion]:
    for name, version in sorted(daemon.components.items()):
        component = API_COMPONENTS.get(name.lower())
        if component is None or not version:
            continue
        yield ComponentVersion(
            component,
            version,
            FactSource.API,
            Location(logical=f"{daemon.location.logical or 'daemon'}:Components.{name}"),
        )
    if daemon.kernel_version:
        yield ComponentVersion(
            Component.KERNEL,
            daemon.kernel_version,
            FactSource.API,
            Location(logical=f"{daemon.location.logical or 'daemon'}:KernelVersion"),
        )
