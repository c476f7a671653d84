"""RPM version ordering, proven against rpm's test vectors and against rpm itself.

The oracle is rpm's own implementation through its Python binding (Debian's `python3-rpm`, run
by the system interpreter in one subprocess for all pairs). Without it the oracle tests skip
with the reason; with CI=true they fail instead, since CI installs it.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import shutil
import subprocess
from typing import NoReturn

import pytest

from hullguard.versions.rpm import Label, compare, label_key, vercmp, version_key
from tests.conftest import shared_path

SYSTEM_PYTHON = "/usr/bin/python3"
RPM_VECTORS = 91
GENERATED_PAIRS = 3000  # of each kind: bare versions and epoch:version-release labels

_ORACLE = """
import json, sys
import rpm
verdicts = []
for kind, left, right in json.load(sys.stdin):
    if kind == "version":
        verdicts.append(rpm.labelCompare(("0", left, ""), ("0", right, "")))
    else:
        a, b = rpm.ver(left), rpm.ver(right)
        verdicts.append(rpm.labelCompare((a.e, a.v, a.r), (b.e, b.v, b.r)))
json.dump(verdicts, sys.stdout)
"""


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and rpm's oracle is missing: {reason}", pytrace=False)
    pytest.skip(reason)


@functools.cache
def _oracle_problem() -> str:
    if shutil.which(SYSTEM_PYTHON) is None:
        return f"{SYSTEM_PYTHON} is absent"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import rpm"], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import rpm: install Debian's python3-rpm"
    return ""


def rpm_verdicts(pairs: list[tuple[str, str, str]]) -> list[int]:
    """rpm's verdict on each (kind, left, right): kind `version` asks `rpmvercmp` (as a
    labelCompare of two bare versions), kind `label` parses both with `rpm.ver` and asks
    `labelCompare`."""
    if problem := _oracle_problem():
        _unavailable(problem)
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", _ORACLE],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    verdicts: list[int] = json.loads(done.stdout)
    assert len(verdicts) == len(pairs)
    return verdicts


@functools.cache
def rpm_vectors() -> list[tuple[str, str, int]]:
    """RPMVERCMP(a, b, result) lines of rpm's tests/rpmvercmp.at (plus the caret cases)."""
    path = shared_path("data", "vuln", "version-tests", "rpmvercmp.at")
    line = re.compile(r"^RPMVERCMP\(([^,]*), ([^,]*), (-?[01])\)$")
    found: list[tuple[str, str, int]] = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if match := line.match(text.strip()):
            found.append((match.group(1), match.group(2), int(match.group(3))))
    return found


def test_every_rpm_vector_holds() -> None:
    vectors = rpm_vectors()
    assert len(vectors) == RPM_VECTORS
    wrong = [(a, b, want, got) for a, b, want in vectors if (got := vercmp(a, b)) != want]
    assert not wrong, f"{len(wrong)} of {len(vectors)} rpm vectors fail: {wrong[:10]}"
    assert any("^" in a for a, _, _ in vectors), "the caret vectors are missing"


def test_rpm_vectors_agree_with_rpm() -> None:
    vectors = rpm_vectors()
    verdicts = rpm_verdicts([("version", a, b) for a, b, _ in vectors])
    assert verdicts == [want for _, _, want in vectors]


_NUMBERS = ["0", "00", "01", "1", "007", "2", "9", "10", "99", "100", "20240101",
            "18446744073709551616", "000000000000000000000001"]  # fmt: skip
_WORDS = ["a", "b", "z", "A", "Z", "rc", "git", "beta", "el", "fc", "p", "pre", "aa", "svn"]
_SEPARATORS = [".", ".", ".", "_", "+", "", ""]


def _random_version(chooser: random.Random) -> str:
    pieces: list[str] = []
    for _ in range(chooser.randint(1, 6)):
        roll = chooser.random()
        if roll < 0.45:
            piece = chooser.choice(_NUMBERS)
        elif roll < 0.75:
            piece = chooser.choice(_WORDS)
        elif roll < 0.87:
            piece = "~"
        else:
            piece = "^"
        pieces.append(piece + chooser.choice(_SEPARATORS))
    return "".join(pieces)


def _mutated(chooser: random.Random, version: str) -> str:
    """A neighbour of a version, so that pairs agree on a prefix and differ deep inside."""
    roll = chooser.random()
    cut = chooser.randint(0, len(version))
    if roll < 0.3:
        return version[:cut] + _random_version(chooser)
    if roll < 0.5:
        return version[:cut]
    if roll < 0.7:
        return version + chooser.choice(["~", "^", ".", "0", "a", ".1", "~rc1", "^git1", "_"])
    if roll < 0.85:
        return re.sub(r"[0-9]+", lambda m: m.group(0).lstrip("0") or "0", version, count=1)
    return _random_version(chooser)


def _random_label(chooser: random.Random) -> str:
    epoch = chooser.choice(["", "", "", "0:", "1:", "2:", "01:", "10:"])
    release = chooser.choice(["", "-1", "-2", "-1.el9", "-1.el9_2", "-0.1.rc1", "-150400.3.6.1"])
    return epoch + _random_version(chooser).replace("-", "") + release


