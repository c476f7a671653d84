"""Engine, containerd, runc and BuildKit release versions, upstream and distribution builds."""

from __future__ import annotations

import itertools

import pytest

from hullguard.versions.release import ReleaseVersion, compare

ORDERED = [
    "1.0.0-rc6",
    "1.0.0-rc10",
    "1.0.0-rc93",
    "1.0.0",
    "1.1.11",
    "v1.1.12",
    "1.2.0-rc.1",
    "1.2.0",
    "1.7.2",
    "v1.7.13",
    "17.03.0-ce",
    "18.09.1",
    "20.10.24",
    "24.0.0-beta.1",
    "24.0.0-rc.1",
    "24.0.9",
    "26.1.4",
]


def test_order() -> None:
    parsed = [ReleaseVersion.parse(v) for v in ORDERED]
    assert parsed == sorted(parsed)
    for left, right in itertools.pairwise(ORDERED):
        assert compare(left, right) == -1, (left, right)
        assert compare(right, left) == 1


@pytest.mark.parametrize(
    ("text", "upstream", "build"),
    [
        ("1.7.2-0ubuntu1", "1.7.2", "0ubuntu1"),
        ("1.7.2-0ubuntu1~22.04.1", "1.7.2", "0ubuntu1~22.04.1"),
        ("20.10.24+dfsg1", "20.10.24", "+dfsg1"),
        ("1.0.0~rc6+dfsg1-3+deb10u2", "1.0.0-rc6", "+dfsg1-3+deb10u2"),
        ("1.6.20~ds1-1+deb12u1", "1.6.20", "~ds1-1+deb12u1"),
        ("1.1.5+ds1-1+deb12u1", "1.1.5", "+ds1-1+deb12u1"),
        ("v1.7.13", "1.7.13", ""),
        ("17.03.0-ce", "17.03.0", ""),
        ("0.19.0", "0.19.0", ""),
    ],
)
def test_distribution_builds(text: str, upstream: str, build: str) -> None:
    parsed = ReleaseVersion.parse(text)
    assert parsed.upstream == upstream.replace("17.03.0", "17.3.0")
    assert parsed.build == build
    assert parsed.is_distribution_build is bool(build)
    assert str(parsed) == text


def test_equal_releases() -> None:
    assert compare("v1.1.12", "1.1.12") == 0
    assert compare("1.7.2-0ubuntu1", "1.7.2") == 0
    assert compare("1.2", "1.2.0") == 0
    assert hash(ReleaseVersion.parse("1.2")) == hash(ReleaseVersion.parse("v1.2.0"))


@pytest.mark.parametrize("bad", ["", "latest", "abc", "1.2x"])
def test_bad_versions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        ReleaseVersion.parse(bad)
