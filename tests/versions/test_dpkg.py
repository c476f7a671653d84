"""Debian version ordering, proven against `dpkg --compare-versions` on real Debian data."""

from __future__ import annotations

import bz2
import functools
import itertools
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

from hullguard.versions.dpkg import DebianVersion, compare
from tests.conftest import shared_path

DPKG = shutil.which("dpkg")
needs_dpkg = pytest.mark.skipif(DPKG is None, reason="dpkg is not installed on this machine")

PAIRS_PER_PACKAGE = 12  # sampled so that the oracle run stays well under a minute
MIN_PAIRS = 3000

# Edge cases of Policy §5.6.12, each written as `left op right`; checked against dpkg as well.
EDGE_CASES = [
    ("1.0~rc1", "<", "1.0"),
    ("1.0~rc1", ">", "1.0~~"),
    ("1.0~", "<", "1.0"),
    ("1.0", "<", "1.0a"),
    ("1.0a", "<", "1.0+"),
    ("1.0+", "<", "1.0.1"),
    ("1.0.a", ">", "1.0.1"),
    ("1.0", "=", "1.0-0"),
    ("1.0", "=", "1.00"),
    ("0:1.0", "=", "1.0"),
    ("1:0.1", ">", "9.9"),
    ("1.2.3-1", "<", "1.2.3-1+deb12u1"),
    ("1.2.3-1~deb12u1", "<", "1.2.3-1"),
    ("2.30-1", ">", "2.4-1"),
    ("1.0-1ubuntu1", ">", "1.0-1"),
    ("1.0-1", ">", "1.0-1~bpo12+1"),
    ("a", "<", "b"),
    ("Z", "<", "a"),
    ("1.0-a-b", ">", "1.0-a-a"),
    ("6.1.76-1", ">", "6.1.8-1"),
    ("20230101", ">", "2023.1"),
    ("1.0-0+", ">", "1.0"),
]
_OP = {"<": -1, "=": 0, ">": 1}


@pytest.mark.parametrize(("left", "op", "right"), EDGE_CASES)
def test_edge_cases(left: str, op: str, right: str) -> None:
    assert compare(left, right) == _OP[op]
    assert compare(right, left) == -_OP[op]


@needs_dpkg
def test_edge_cases_agree_with_dpkg() -> None:
    pairs = [(left, right) for left, _, right in EDGE_CASES]
    assert dpkg_verdicts(pairs) == [_OP[op] for _, op, _ in EDGE_CASES]


def test_parse_and_render() -> None:
    version = DebianVersion.parse("2:1.20.11-1+deb11u6")
    assert (version.epoch, version.upstream, version.revision) == (2, "1.20.11", "1+deb11u6")
    assert str(version) == "2:1.20.11-1+deb11u6"
    assert DebianVersion.parse("1.0-a-b").upstream == "1.0-a"
    assert DebianVersion.parse("1.0") == DebianVersion.parse("1.0-0")
    assert hash(DebianVersion.parse("1.0")) == hash(DebianVersion.parse("0:1.00-0"))
    assert sorted(["1.0", "1.0~rc1", "0:0.9", "1:0.1"], key=DebianVersion.parse) == [
        "0:0.9",
        "1.0~rc1",
        "1.0",
        "1:0.1",
    ]


@pytest.mark.parametrize("bad", ["", "  ", "x:1.0", "-1", "1.0 2"])
def test_bad_versions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        DebianVersion.parse(bad)


_TRACKER_LINE = re.compile(r"^\s+\[[a-z-]+\]\s+-\s+(\S+)\s+(\S+)")
_OVAL = "{http://oval.mitre.org/XMLSchema/oval-definitions-5#linux}"


def tracker_versions(root: Path) -> dict[str, set[str]]:
    """Fixed versions by source package in the security tracker's DSA, DLA and DTSA lists."""
    versions: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.glob("data/*/list")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if (m := _TRACKER_LINE.match(line)) and not m.group(2).startswith("<"):
                versions[m.group(1)].add(m.group(2))
    return versions


