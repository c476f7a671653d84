"""Kernel release strings (`uname -r`) as comparable upstream versions plus their flavour.

`6.1.0-18-amd64` (Debian), `5.15.0-91-generic` (Ubuntu) and `4.18.0-513.el8.x86_64` (Red Hat)
all name an upstream `major.minor.sublevel` followed by what the distribution added. Debian and
Ubuntu keep the sublevel at 0 in the release string (an ABI name) while the kernel inside is a
later stable release (Debian 6.1.0-18 is 6.1.76), and Red Hat backports fixes into an old base:
for those the upstream version alone says little, which `sublevel_known` and `backports` record.
The Debian package version is in `uname -v` (`... Debian 6.1.76-1 (2024-02-01)`), see
`debian_build_version`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_RELEASE = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<sublevel>\d+))?(?P<rest>.*)$")
_DEBIAN_ARCHES = r"(amd64|arm64|armmp(?:-lpae)?|686(?:-pae)?|ppc64el|s390x|mips\w*|marvell|rpi)"
_DEBIAN_FLAVOURS = re.compile(
    r"^-(?:\d+\.)?[\d.]*(?:deb\d+\.)?\d*-(?:(?:cloud|rt)-)?" + _DEBIAN_ARCHES + "$"
)
_UBUNTU_KINDS = (
    r"(generic|lowlatency|aws|azure|gcp|gke|kvm|oracle|ibm|raspi|nvidia|oem|intel-iotg|realtime)"
)
_UBUNTU_FLAVOURS = re.compile(r"^-\d+-" + _UBUNTU_KINDS + r"(?:-[\w.]+)?$")
_EL = re.compile(r"\.el(\d+)(?:_\d+)?")
_FEDORA = re.compile(r"\.fc(\d+)")
_AMAZON = re.compile(r"\.amzn(\d+)")
_DEBIAN_BUILD = re.compile(r"\bDebian (\S+)")


class KernelFlavour(enum.Enum):
    """Who built the kernel, as far as the release string tells."""

    DEBIAN = "debian"
    UBUNTU = "ubuntu"
    RHEL = "rhel"  # Red Hat Enterprise Linux and its rebuilds (Rocky, Alma, CentOS)
    FEDORA = "fedora"
    AMAZON = "amazon"
    SUSE = "suse"
    ARCH = "arch"
    UPSTREAM = "upstream"  # no distribution suffix, or one not recognised


_BACKPORTING = {KernelFlavour.DEBIAN, KernelFlavour.UBUNTU, KernelFlavour.RHEL,
                KernelFlavour.AMAZON, KernelFlavour.SUSE}  # fmt: skip


@dataclass(frozen=True)
class KernelRelease:
    release: str  # as `uname -r` printed it
    upstream: tuple[int, int, int]
    flavour: KernelFlavour
    sublevel_known: bool  # False when the release string is an ABI name (`6.1.0-18-amd64`)

    @classmethod
    def parse(cls, release: str) -> KernelRelease:
        text = release.strip()
        match = _RELEASE.match(text)
        if not match:
            raise ValueError(f"not a kernel release: {release!r}")
        rest = match.group("rest")
        if rest[:1] not in ("", "-", ".", "+", "_"):
            raise ValueError(f"not a kernel release: {release!r}")
        sublevel = int(match.group("sublevel") or 0)
        upstream = (int(match.group("major")), int(match.group("minor")), sublevel)
        flavour = _flavour(rest)
        abi_name = flavour in (KernelFlavour.DEBIAN, KernelFlavour.UBUNTU) and sublevel == 0
        return cls(text, upstream, flavour, sublevel_known=not abi_name)

    @property
    def upstream_text(self) -> str:
        return ".".join(str(n) for n in self.upstream)

    @property
    def branch(self) -> tuple[int, int]:
        return self.upstream[0], self.upstream[1]

    @property
    def backports(self) -> bool:
        """Whether the distribution patches fixes into this branch without raising the
        upstream version (so an upstream version in an affected range proves little)."""
        return self.flavour in _BACKPORTING


def _flavour(rest: str) -> KernelFlavour:
    if _DEBIAN_FLAVOURS.match(rest) or ".deb" in rest or "+deb" in rest:
        return KernelFlavour.DEBIAN
    if _UBUNTU_FLAVOURS.match(rest):
        return KernelFlavour.UBUNTU
    if _EL.search(rest):
        return KernelFlavour.RHEL
    if _FEDORA.search(rest):
        return KernelFlavour.FEDORA
    if _AMAZON.search(rest):
        return KernelFlavour.AMAZON
    if rest.endswith("-default") or "-lp" in rest:
        return KernelFlavour.SUSE
    if "-arch" in rest:
        return KernelFlavour.ARCH
    return KernelFlavour.UPSTREAM


def debian_build_version(uname_version: str) -> str | None:
    """The Debian package version in a kernel's build string (`uname -v`), if it names one:
    `#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)` gives `6.1.76-1`."""
    match = _DEBIAN_BUILD.search(uname_version)
    return match.group(1) if match else None


def upstream_of_debian_package(version: str) -> tuple[int, int, int] | None:
    """The upstream kernel version of a Debian `linux` package version (`6.1.76-1` gives
    6.1.76, `4.19.232-1~deb9u1` gives 4.19.232)."""
    match = re.match(r"^(?:\d+:)?(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
