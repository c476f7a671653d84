"""Maven version ordering, proven against Maven's own ComparableVersion.

The oracle is ComparableVersion's command-line entry point in Debian's Maven library
(`libmaven3-core-java`, run by `java`): given versions, it prints each one's canonical form and
how each compares with the next. Without java or the library the oracle tests skip with the
reason; with CI=true they fail instead.
"""

from __future__ import annotations

import functools
import os
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

from hullguard.versions.maven import MavenVersion, canonical, compare, key, parse

MAVEN_ARTIFACT_JARS = [Path("/usr/share/java/maven3-artifact.jar")]
COMPARABLE_VERSION = "org.apache.maven.artifact.versioning.ComparableVersion"
GENERATED = 4000
_OP = {"<": -1, "==": 0, ">": 1, "=": 0}


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and Maven's oracle is missing: {reason}", pytrace=False)
    pytest.skip(reason)


_VERDICT = re.compile(r"^   (\S+) (==|<|>) (\S+)$")
_CANONICAL = re.compile(r"^\d+\. (\S+) (?:->|==) (\S*?)(?:; tokens: .*)?$")


def maven_says(versions: list[str]) -> tuple[list[int], list[str]]:
    """ComparableVersion's verdict on each pair of neighbours in the list, and the canonical
    form of each version."""
    java = shutil.which("java")
    jar = next((path for path in MAVEN_ARTIFACT_JARS if path.is_file()), None)
    if java is None or jar is None:
        _unavailable("java and Maven's library are not installed: install libmaven3-core-java")
    done = subprocess.run(
        [java, "-cp", str(jar), COMPARABLE_VERSION, *versions],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    verdicts: list[int] = []
    forms: list[str] = []
    for line in done.stdout.splitlines():
        if verdict := _VERDICT.match(line):
            verdicts.append(_OP[verdict.group(2)])
        elif form := _CANONICAL.match(line):
            forms.append(form.group(2))
    assert len(verdicts) == len(versions) - 1 and len(forms) == len(versions), done.stdout[:500]
    return verdicts, forms


_NUMBERS = ["0", "1", "2", "10", "00", "01", "2147483648", "9999999999999999999",
            "123456789012345678901234"]  # fmt: skip
_WORDS = ["alpha", "a", "beta", "b", "m", "milestone", "rc", "cr", "CR", "snapshot", "SNAPSHOT",
          "ga", "final", "Final", "release", "RELEASE", "sp", "SP", "foo", "abc", "pfd", "x",
          "jre", "android"]  # fmt: skip
_SEPARATORS = [".", ".", "-", "-", ""]


def _random_version(chooser: random.Random) -> str:
    text = ""
    for _ in range(chooser.randint(1, 6)):
        text += chooser.choice(_NUMBERS) if chooser.random() < 0.55 else chooser.choice(_WORDS)
        text += chooser.choice(_SEPARATORS)
    return text.rstrip(".") or "1"


@functools.cache
def generated_versions() -> list[str]:
    """Random versions; each list neighbour pair is one comparison for the oracle."""
    chooser = random.Random(387)
    versions = [_random_version(chooser) for _ in range(GENERATED)]
    realistic = ["1.0", "1.0.0", "1.0-SNAPSHOT", "1.0-alpha-1", "1.0-beta-2", "1.0-RC1",
                 "1.0.0.Final", "1.0-sp1", "1.0-1", "1.0.1", "2.12.7.1", "32.1.2-jre",
                 "32.1.2-android", "5.3.0-M1", "1.0.0.CR1", "3.0.0-M5",
                 "1.0.0-20230101.123456-1"]  # fmt: skip
    return realistic + versions


def test_generated_pairs_agree_with_comparable_version() -> None:
    versions = generated_versions()
    verdicts, forms = maven_says(versions)
    wrong = [
        (a, b, got, want)
        for a, b, want in zip(versions, versions[1:], verdicts, strict=False)
        if (got := compare(a, b)) != want
    ]
    assert not wrong, f"{len(wrong)} of {len(verdicts)} pairs differ from Maven: {wrong[:10]}"
    assert min(verdicts.count(-1), verdicts.count(1)) > len(verdicts) // 5
    assert verdicts.count(0) >= 10
    wrong_forms = [
        (v, mine, want)
        for v, want in zip(versions, forms, strict=True)
        if (mine := canonical(parse(v))) != want
    ]
    assert not wrong_forms, f"{len(wrong_forms)} canonical forms differ: {wrong_forms[:10]}"


def test_sorted_versions_agree_with_comparable_version() -> None:
    """Sorted by our key, no neighbour may be greater than the next in Maven's eyes: together
    with the pairs above this proves that the two orders are the same."""
    ordered = sorted(set(generated_versions()), key=key)
    verdicts, _ = maven_says(ordered)
    wrong = [(a, b) for a, b, v in zip(ordered, ordered[1:], verdicts, strict=False) if v > 0]
    assert not wrong, f"{len(wrong)} of {len(verdicts)} neighbours out of order: {wrong[:10]}"


CASES = [
    ("1", "=", "1.0.0"),
    ("1.0-alpha-1", "<", "1.0-beta-1"),
    ("1.0-a1", "=", "1.0-alpha-1"),
    ("1.0", "<", "1.0-a"),  # `a` not followed by a digit is an unknown word, not alpha
    ("1.0-beta", "<", "1.0-milestone"),
    ("1.0-m1", "<", "1.0-rc1"),
    ("1.0-cr1", "=", "1.0-rc1"),
    ("1.0-rc1", "<", "1.0-SNAPSHOT"),
    ("1.0-SNAPSHOT", "<", "1.0"),
    ("1.0", "=", "1.0-ga"),
    ("1.0.0.Final", "=", "1.0-RELEASE"),
    ("1.0", "<", "1.0-sp"),
    ("1.0-sp", "<", "1.0-foo"),  # unknown words after the known ones
    ("1.0-foo", "<", "1.0-1"),
    ("1.0-1", "<", "1.0.1"),
    ("1.0.1", "<", "1.1"),
    ("1.0-android", "<", "1.0-jre"),  # unknown words alphabetically
    ("1.0", "<", "1.0.0.1"),
    ("2147483648", "<", "2147483649"),
    ("123456789012345678901234", ">", "9999999999999999999"),
]


@pytest.mark.parametrize(("left", "op", "right"), CASES)
def test_cases(left: str, op: str, right: str) -> None:
    assert compare(left, right) == _OP[op]
    assert compare(right, left) == -_OP[op]


def test_cases_agree_with_comparable_version() -> None:
    versions = [version for left, _, right in CASES for version in (left, right)]
    verdicts, _ = maven_says(versions)
    assert verdicts[::2] == [_OP[op] for _, op, _ in CASES]


def test_parse() -> None:
    assert parse("1.0-RC1") == [1, [(3, ""), [1]]]
    assert canonical(parse("1.0-RC1")) == "1-rc-1"
    assert canonical(parse("1.0.0.Final")) == "1"
    assert canonical(parse("1.2.3-jre")) == "1.2.3-jre"
    assert MavenVersion("1.0") == MavenVersion("1")
    assert sorted(["1.1", "1.0-SNAPSHOT", "1.0"], key=key) == ["1.0-SNAPSHOT", "1.0", "1.1"]
