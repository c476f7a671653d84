"""dpkg ordering on every version pair of the shared Debian data, against `dpkg` itself.

For each source package: the distinct fixed versions in the bookworm and bullseye OVAL
definitions and in the security tracker's DSA list, and every pair of them (so each release's
versions are paired with each other's too). Our comparator judges all pairs; it must sort
each package's versions into one consistent order. `dpkg --compare-versions` then judges each
pair of neighbours in that order, which proves the whole order since dpkg's is total, plus a
random sample of pairs far apart. The dpkg processes run in concurrent shell loops.
"""

from __future__ import annotations

import bz2
import functools
import os
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hullguard.versions.dpkg import DebianVersion
from tests.conftest import shared_path

DPKG = shutil.which("dpkg")
OVAL_RELEASES = ("bookworm", "bullseye")
FAR_PAIRS = 3000  # pairs that are not neighbours, checked with dpkg besides the neighbours
MIN_PAIRS = 400_000  # the shared data hold 432,411 pairs; fewer means the parsing lost some

_LINUX = "{http://oval.mitre.org/XMLSchema/oval-definitions-5#linux}"
_TRACKER_LINE = re.compile(
    r"^\s+\[(?P<release>[a-z-]+)\]\s+-\s+(?P<package>\S+)\s+(?P<version>\S+)"
)


def oval_fixed_versions(path: Path) -> dict[str, set[str]]:
    """Fixed versions by source package in a Debian OVAL file.

    A dpkginfo_test joins an object (its `name` is the source package) to a state (its `evr`,
    with operation "less than", is the first fixed version).
    """
    packages: dict[str, str] = {}
    versions: dict[str, str] = {}
    joins: list[tuple[str, str]] = []
    with bz2.open(path) as stream:
        for _, element in ET.iterparse(stream):
            if element.tag == f"{_LINUX}dpkginfo_object":
                name = element.find(f"{_LINUX}name")
                if name is not None and name.text:
                    packages[element.get("id", "")] = name.text.strip()
            elif element.tag == f"{_LINUX}dpkginfo_state":
                evr = element.find(f"{_LINUX}evr")
                if evr is not None and evr.text and evr.get("operation") == "less than":
                    versions[element.get("id", "")] = evr.text.strip()
            elif element.tag == f"{_LINUX}dpkginfo_test":
                obj, state = element.find(f"{_LINUX}object"), element.find(f"{_LINUX}state")
                if obj is not None and state is not None:
                    joins.append((obj.get("object_ref", ""), state.get("state_ref", "")))
            if element.tag.endswith(("_test", "_object", "_state", "}definition")):
                element.clear()
    found: dict[str, set[str]] = defaultdict(set)
    for object_ref, state_ref in joins:
        if object_ref in packages and state_ref in versions:
            found[packages[object_ref]].add(versions[state_ref])
    return found


def dsa_fixed_versions(path: Path) -> dict[str, set[str]]:
    """Fixed versions by source package in the tracker's DSA list (`[release] - pkg version`),
    without the `<not-affected>`-style markers."""
    found: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _TRACKER_LINE.match(line)
        if match and not match.group("version").startswith("<"):
            found[match.group("package")].add(match.group("version"))
    return found


@functools.cache
def versions_by_source() -> dict[str, dict[str, set[str]]]:
    """source package -> data set (`bookworm`, `bullseye`, `DSA`) -> fixed versions."""
    by_source: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for release in OVAL_RELEASES:
        name = f"oval-definitions-{release}.xml.bz2"
        oval = oval_fixed_versions(shared_path("data", "vuln", "debian-oval-2023", name))
        for package, found in oval.items():
            by_source[package][release] = found
    dsa = shared_path("data", "vuln", "debian-security-tracker-2023", "data", "DSA", "list")
    for package, found in dsa_fixed_versions(dsa).items():
        by_source[package]["DSA"] = found
    return dict(by_source)


def _dpkg_cmp(left: DebianVersion, right: DebianVersion) -> int:
    return left.compare(right)


@functools.cache
def ordered_versions() -> dict[str, list[str]]:
    """Each source package's distinct versions, sorted by our comparator."""
    key = functools.cmp_to_key(_dpkg_cmp)
    ordered: dict[str, list[str]] = {}
    for package, sets in versions_by_source().items():
        distinct = set().union(*sets.values())
        ordered[package] = sorted(distinct, key=lambda text: key(DebianVersion.parse(text)))
    return ordered