def oval_versions(path: Path) -> dict[str, set[str]]:
    """Fixed versions (with epochs) by package in a Debian OVAL file: test -> object, state."""
    names: dict[str, str] = {}
    evrs: dict[str, str] = {}
    tests: list[tuple[str, str]] = []
    with bz2.open(path) as stream:
        for _, element in ET.iterparse(stream):
            tag = element.tag
            if tag == f"{_OVAL}dpkginfo_object":
                name = element.find(f"{_OVAL}name")
                if name is not None and name.text:
                    names[element.get("id", "")] = name.text
            elif tag == f"{_OVAL}dpkginfo_state":
                evr = element.find(f"{_OVAL}evr")
                if evr is not None and evr.text:
                    evrs[element.get("id", "")] = evr.text
            elif tag == f"{_OVAL}dpkginfo_test":
                obj, state = element.find(f"{_OVAL}object"), element.find(f"{_OVAL}state")
                if obj is not None and state is not None:
                    tests.append((obj.get("object_ref", ""), state.get("state_ref", "")))
            if tag.endswith(("_test", "_object", "_state", "definition")):
                element.clear()
    versions: dict[str, set[str]] = defaultdict(set)
    for obj_ref, state_ref in tests:
        if obj_ref in names and state_ref in evrs:
            versions[names[obj_ref]].add(evrs[state_ref])
    return versions


@functools.cache
def debian_data_pairs() -> list[tuple[str, str]]:
    """Version pairs of the same package across the shared Debian data, sampled per package."""
    tracker = tracker_versions(shared_path("data", "vuln", "debian-security-tracker-2023"))
    by_package: dict[str, set[str]] = defaultdict(set)
    for package, found in tracker.items():
        by_package[package] |= found
    for release in ("bookworm", "bullseye"):
        name = f"oval-definitions-{release}.xml.bz2"
        oval = shared_path("data", "vuln", "debian-oval-2023", name)
        for package, found in oval_versions(oval).items():
            by_package[package] |= found
    chooser = random.Random(5612)
    pairs: list[tuple[str, str]] = []
    for package in sorted(by_package):
        found = sorted(by_package[package])
        combos = list(itertools.combinations(found, 2))
        if len(combos) > PAIRS_PER_PACKAGE:
            combos = chooser.sample(combos, PAIRS_PER_PACKAGE)
        pairs.extend(combos)
        if found:
            pairs.append((found[0], found[0]))  # equality is part of the order
    return pairs


def dpkg_verdicts(pairs: list[tuple[str, str]]) -> list[int]:
    """dpkg's own verdict on each pair (-1, 0, 1), from one shell loop rather than a process
    started from Python for each pair."""
    script = (
        'while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; '
        'elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done'
    )
    feed = "".join(f"{a} {b}\n" for a, b in pairs)
    done = subprocess.run(
        ["sh", "-c", script], input=feed, capture_output=True, text=True, check=True, timeout=300
    )
    return [int(line) for line in done.stdout.split()]


@needs_dpkg
def test_every_debian_data_pair_agrees_with_dpkg() -> None:
    pairs = debian_data_pairs()
    assert len(pairs) >= MIN_PAIRS, f"only {len(pairs)} pairs found in the shared Debian data"
    expected = dpkg_verdicts(pairs)
    assert len(expected) == len(pairs)
    wrong = [
        (a, b, got, want)
        for (a, b), want in zip(pairs, expected, strict=True)
        if (got := compare(a, b)) != want
    ]
    assert not wrong, f"{len(wrong)} of {len(pairs)} pairs differ from dpkg: {wrong[:10]}"


def test_debian_data_order_is_antisymmetric() -> None:
    for a, b in debian_data_pairs()[:2000]:
        assert compare(a, b) == -compare(b, a), (a, b)


def test_version_tests_hold_no_dpkg_vectors() -> None:
    """The shared comparator vectors are apk's and rpm's; dpkg is proven by the oracle above.
    This test fails when a dpkg vector file appears there, so that it is then added here."""
    folder = shared_path("data", "vuln", "version-tests")
    assert not [p.name for p in folder.iterdir() if "dpkg" in p.name or "deb" in p.name]
