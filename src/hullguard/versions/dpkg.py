"""Debian package version ordering, as Debian Policy §5.6.12 defines it.

A version is `[epoch:]upstream[-revision]`. Epochs compare as integers. Upstream and revision
compare the same way: the string is read as alternating runs of non-digits and digits; runs of
non-digits compare character by character with a modified order (`~` before everything, even
the end of the run; then the end of the run; then letters; then every other character), runs of
digits compare as integers (an absent run counts as 0). An absent revision compares like `0`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_EPOCH = re.compile(r"^\d+$")
_RUNS = re.compile(r"(\D*)(\d*)")
_TILDE = -1
_END = 0


def _weight(char: str) -> int:
    """The place of one non-digit character in the modified ordering."""
    if char == "~":
        return _TILDE
    if char.isascii() and char.isalpha():
        return ord(char)
    return ord(char) + 256


def _letters_key(run: str) -> tuple[int, ...]:
    """A key for one run of non-digits; the end marker makes a shorter run sort as Policy says."""
    return (*(_weight(c) for c in run), _END)


def _runs(part: str) -> list[tuple[tuple[int, ...], int]]:
    runs: list[tuple[tuple[int, ...], int]] = []
    for letters, digits in _RUNS.findall(part):
        if not letters and not digits:
            continue
        runs.append((_letters_key(letters), int(digits) if digits else 0))
    return runs


_EMPTY_RUN: tuple[tuple[int, ...], int] = ((_END,), 0)


def compare_part(left: str, right: str) -> int:
    """Compare two upstream versions (or two revisions): -1, 0 or 1."""
    a, b = _runs(left), _runs(right)
    for index in range(max(len(a), len(b))):
        run_a = a[index] if index < len(a) else _EMPTY_RUN
        run_b = b[index] if index < len(b) else _EMPTY_RUN
        if run_a != run_b:
            return -1 if run_a < run_b else 1
    return 0


@functools.total_ordering
@dataclass(frozen=True)
class DebianVersion:
    """A parsed Debian version; instances order as dpkg orders them."""

    epoch: int
    upstream: str
    revision: str

    @classmethod
    def parse(cls, text: str) -> DebianVersion:
        value = text.strip()
        if not value:
            raise ValueError("empty Debian version")
        epoch = 0
        if ":" in value:
            head, value = value.split(":", 1)
            if not _EPOCH.match(head):
                raise ValueError(f"Debian version {text!r}: epoch {head!r} is not a number")
            epoch = int(head)
        upstream, hyphen, revision = value.rpartition("-")
        if not hyphen:
            upstream, revision = value, ""
        if not upstream:
            raise ValueError(f"Debian version {text!r} has no upstream version")
        if any(c.isspace() for c in upstream + revision):
            raise ValueError(f"Debian version {text!r} contains white space")
        return cls(epoch, upstream, revision)

    def __str__(self) -> str:
        text = f"{self.epoch}:{self.upstream}" if self.epoch else self.upstream
        return f"{text}-{self.revision}" if self.revision else text

    def compare(self, other: DebianVersion) -> int:
        if self.epoch != other.epoch:
            return -1 if self.epoch < other.epoch else 1
        return compare_part(self.upstream, other.upstream) or compare_part(
            self.revision, other.revision
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DebianVersion):
            return NotImplemented
        return self.compare(other) == 0

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DebianVersion):
            return NotImplemented
        return self.compare(other) < 0

    def __hash__(self) -> int:
        return hash((self.epoch, tuple(_trimmed(self.upstream)), tuple(_trimmed(self.revision))))


def _trimmed(part: str) -> list[tuple[tuple[int, ...], int]]:
    """The runs of a part without trailing empty runs, so that equal versions hash alike."""
    runs = _runs(part)
    while runs and runs[-1] == _EMPTY_RUN:
        runs.pop()
    return runs


PartKey = tuple[tuple[tuple[int, ...], int], ...]


def part_key(part: str) -> PartKey:
    """A tuple that orders upstream versions (or revisions) as `compare_part` does.

    dpkg compares runs pairwise, padding the shorter list with empty runs. Without trailing
    empty runs and with one empty run appended, plain tuple order agrees: only the first run
    can be empty, so the appended run meets a non-empty run wherever the lists part, except
    when a part has no run left at all, which gets a second empty run for that case."""
    runs = _trimmed(part)
    if not runs:
        return (_EMPTY_RUN, _EMPTY_RUN)
    return (*runs, _EMPTY_RUN)


def sort_key(text: str) -> tuple[int, PartKey, PartKey]:
    """A key that orders Debian version strings as dpkg does (for sorting many versions)."""
    version = DebianVersion.parse(text)
    return (version.epoch, part_key(version.upstream), part_key(version.revision))


def compare(left: str, right: str) -> int:
    """Compare two Debian version strings as `dpkg --compare-versions` does: -1, 0 or 1."""
    return DebianVersion.parse(left).compare(DebianVersion.parse(right))