def dpkg_verdicts(pairs: list[tuple[str, str]], workers: int) -> list[int]:
    """dpkg's verdict (-1, 0, 1) on each pair: shell loops, one per chunk, run concurrently."""
    assert DPKG is not None
    script = (
        'while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; '
        'elif dpkg --compare-versions "$a" gt "$b"; then echo 1; else echo 0; fi; done'
    )
    size = max(1, -(-len(pairs) // (workers * 4)))
    chunks = [pairs[start : start + size] for start in range(0, len(pairs), size)]

    def judge(chunk: list[tuple[str, str]]) -> list[int]:
        feed = "".join(f"{a} {b}\n" for a, b in chunk)
        done = subprocess.run(
            ["sh", "-c", script], input=feed, capture_output=True, text=True, check=True
        )
        verdicts = [int(word) for word in done.stdout.split()]
        assert len(verdicts) == len(chunk), done.stderr
        return verdicts

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [verdict for chunk in pool.map(judge, chunks) for verdict in chunk]


def _pairs(versions: Iterable[str]) -> int:
    count = len(set(versions))
    return count * (count - 1) // 2


def _pairs_across(sets: dict[str, set[str]]) -> int:
    """Distinct pairs with one version from bookworm's OVAL and the other from bullseye's."""
    bookworm, bullseye = sets.get("bookworm", set()), sets.get("bullseye", set())
    return len({frozenset((a, b)) for a in bookworm for b in bullseye if a != b})


def test_the_shared_data_hold_versions_of_both_releases_and_the_dsa_list() -> None:
    by_source = versions_by_source()
    for source in (*OVAL_RELEASES, "DSA"):
        packages = [p for p, sets in by_source.items() if sets.get(source)]
        assert len(packages) > 1000, f"only {len(packages)} packages with {source} versions"
    openssl = by_source["openssl"]
    assert {"bookworm", "bullseye", "DSA"} <= set(openssl)
    assert all(":" in version for version in openssl["bookworm"])  # OVAL writes the epoch


@pytest.mark.skipif(DPKG is None, reason="dpkg is not installed on this machine")
def test_every_shared_debian_pair_agrees_with_dpkg() -> None:
    by_source, ordered = versions_by_source(), ordered_versions()
    total = sum(_pairs(versions) for versions in ordered.values())
    across = sum(_pairs_across(sets) for sets in by_source.values())
    assert total >= MIN_PAIRS, f"only {total} pairs in the shared Debian data"

    # Our comparator on every pair: each package's sorted list is one consistent order.
    checked = 0
    inconsistent: list[tuple[str, str, str]] = []
    for package, versions in ordered.items():
        parsed = [DebianVersion.parse(text) for text in versions]
        for index, earlier in enumerate(parsed):
            for later_index in range(index + 1, len(parsed)):
                checked += 1
                if earlier.compare(parsed[later_index]) > 0:
                    inconsistent.append((package, versions[index], versions[later_index]))
    assert checked == total
    assert not inconsistent, f"{len(inconsistent)} of {total} pairs break the sorted order"

    # dpkg on every pair of neighbours (this proves every pair) and on a sample of far pairs.
    neighbours = [
        (versions[index], versions[index + 1])
        for versions in ordered.values()
        for index in range(len(versions) - 1)
    ]
    chooser = random.Random(5612)
    candidates = [p for p, versions in sorted(ordered.items()) if len(versions) > 2]
    far: list[tuple[str, str]] = []
    while len(far) < FAR_PAIRS:
        versions = ordered[chooser.choice(candidates)]
        first = chooser.randrange(len(versions) - 2)
        far.append((versions[first], versions[chooser.randrange(first + 2, len(versions))]))
    oracle_pairs = neighbours + far
    expected = dpkg_verdicts(oracle_pairs, workers=max(4, 2 * (os.cpu_count() or 1)))
    wrong = [
        (a, b, got, want)
        for (a, b), want in zip(oracle_pairs, expected, strict=True)
        if (got := DebianVersion.parse(a).compare(DebianVersion.parse(b))) != want
    ]
    assert not wrong, (
        f"{len(wrong)} of {len(oracle_pairs)} pairs judged by dpkg differ "
        f"({total} pairs in all, {across} across bookworm and bullseye): {wrong[:10]}"
    )
    assert len(neighbours) > 15_000, f"only {len(neighbours)} neighbouring pairs"
    assert across > 150_000, f"only {across} pairs across bookworm and bullseye"
