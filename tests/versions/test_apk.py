"""Alpine version ordering, proven against apk-tools' own comparison vectors, in both the
apk-tools 2 and the apk-tools 3 dialect, and on the fixed versions of Alpine's security data."""

from __future__ import annotations

import functools
import itertools
import json

import pytest

from hullguard.versions import apk
from hullguard.versions.apk import Dialect, Token, Token2, compare, is_valid, key, tokens, tokens_v2
from tests.conftest import shared_path

V2, V3 = Dialect.APK_TOOLS_2, Dialect.APK_TOOLS_3

_OP = {"<": -1, "=": 0, ">": 1}
APK_VECTORS = 729  # the lines of apk-tools' test/version.data in the shared data


@functools.cache
def apk_vectors() -> list[tuple[str, str, str]]:
    """(left, op, right) from apk-tools' test/version.data: `v1 <op> v2`, `#` comments."""
    path = shared_path("data", "vuln", "version-tests", "apk-version.data")
    vectors: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            left, op, right = fields
            vectors.append((left, op, right))
    return vectors


@pytest.mark.parametrize("dialect", [V2, V3])
def test_every_apk_tools_vector_holds(dialect: Dialect) -> None:
    vectors = apk_vectors()
    assert len(vectors) == APK_VECTORS
    wrong = [(a, op, b, got) for a, op, b in vectors if (got := compare(a, b, dialect)) != _OP[op]]
    assert not wrong, f"{len(wrong)} of {len(vectors)} apk-tools vectors fail: {wrong[:10]}"


@pytest.mark.parametrize("dialect", [V2, V3])
def test_every_apk_tools_vector_holds_reversed(dialect: Dialect) -> None:
    wrong = [(a, op, b) for a, op, b in apk_vectors() if compare(b, a, dialect) != -_OP[op]]
    assert not wrong, f"{len(wrong)} vectors fail with the operands swapped: {wrong[:10]}"


# Cases beyond the vectors, each `left op right`: the grammar's corners as apk-tools 3 reads them.
EDGE_CASES = [
    ("1.0_alpha", "<", "1.0_beta"),
    ("1.0_beta", "<", "1.0_pre"),
    ("1.0_pre", "<", "1.0_rc"),
    ("1.0_rc", "<", "1.0"),
    ("1.0", "<", "1.0_cvs"),
    ("1.0_cvs", "<", "1.0_svn"),
    ("1.0_svn", "<", "1.0_git"),
    ("1.0_git", "<", "1.0_hg"),
    ("1.0_hg", "<", "1.0_p"),
    ("1.0-r1", "<", "1.0_p1"),  # the revision of 1.0 is below its patch level
    ("1.0_rc1-r5", "<", "1.0-r0"),
    ("1.0-r1", "<", "1.0.1"),
    ("1.0a", "<", "1.0.1"),
    ("1.0", "<", "1.0-r0"),  # -r0 is a token, not an absent revision
    ("1.0-r9", "<", "1.0-r10"),
    ("1.0_p9", "<", "1.0_p10"),
    ("01.0", "=", "1.0"),  # the first number is always a number
    ("1.05", "<", "1.5"),  # a leading zero compares as text, below every plain number
    ("1.05", "<", "1.1"),
    ("1.0", "<", "1.00"),
    ("8.2.0", "<", "8.2.001"),
    ("8.2.0015", "<", "8.2.002"),
    ("9.0.0999", "<", "9.0.1000"),
    ("1.0~abc", "<", "1.0~abd"),
    ("1.0~1234-r9", "<", "1.0~2345-r0"),
    ("1.0", "<", "1.0~0"),
    ("1.0-r1", "<", "1.0~abc"),
    ("1.0_alpha_beta", "<", "1.0_alpha"),  # a further pre-release suffix lowers the version
    ("1.0_p1_p2", ">", "1.0_p1"),
    ("1.0b", ">", "1.0bc"),  # invalid past `b`: an invalid token sorts low
    ("1.0bc", "=", "1.0bd"),  # both turn invalid at the same place
    ("1.0_foo", ">", "1.0_rc1"),  # invalid, but above a pre-release suffix
    ("18446744073709551616", "=", "0"),  # 64-bit numbers wrap around as in apk-tools
    ("1.18446744073709551617", ">", "1.0"),
]