def _mutated_label(chooser: random.Random, label: str) -> str:
    parsed = Label.parse(label)
    roll = chooser.random()
    if roll < 0.25:
        epoch = chooser.choice([None, "0", "1", "00", "3"])
        return str(Label(epoch, parsed.version, parsed.release))
    if roll < 0.55:
        release = _mutated(chooser, parsed.release or "1").replace("-", "") or None
        return str(Label(parsed.epoch, parsed.version, release))
    if roll < 0.85:
        version = _mutated(chooser, parsed.version).replace("-", "").replace(":", "") or "0"
        return str(Label(parsed.epoch, version, parsed.release))
    return _random_label(chooser)


@functools.cache
def generated_pairs() -> list[tuple[str, str, str]]:
    chooser = random.Random(4180)
    pairs: list[tuple[str, str, str]] = []
    while len(pairs) < GENERATED_PAIRS:
        left = _random_version(chooser)
        if right := _mutated(chooser, left):  # rpm refuses an empty version
            pairs.append(("version", left, right))
    while len(pairs) < 2 * GENERATED_PAIRS:
        label = _random_label(chooser)
        if label.split(":")[-1].split("-")[0]:
            pairs.append(("label", label, _mutated_label(chooser, label)))
    return pairs


def test_generated_pairs_agree_with_rpm() -> None:
    pairs = generated_pairs()
    verdicts = rpm_verdicts(pairs)
    wrong = []
    for (kind, left, right), want in zip(pairs, verdicts, strict=True):
        got = vercmp(left, right) if kind == "version" else compare(left, right)
        if got != want:
            wrong.append((kind, left, right, got, want))
    counts = {verdict: verdicts.count(verdict) for verdict in (-1, 0, 1)}
    assert not wrong, f"{len(wrong)} of {len(pairs)} pairs differ from rpm: {wrong[:10]}"
    # the pairs exercise all three outcomes, tildes, carets and epochs
    assert min(counts.values()) > len(pairs) // 20, counts
    assert sum("~" in a + b for _, a, b in pairs) > 500
    assert sum("^" in a + b for _, a, b in pairs) > 500
    assert sum(":" in a + b for kind, a, b in pairs if kind == "label") > 500


EDGE_CASES = [
    ("1.0~rc1", "<", "1.0"),
    ("1.0~rc1", "<", "1.0~rc1^git1"),
    ("1.0~", "<", "1.0"),
    ("1.0", "<", "1.0^"),
    ("1.0^", "<", "1.0.0"),
    ("1.0^git9", "<", "1.0a"),
    ("1.0", ">", "1.a"),  # digits beat letters
    ("1.0", "=", "1.0."),  # trailing separators are ignored
    ("1..0", "=", "1.0"),
    ("1.0", "=", "1_0"),
    ("1.001", "=", "1.1"),
    ("1.0", "<", "1.0a"),
    ("A", "<", "a"),
    ("18446744073709551617", ">", "18446744073709551616"),
    ("1.0", "=", "1.0é"),  # a non-ASCII letter only separates
]
_OP = {"<": -1, "=": 0, ">": 1}


@pytest.mark.parametrize(("left", "op", "right"), EDGE_CASES)
def test_edge_cases(left: str, op: str, right: str) -> None:
    assert vercmp(left, right) == _OP[op]
    assert vercmp(right, left) == -_OP[op]


def test_edge_cases_agree_with_rpm() -> None:
    verdicts = rpm_verdicts([("version", a, b) for a, _, b in EDGE_CASES])
    assert verdicts == [_OP[op] for _, op, _ in EDGE_CASES]


LABEL_CASES = [
    ("1:1.0-1", ">", "2.0-1"),
    ("0:1.0-1", "=", "1.0-1"),
    (":1.0-1", "=", "0:1.0-1"),
    ("00:1.0-1", "=", "0:1.0-1"),
    ("1.0", "<", "1.0-1"),  # no release sorts below any release, as labelCompare does
    ("1.0-1", "<", "1.0-1.el9"),
    ("1.0-1.el9", "<", "1.0-2.el9"),
    ("4.18.0-513.5.1.el8_9", ">", "4.18.0-513.el8"),
    ("1.0-1-2", ">", "1.0-1"),  # the version is `1.0-1`, the release `2`
    ("1.0~rc1-5", "<", "1.0-1"),
]


@pytest.mark.parametrize(("left", "op", "right"), LABEL_CASES)
def test_label_cases(left: str, op: str, right: str) -> None:
    assert compare(left, right) == _OP[op]
    assert compare(right, left) == -_OP[op]


def test_label_cases_agree_with_rpm() -> None:
    verdicts = rpm_verdicts([("label", a, b) for a, _, b in LABEL_CASES])
    assert verdicts == [_OP[op] for _, op, _ in LABEL_CASES]


def test_label_parts() -> None:
    assert Label.parse("2:1.0-3.el9") == Label("2", "1.0", "3.el9")
    assert Label.parse("1.0") == Label(None, "1.0", None)
    assert Label.parse("1.0-1-2") == Label(None, "1.0-1", "2")
    assert Label.parse("x:1.0-1") == Label(None, "x:1.0", "1")  # not an epoch: not digits
    assert str(Label.parse("2:1.0-3")) == "2:1.0-3"
    assert label_key("1.0") < label_key("1.0-")  # an empty release is still a release


def test_sort_by_key() -> None:
    shuffled = ["1.0.1", "1.0^git1", "1.0", "1.0~rc1^git1", "1.0~rc1", "1.a", "1.0~~"]
    assert sorted(shuffled, key=version_key) == [
        "1.a",
        "1.0~~",
        "1.0~rc1",
        "1.0~rc1^git1",
        "1.0",
        "1.0^git1",
        "1.0.1",
    ]
