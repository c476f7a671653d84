"""Kernel release strings: upstream version, flavour, and how much the string says."""

from __future__ import annotations

import os

import pytest

from hullguard.versions.kernel import (
    KernelFlavour,
    KernelRelease,
    debian_build_version,
    upstream_of_debian_package,
)

CASES = [
    ("6.1.0-18-amd64", (6, 1, 0), KernelFlavour.DEBIAN, False),
    ("6.1.0-0.deb11.17-amd64", (6, 1, 0), KernelFlavour.DEBIAN, False),
    ("5.10.0-28-cloud-amd64", (5, 10, 0), KernelFlavour.DEBIAN, False),
    ("6.1.0-13-rt-arm64", (6, 1, 0), KernelFlavour.DEBIAN, False),
    ("4.19.0-26-amd64", (4, 19, 0), KernelFlavour.DEBIAN, False),
    ("5.15.0-91-generic", (5, 15, 0), KernelFlavour.UBUNTU, False),
    ("6.5.0-1014-aws", (6, 5, 0), KernelFlavour.UBUNTU, False),
    ("4.18.0-513.el8.x86_64", (4, 18, 0), KernelFlavour.RHEL, True),
    ("5.14.0-362.8.1.el9_3.x86_64", (5, 14, 0), KernelFlavour.RHEL, True),
    ("6.6.9-200.fc39.x86_64", (6, 6, 9), KernelFlavour.FEDORA, True),
    ("5.10.205-195.807.amzn2.x86_64", (5, 10, 205), KernelFlavour.AMAZON, True),
    ("5.14.21-150500.55.39-default", (5, 14, 21), KernelFlavour.SUSE, True),
    ("6.7.4-arch1-1", (6, 7, 4), KernelFlavour.ARCH, True),
    ("6.8.12", (6, 8, 12), KernelFlavour.UPSTREAM, True),
    ("5.4", (5, 4, 0), KernelFlavour.UPSTREAM, True),
    ("6.1.76+", (6, 1, 76), KernelFlavour.UPSTREAM, True),
]


@pytest.mark.parametrize(("release", "upstream", "flavour", "sublevel_known"), CASES)
def test_release_strings(
    release: str, upstream: tuple[int, int, int], flavour: KernelFlavour, sublevel_known: bool
) -> None:
    parsed = KernelRelease.parse(release)
    assert parsed.upstream == upstream
    assert parsed.flavour is flavour
    assert parsed.sublevel_known is sublevel_known
    assert parsed.release == release


def test_ordering_and_backports() -> None:
    assert KernelRelease.parse("5.10.102").upstream > KernelRelease.parse("5.10.9").upstream
    assert KernelRelease.parse("4.18.0-513.el8.x86_64").backports
    assert not KernelRelease.parse("6.8.12").backports
    assert KernelRelease.parse("5.15.0-91-generic").branch == (5, 15)


@pytest.mark.parametrize("bad", ["", "linux", "6", "6.x", "abc-6.1"])
def test_bad_releases_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        KernelRelease.parse(bad)


def test_debian_build_version() -> None:
    build = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"
    assert debian_build_version(build) == "6.1.76-1"
    assert debian_build_version("#91-Ubuntu SMP Mon Nov 20 18:58:20 UTC 2023") is None
    assert upstream_of_debian_package("6.1.76-1") == (6, 1, 76)
    assert upstream_of_debian_package("4.19.232-1~deb9u1") == (4, 19, 232)
    assert upstream_of_debian_package("x") is None


def test_this_machine() -> None:
    release = os.uname().release
    assert KernelRelease.parse(release).upstream[0] >= 3