@pytest.mark.parametrize(("left", "op", "right"), EDGE_CASES)
def test_edge_cases(left: str, op: str, right: str) -> None:
    assert compare(left, right) == _OP[op]
    assert compare(right, left) == -_OP[op]


@pytest.mark.parametrize(
    "version",
    ["0", "1.2", "1.2.3a", "0.1_pre2", "0.1_pre2~1234abcd", "0.1_p1_pre2", "1.0_git20240101_rc1",
     "2.38.1-r3", "1.0.0_pre20191002222144-r0", "6.1.62_p20231106-r0"],
)  # fmt: skip
def test_valid_versions(version: str) -> None:
    assert is_valid(version)
    assert tokens(version)[-1] == (Token.END, 0)


@pytest.mark.parametrize(
    "version",
    ["", "a", ".1", "_pre1", "-r1", "1.", "1..2", "1.0bc", "1.0a1", "1.0a.1", "1.0_", "1.0_foo",
     "1.0__alpha", "1.0_1_alpha", "1.0-r", "1.0-r1_pre1", "1.0-r1-r2", "1.0-r1.1", "1.0-1",
     "1.0~", "1.0~xyz", "1.0~12_pre1", "1.0 ", "1.0A", "v1.0"],
)  # fmt: skip
def test_invalid_versions(version: str) -> None:
    assert not is_valid(version)
    assert tokens(version)[-1] == (Token.INVALID, 0)


def test_tokens_of_a_full_version() -> None:
    assert tokens("1.02b_rc3_p4~7ab-r5") == [
        (Token.INITIAL_DIGIT, 1),
        (Token.DIGIT, "02"),
        (Token.LETTER, "b"),
        (Token.SUFFIX, 3),
        (Token.SUFFIX_NO, 3),
        (Token.SUFFIX, 9),
        (Token.SUFFIX_NO, 4),
        (Token.COMMIT_HASH, "7ab"),
        (Token.REVISION_NO, 5),
        (Token.END, 0),
    ]


def test_a_huge_number_is_read_without_a_huge_conversion() -> None:
    digits = "9" * 10000
    assert is_valid(digits)
    assert compare(digits, digits + "-r1") == -1
    assert apk.compare(f"1.{digits}", "1.1") == 1


def test_sort_by_key() -> None:
    shuffled = ["1.0.1", "1.0bc", "1.0a", "1.0_p1", "1.0~ab", "1.0-r1", "1.0", "1.0_rc1", "1.0b"]
    assert sorted(shuffled, key=key) == [
        "1.0_rc1",
        "1.0",
        "1.0-r1",
        "1.0~ab",
        "1.0_p1",
        "1.0a",
        "1.0bc",
        "1.0b",
        "1.0.1",
    ]


# ---- apk-tools 2 ---------------------------------------------------------------------------

EDGE_CASES_V2 = [
    ("1.9.5p1", "<", "1.9.5p2"),  # digits after a letter: valid in apk-tools 2
    ("1.9.5p2-r0", "<", "1.9.5p2-r1"),
    ("1.05", "<", "1.1"),  # `.05` reads as a zero marker, then 5
    ("1.05", "<", "1.5"),
    ("1.00", "<", "1.0"),  # one more leading zero, one step lower
    ("1.005", "<", "1.05"),
    ("01.0", "=", "1.0"),
    ("1.0", "<", "1.0-r"),  # `-r` alone is revision 0, a token all the same
    ("1.0-r", "=", "1.0-r0"),
    ("1.0_foo", "<", "1.0"),  # an unknown suffix sorts like a pre-release
    ("1.0_foo", ">", "1.0_rc"),
    ("1.0_preview", "<", "1.0"),  # `_pre` is recognised by its start, then invalid
    ("1.0bc", ">", "1.0b"),  # an invalid token sorts above everything
    ("1.0~abc", ">", "1.0-r9"),  # no commit hash in apk-tools 2: invalid
    ("1.123456789012345678", "<", "1.9"),  # 18 digits: invalid, worth -1
    ("1.0", "<", "1.0."),
    ("", "=", "0"),
]


