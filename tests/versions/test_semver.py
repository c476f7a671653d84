"""SemVer (npm, crates.io) and Go module version ordering.

npm's ordering is proven against node-semver itself (Debian's `node-semver`, run by `node` in
one subprocess for all pairs); without it that test skips with the reason, and fails with
CI=true. crates.io and Go have no oracle on this machine: their cases below follow the SemVer
2.0.0 text and golang.org/x/mod/semver's documented grammar.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

from hullguard.versions.semver import (
    MINIMUM_KEY,
    InvalidSemver,
    Semver,
    cargo_key,
    compare_cargo,
    compare_go,
    compare_npm,
    go_key,
    npm_key,
    parse_go,
    parse_npm,
)
from tests.conftest import shared_path

# semver.org §11's own example chain, each lower than the next.
SPEC_CHAIN = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
              "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0",
              "10.0.0"]  # fmt: skip
_OP = {"<": -1, "=": 0, ">": 1}


@pytest.mark.parametrize("compare", [compare_npm, compare_cargo, compare_go])
def test_the_spec_example_chain(compare: object) -> None:
    assert callable(compare)
    for lower, higher in itertools.pairwise(SPEC_CHAIN):
        assert compare(lower, higher) == -1, (lower, higher)
        assert compare(higher, lower) == 1, (higher, lower)
    shuffled = random.Random(11).sample(SPEC_CHAIN, len(SPEC_CHAIN))
    for key in (npm_key, cargo_key, go_key):
        assert sorted(shuffled, key=key) == SPEC_CHAIN


SEMVER_CASES = [
    ("1.0.0+build.1", "=", "1.0.0+build.2"),  # build metadata takes no part
    ("1.0.0-rc.1+b", "=", "1.0.0-rc.1"),
    ("1.0.0-2", "<", "1.0.0-10"),  # numeric identifiers as numbers
    ("1.0.0-a2", ">", "1.0.0-a10"),  # alphanumeric ones as ASCII text
    ("1.0.0-B", "<", "1.0.0-a"),
    ("1.0.0-999", "<", "1.0.0-a"),  # numbers below text
    ("1.0.0-0a", ">", "1.0.0-9"),  # `0a` is alphanumeric
    ("1.0.0-x-y", ">", "1.0.0-x"),
    ("1.0.0-alpha.0", ">", "1.0.0-alpha"),
    ("1.0.0-0", "<", "1.0.0"),
    ("0.0.0-0", ">", "0"),  # OSV's `introduced: 0` is below everything
    ("18446744073709551615.0.0", ">", "9.0.0"),
]


@pytest.mark.parametrize(("left", "op", "right"), SEMVER_CASES)
def test_cargo_cases(left: str, op: str, right: str) -> None:
    assert compare_cargo(left, right) == _OP[op]
    assert compare_cargo(right, left) == -_OP[op]


@pytest.mark.parametrize(("left", "op", "right"), SEMVER_CASES)
def test_go_cases(left: str, op: str, right: str) -> None:
    assert compare_go(left, right) == _OP[op]
    assert compare_go(right, left) == -_OP[op]


GO_CASES = [
    ("v1.2.3", "=", "1.2.3"),  # OSV's Go records drop the `v`
    ("v1", "=", "v1.0.0"),  # x/mod/semver shorthands
    ("v1.2", "=", "v1.2.0"),
    ("v2.0.0+incompatible", "=", "v2.0.0"),
    ("v2.0.0+incompatible", ">", "v1.99.99"),
    ("v0.0.0-20191109021931-daa7c04131f5", "<", "v0.0.1"),
    ("v0.0.0-20191109021931-daa7c04131f5", "<", "v0.0.0-20201109021931-aaaaaaaaaaaa"),
    ("v0.0.0-20191109021931-daa7c04131f5", ">", "0"),
    ("v1.2.4-0.20191109021931-daa7c04131f5", ">", "v1.2.3"),  # after v1.2.3, before v1.2.4
    ("v1.2.4-0.20191109021931-daa7c04131f5", "<", "v1.2.4"),
    ("v1.2.4-0.20191109021931-daa7c04131f5", "<", "v1.2.4-pre"),
    ("v1.2.4-pre.0.20191109021931-daa7c04131f5", ">", "v1.2.4-pre"),
    ("v1.2.4-pre.0.20191109021931-daa7c04131f5", "<", "v1.2.4-pre.1"),
    ("go1.21.5", "=", "1.21.5"),  # toolchain tags read as OSV writes stdlib versions
    ("go1.22rc1", "=", "1.22.0-rc.1"),
    ("go1.22rc1", "<", "go1.22.0"),
    ("go1.9beta2", "<", "go1.9rc1"),
    ("go1.21", "=", "v1.21.0"),
]


@pytest.mark.parametrize(("left", "op", "right"), GO_CASES)
def test_go_module_versions(left: str, op: str, right: str) -> None:
    assert compare_go(left, right) == _OP[op]
    assert compare_go(right, left) == -_OP[op]


@pytest.mark.parametrize(
    "version",
    ["", "v", "v1.2.3.4", "v1-pre", "v1.2-pre", "v01.2.3", "v1.02.3", "v1.2.3-01", "v1.2.3-",
     "v1.2.3+", "v1.2.3-a..b", "V1.2.3", " v1.2.3", "1.2.3 ", "go", "go1.x", "v1.2.3-ä"],
)  # fmt: skip
def test_invalid_go_versions(version: str) -> None:
    with pytest.raises(InvalidSemver, match="Go version"):
        parse_go(version)


@pytest.mark.parametrize(
    "version",
    ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "1.2.3-a..b", "V1.2.3",
     "vv1.2.3", "==1.2.3", "v=1.2.3", "9007199254740992.0.0", "1.2.3-é", "x" * 257],
)  # fmt: skip
def test_invalid_npm_versions(version: str) -> None:
    with pytest.raises(InvalidSemver):
        parse_npm(version)


@pytest.mark.parametrize(
    "version",
    ["v1.2.3", "=1.2.3", " 1.2.3", "1.2", "01.2.3", "1.2.3-01", "1.2.3-a..b",
     "18446744073709551616.0.0"],
)  # fmt: skip
def test_invalid_cargo_versions(version: str) -> None:
    with pytest.raises(InvalidSemver, match=r"crates\.io"):
        cargo_key(version)


def test_npm_tolerates_v_and_equals() -> None:
    for spelling in ["v1.2.3-rc.1+b", "=1.2.3-rc.1+b", "=v1.2.3-rc.1+b", "  1.2.3-rc.1+b\n"]:
        assert parse_npm(spelling) == Semver("1", "2", "3", ("rc", "1"), ("b",))
    assert str(parse_npm("=v1.2.3-rc.1+b")) == "1.2.3-rc.1+b"
    assert parse_npm("9007199254740991.0.0").major == "9007199254740991"


def test_the_osv_zero_is_below_every_version() -> None:
    for key in (npm_key, cargo_key, go_key):
        assert key("0") == MINIMUM_KEY
        assert key("0") < key("0.0.0-0")
    assert go_key("0") < go_key("v0.0.0-00010101000000-000000000000")


def test_every_go_version_of_the_go_vulnerability_database_parses() -> None:
    """The introduced/fixed versions of golang/vulndb's OSV records, the data the matcher
    compares Go modules against, all parse and sort."""
    folder = shared_path("data", "vuln", "golang-vulndb", "data", "osv")
    versions: set[str] = set()
    for path in folder.glob("GO-*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        for affected in record.get("affected", []):
            for events in affected.get("ranges", []):
                for event in events.get("events", []):
                    versions.update(v for k, v in event.items() if k in ("introduced", "fixed"))
    assert len(versions) > 1000
    ordered = sorted(versions, key=go_key)
    assert ordered[0] == "0"
    assert any("+incompatible" in v for v in versions)
    assert any(v.count("-") >= 2 for v in versions), "no pseudo-version in the data"


# ---- npm against node-semver -------------------------------------------------------------

_NODE_SEMVER_HOMES = [Path("/usr/share/nodejs"), Path("/usr/lib/node_modules/npm/node_modules")]
_NODE_ORACLE = """
const semver = require("semver");
const pairs = JSON.parse(require("fs").readFileSync(0, "utf8"));
const valid = (v) => semver.valid(v) !== null;
const verdicts = pairs.map(([a, b]) => {
  const va = valid(a), vb = valid(b);
  return [va, vb, va && vb ? semver.compare(a, b) : null];
});
process.stdout.write(JSON.stringify(verdicts));
"""


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and node-semver is missing: {reason}", pytrace=False)
    pytest.skip(reason)


@functools.cache
def _node_semver_home() -> Path | None:
    return next((home for home in _NODE_SEMVER_HOMES if (home / "semver").is_dir()), None)


def node_verdicts(pairs: list[tuple[str, str]]) -> list[tuple[bool, bool, int | None]]:
    node, home = shutil.which("node"), _node_semver_home()
    if node is None or home is None:
        _unavailable("node and node-semver are not installed: install Debian's node-semver")
    # node-semver's `clean` drops the `=` that npm tolerates; `valid` then takes the rest.
    feed = [[_without_equals(a), _without_equals(b)] for a, b in pairs]
    done = subprocess.run(
        [node, "-e", _NODE_ORACLE],
        input=json.dumps(feed),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, "NODE_PATH": str(home)},
    )
    return [(a, b, c) for a, b, c in json.loads(done.stdout)]


def _without_equals(version: str) -> str:
    return version.strip().removeprefix("=")


def _npm_valid(version: str) -> bool:
    try:
        parse_npm(version)
    except InvalidSemver:
        return False
    return True


_CORES = ["0", "1", "2", "10", "9007199254740991"]
_BAD_CORES = ["01", "9007199254740992", "1a", ""]
_PRE = ["alpha", "beta", "rc", "0", "1", "2", "10", "0a", "-", "x-y", "A", "a1", "1a"]
_BAD_PRE = ["01", "", "é"]
_PREFIXES = ["", "", "", "", "v", "=", "=v", " "]
_BAD_PREFIXES = ["V", "v=", "==", "vv"]


def _random_npm(chooser: random.Random) -> str:
    """A version, made invalid somewhere a quarter of the time."""
    noisy = chooser.random() < 0.25

    def pick(good: list[str], bad: list[str]) -> str:
        return chooser.choice(good + bad if noisy else good)

    version = pick(_PREFIXES, _BAD_PREFIXES)
    version += ".".join(pick(_CORES, _BAD_CORES) for _ in range(3 if not noisy else 2))
    if noisy and chooser.random() < 0.5:
        version += ".0"
    if chooser.random() < 0.6:
        count = chooser.randint(1, 4)
        version += "-" + ".".join(pick(_PRE, _BAD_PRE) for _ in range(count))
    if chooser.random() < 0.2:
        version += "+" + pick(["build", "001", "a.b", "sha-1f"], ["x..y", ""])
    return version


def _npm_neighbour(chooser: random.Random, version: str) -> str:
    roll = chooser.random()
    if roll < 0.3:
        return version.split("-")[0].split("+")[0]
    if roll < 0.6:
        return version.split("+")[0] + chooser.choice([".1", ".a", ".0", "-rc", ".rc.2", "+b"])
    return _random_npm(chooser)


@functools.cache
def npm_pairs() -> list[tuple[str, str]]:
    chooser = random.Random(735)
    pairs = [(a, b) for a in SPEC_CHAIN for b in SPEC_CHAIN]
    while len(pairs) < 3000:
        left = _random_npm(chooser)
        pairs.append((left, _npm_neighbour(chooser, left)))
    return pairs


def test_npm_agrees_with_node_semver() -> None:
    pairs = npm_pairs()
    verdicts = node_verdicts(pairs)
    wrong = []
    compared = 0
    for (left, right), (valid_left, valid_right, verdict) in zip(pairs, verdicts, strict=True):
        mine = (_npm_valid(left), _npm_valid(right))
        if mine != (valid_left, valid_right):
            wrong.append((left, right, "validity", mine, (valid_left, valid_right)))
        elif verdict is not None:
            compared += 1
            if (got := compare_npm(left, right)) != verdict:
                wrong.append((left, right, "order", got, verdict))
    assert not wrong, f"{len(wrong)} of {len(pairs)} pairs differ from node-semver: {wrong[:10]}"
    assert compared > 1000, f"only {compared} pairs were valid on both sides"
    assert sum(not (a and b) for a, b, _ in verdicts) > 300, "too few invalid versions tried"
