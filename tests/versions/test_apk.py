"""Alpine version ordering, proven against apk-tools' own comparison vectors."""

from __future__ import annotations

import functools

import pytest

from hullguard.versions import apk
from hullguard.versions.apk import Token, compare, is_valid, key, tokens
from tests.conftest import shared_path

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


def test_every_apk_tools_vector_holds() -> None:
    vectors = apk_vectors()
    assert len(vectors) == APK_VECTORS
    wrong = [(a, op, b, got) for a, op, b in vectors if (got := compare(a, b)) != _OP[op]]
    assert not wrong, f"{len(wrong)} of {len(vectors)} apk-tools vectors fail: {wrong[:10]}"


def test_every_apk_tools_vector_holds_reversed() -> None:
    wrong = [(a, op, b) for a, op, b in apk_vectors() if compare(b, a) != -_OP[op]]
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