@pytest.mark.parametrize(("left", "op", "right"), EDGE_CASES_V2)
def test_edge_cases_v2(left: str, op: str, right: str) -> None:
    assert compare(left, right, V2) == _OP[op]
    assert compare(right, left, V2) == -_OP[op]


@pytest.mark.parametrize(
    "version",
    ["0", "1.2.3a", "1.9.5p2-r0", "0.1_pre2", "0.1_p1_pre2", "1.0.4.-r0", "0.8.21.r2", "1.0-r",
     "1.05", "1.0.", "2.15.r-r1", "6.1.62_p20231106-r0",
     "a", "v1.0"],  # an empty first number is 0, and a letter may follow it
)  # fmt: skip
def test_valid_versions_v2(version: str) -> None:
    assert is_valid(version, V2)
    assert tokens_v2(version)[-1] == (Token2.END, 0)


@pytest.mark.parametrize(
    "version",
    ["1.0bc", "1.0~abc", "1.0_foo", "1.0_preview", "1.0-1", "1.0-r1_p1", "1.0-r1.1",
     "1.a.1", "1.123456789012345678", "1.0A", "_1", "1.0-x"],
)  # fmt: skip
def test_invalid_versions_v2(version: str) -> None:
    assert not is_valid(version, V2)
    assert tokens_v2(version)[-1] == (Token2.INVALID, 0)


def test_tokens_v2_of_a_full_version() -> None:
    assert tokens_v2("1.002b3_rc4_p-r5") == [
        (Token2.DIGIT, 1),
        (Token2.DIGIT_OR_ZERO, -1),  # two zeros: a marker of -1, then the number 02
        (Token2.DIGIT, 2),
        (Token2.LETTER, ord("b")),
        (Token2.DIGIT, 3),
        (Token2.SUFFIX, -1),
        (Token2.SUFFIX_NO, 4),
        (Token2.SUFFIX, 4),
        (Token2.REVISION_NO, 5),
        (Token2.END, 0),
    ]


@functools.cache
def secdb_fixed_versions() -> dict[tuple[str, str], list[str]]:
    """(release, package) -> fixed versions, from the shared Alpine secdb."""
    root = shared_path("data", "vuln", "alpine-secdb", "alpine")
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.glob("*/*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")).get("packages", []):
            package = entry["pkg"]
            fixes = list(package.get("secfixes") or {})
            found.setdefault((path.parent.name, package["name"]), []).extend(fixes)
    return found


# The only fixed versions of the shared secdb that neither apk-tools reads as versions.
SECDB_MALFORMED = {"1.11-20-r0", "10.0.11-0", "2021-03-27-r5", "4.10-1-r1", "57-1-r2"}


def test_secdb_fixed_versions_in_both_dialects() -> None:
    """apk-tools 2 reads every fixed version of Alpine's security data but five malformed ones;
    apk-tools 3 refuses more (`1.9.5p2-r0`, `1.0.4.-r0`); where both read a package's two
    versions, both order them alike."""
    versions = {v for found in secdb_fixed_versions().values() for v in found}
    assert len(versions) > 4000
    assert {v for v in versions if not is_valid(v, V2)} == SECDB_MALFORMED
    only_v2 = {v for v in versions if is_valid(v, V2) and not is_valid(v, V3)}
    assert {"1.9.5p2-r0", "1.0.4.-r0", "6.6.4p1-r1"} <= only_v2
    pairs = 0
    for found in secdb_fixed_versions().values():
        readable = [v for v in found if is_valid(v, V2) and is_valid(v, V3)]
        for a, b in itertools.combinations(readable, 2):
            pairs += 1
            assert compare(a, b, V2) == compare(a, b, V3), (a, b)
    assert pairs > 100_000
