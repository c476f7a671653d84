"""The ecosystem entry point: OSV names to orderings, keys, errors."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullguard.versions import dpkg
from hullguard.versions.ecosystems import (
    InvalidVersion,
    UnsupportedEcosystem,
    compare,
    ordering,
    sort_key,
    supports,
)

NAMES = [
    ("Debian", "dpkg"),
    ("Debian:12", "dpkg"),
    ("Ubuntu:22.04:LTS", "dpkg"),
    ("Ubuntu:Pro:18.04:LTS", "dpkg"),
    ("Alpine", "apk2"),
    ("Alpine:v3.19", "apk2"),
    ("Alpine:v3.9", "apk2"),
    ("Alpine:v3.22", "apk2"),
    ("Alpine:v3.23", "apk3"),
    ("Alpine:v4.0", "apk3"),
    ("Alpine:edge", "apk3"),
    ("Wolfi", "apk2"),
    ("Chainguard", "apk2"),
    ("Red Hat", "rpm"),
    ("Red Hat:enterprise_linux:9::appstream", "rpm"),
    ("Rocky Linux:9", "rpm"),
    ("AlmaLinux:8", "rpm"),
    ("openSUSE:Leap 15.5", "rpm"),
    ("SUSE:Linux Enterprise Server 15 SP5", "rpm"),
    ("Mageia:9", "rpm"),
    ("openEuler:22.03-LTS", "rpm"),
    ("PyPI", "pep440"),
    ("npm", "semver-npm"),
    ("crates.io", "semver-cargo"),
    ("Go", "go"),
    ("Maven", "maven"),
    ("debian:12", "dpkg"),  # OSV spells names with care; a different case still finds them
    ("pypi", "pep440"),
]
UNSUPPORTED = ["Packagist", "RubyGems", "NuGet", "Hex", "Pub", "", ":12", "Debianish"]


@pytest.mark.parametrize(("ecosystem", "kind"), NAMES)
def test_osv_names_choose_orderings(ecosystem: str, kind: str) -> None:
    assert ordering(ecosystem) == kind
    assert supports(ecosystem)


@pytest.mark.parametrize("ecosystem", UNSUPPORTED)
def test_unsupported_ecosystems(ecosystem: str) -> None:
    assert not supports(ecosystem)
    assert ordering(ecosystem) is None
    with pytest.raises(UnsupportedEcosystem, match="no version ordering for ecosystem") as caught:
        sort_key(ecosystem)
    assert caught.value.ecosystem == ecosystem
    with pytest.raises(UnsupportedEcosystem):
        compare(ecosystem, "1", "2")


# For each ordering, versions from lowest to highest (an OSV "0" first: it must be accepted).
CHAINS = {
    "Debian:12": ["0", "1.0~rc1-1", "1.0-1", "1.0-1+deb12u1", "1.0.1-1", "1:0.9-1"],
    "Ubuntu:22.04:LTS": ["0", "2.35-0ubuntu3", "2.35-0ubuntu3.1", "2.36-0ubuntu1"],
    "Alpine:v3.19": ["0", "1.0_rc1-r0", "1.0-r0", "1.0-r1", "1.0_p1-r0", "1.0.1-r0", "1.0.1p2"],
    "Alpine:v3.23": ["0", "1.0_rc1-r0", "1.0-r0", "1.0-r1", "1.0~1a-r0", "1.0_p1-r0", "1.0.1"],
    "Rocky Linux:9": ["0", "1.0~rc1-1.el9", "1.0-1.el9", "1.0-1.el9_2", "1.0^git1-1", "1:0.1-1"],
    "SUSE:Linux Enterprise Server 15 SP5": ["0", "1.2.3-150400.3.6.1", "1.2.3-150400.3.9.1"],
    "PyPI": ["0", "1.0.dev0", "1.0a1", "1.0rc1", "1.0", "1.0+local", "1.0.post1", "1!0.1"],
    "npm": ["0", "0.0.0-0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "v1.0.1"],
    "crates.io": ["0", "0.1.0-alpha.1", "0.1.0", "0.10.0", "1.0.0-rc.1", "1.0.0"],
    "Go": ["0", "0.0.0-20191109021931-daa7c04131f5", "v0.1.0", "v1.2.3",
           "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", "go1.21rc1", "1.21.0",
           "v2.0.0+incompatible"],
    "Maven": ["0", "1.0-alpha-1", "1.0-beta", "1.0-SNAPSHOT", "1.0", "1.0-sp", "1.0-1", "1.0.1",
              "1.1", "2"],
}  # fmt: skip


@pytest.mark.parametrize("ecosystem", sorted(CHAINS))
def test_chains_sort_and_compare(ecosystem: str) -> None:
    chain = CHAINS[ecosystem]
    key = sort_key(ecosystem)
    shuffled = random.Random(len(chain)).sample(chain, len(chain))
    assert sorted(shuffled, key=key) == chain
    for index, lower in enumerate(chain):
        assert compare(ecosystem, lower, lower) == 0
        for higher in chain[index + 1 :]:
            assert compare(ecosystem, lower, higher) == -1, (lower, higher)
            assert compare(ecosystem, higher, lower) == 1, (higher, lower)


EQUAL = [
    ("Debian", "1.0", "0:1.0-0"),
    ("Alpine", "01.0", "1.0"),
    ("Red Hat", "0:1.0-1", "1.0-1"),
    ("PyPI", "1.0", "1.0.0"),
    ("npm", "=v1.0.0+build", "1.0.0"),
    ("crates.io", "1.0.0+a", "1.0.0+b"),
    ("Go", "v2.0.0+incompatible", "2.0.0"),
    ("Maven", "1.0.0.Final", "1"),
]


@pytest.mark.parametrize(("ecosystem", "left", "right"), EQUAL)
def test_equal_spellings(ecosystem: str, left: str, right: str) -> None:
    assert compare(ecosystem, left, right) == 0
    assert sort_key(ecosystem)(left) == sort_key(ecosystem)(right)


@pytest.mark.parametrize("ecosystem", [name for name, _ in NAMES])
def test_the_osv_zero_is_accepted_everywhere(ecosystem: str) -> None:
    sort_key(ecosystem)("0")


INVALID = [
    ("Debian:12", "x:1.0"),
    ("Debian:12", ""),
    ("Alpine:v3.19", "1.0bc"),
    ("Alpine:v3.19", "1.0~1a"),  # no commit hash before apk-tools 3
    ("Alpine:v3.23", "1.0bc"),
    ("Alpine:v3.23", "v1.0"),
    ("Alpine:v3.23", "1.9.5p2-r0"),  # digits after a letter, refused since apk-tools 3
    ("Rocky Linux:9", ""),
    ("Rocky Linux:9", " 1.0-1"),
    ("PyPI", "not.a.version"),
    ("PyPI", "1.0-SNAPSHOT-x"),
    ("npm", "1.0"),
    ("npm", "01.0.0"),
    ("crates.io", "v1.0.0"),
    ("Go", "v1.2-pre"),
    ("Go", "latest"),
    ("Maven", ""),
    ("Maven", "1.0 beta"),
]


@pytest.mark.parametrize(("ecosystem", "version"), INVALID)
def test_invalid_versions_name_version_and_ecosystem(ecosystem: str, version: str) -> None:
    with pytest.raises(InvalidVersion) as caught:
        sort_key(ecosystem)(version)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.ecosystem, error.version) == (ecosystem, version)
    assert str(error).startswith(f"invalid {ecosystem} version {version!r}: ")
    assert error.reason
    with pytest.raises(InvalidVersion):
        compare(ecosystem, "0", version)


def test_a_version_that_is_not_a_string() -> None:
    key = sort_key("PyPI")
    with pytest.raises(InvalidVersion, match=r"not a string \(int\)"):
        key(1)  # type: ignore[arg-type]


def test_key_functions_are_shared_per_ecosystem() -> None:
    assert sort_key("Debian:12") is sort_key("Debian:12")
    key = sort_key("Alpine:v3.20")
    assert key("1.0-r0") is key("1.0-r0")  # parsed once, then cached


# ---- the dpkg key against dpkg's own comparison -----------------------------------------

_DPKG_EDGES = [
    ("0", "0~"), ("", "0"), ("0", "00"), ("0~", "~"), ("0a", "0"), ("1.0", "1.0.0"),
    ("1.0~", "1.0"), ("1.0", "1.0+"), ("1.0", "1.0a"), ("a", ""), ("~~", "~"), ("0.0", "0~"),
    ("1.0-0", "1.0"), ("1.0-0~", "1.0"), ("1.0-~", "1.0-0"),
]  # fmt: skip


def _dpkg_key_compare(left: str, right: str) -> int:
    key = sort_key("Debian")
    a, b = key(left), key(right)
    return int((a > b) - (a < b))


@pytest.mark.parametrize(("left", "right"), _DPKG_EDGES)
def test_dpkg_key_agrees_with_dpkg_compare_on_edges(left: str, right: str) -> None:
    left, right = f"1:{left or '0'}", f"1:{right or '0'}"
    assert _dpkg_key_compare(left, right) == dpkg.compare(left, right)
    assert _dpkg_key_compare(right, left) == dpkg.compare(right, left)


_DPKG_TEXT = st.text(alphabet="0123456789.~+a", min_size=0, max_size=8)


@settings(max_examples=3000, deadline=None)
@given(
    upstream=st.tuples(_DPKG_TEXT, _DPKG_TEXT),
    revision=st.tuples(_DPKG_TEXT, _DPKG_TEXT),
)
def test_dpkg_key_agrees_with_dpkg_compare(
    upstream: tuple[str, str], revision: tuple[str, str]
) -> None:
    versions = []
    for up, rev in zip(upstream, revision, strict=True):
        versions.append(f"0:0{up}-{rev}" if rev else f"0:0{up}")
    left, right = versions
    assert _dpkg_key_compare(left, right) == dpkg.compare(left, right), (left, right)
