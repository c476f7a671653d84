"""RPM version ordering, as rpm's `rpmvercmp` and `labelCompare` order versions.

`rpmvercmp` reads a version as segments: maximal runs of ASCII digits or of ASCII letters, with
`~` and `^` as segments of their own; every other character only separates segments and is
otherwise ignored (`1.0 == 1_0`, `1.0. == 1.0`). Two versions compare segment by segment:

- `~` sorts before everything, even the end of the version: `1.0~rc1 < 1.0`;
- then the end of the version;
- then `^`, which sorts after the end but before any further segment: `1.0 < 1.0^git1 < 1.0.1`;
- then letter runs, compared as ASCII text; then digit runs, compared as numbers (leading zeros
  ignored, any length). So a number beats letters: `1.0 > 1.a`.

A label is `[epoch:]version[-release]`. Epochs compare first (absent is 0), then versions, then
releases, each with `rpmvercmp`; like rpm's `labelCompare`, an absent release sorts below any
release, so that the ordering stays total.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

# Ranks of segment kinds; a segment is (rank, length of digits, text).
_TILDE: Final = 0
_END: Final = 1
_CARET: Final = 2
_LETTERS: Final = 3
_DIGITS: Final = 4

Segment = tuple[int, int, str]
VersionKey = tuple[Segment, ...]
LabelKey = tuple[VersionKey, VersionKey, VersionKey]

_SEGMENT = re.compile(r"[0-9]+|[A-Za-z]+|~|\^", re.ASCII)
_END_SEGMENT: Final[Segment] = (_END, 0, "")
_EPOCH = re.compile(r"[0-9]*", re.ASCII)
_NO_RELEASE: Final[VersionKey] = ()  # below the key of any release, even an empty one


def _segment(text: str) -> Segment:
    if text == "~":
        return (_TILDE, 0, "")
    if text == "^":
        return (_CARET, 0, "")
    if text[0].isdigit():
        number = text.lstrip("0")
        return (_DIGITS, len(number), number)
    return (_LETTERS, 0, text)


@functools.lru_cache(maxsize=65536)
def version_key(text: str) -> VersionKey:
    """A sort key that orders versions (or releases) as `rpmvercmp` does."""
    return (*(_segment(found) for found in _SEGMENT.findall(text)), _END_SEGMENT)


def vercmp(left: str, right: str) -> int:
    """Compare two versions as `rpmvercmp` (rpm's `rpm.vercmp`) does: -1, 0 or 1."""
    a, b = version_key(left), version_key(right)
    return (a > b) - (a < b)


@dataclass(frozen=True)
class Label:
    """An `[epoch:]version[-release]` label, split the way rpm splits one."""

    epoch: str | None
    version: str
    release: str | None

    @classmethod
    def parse(cls, text: str) -> Label:
        """Split at the epoch's colon (digits before a `:`) and at the last hyphen.

        A colon after something that is not all digits is part of the version, as in rpm.
        """
        epoch_end = _EPOCH.match(text)
        assert epoch_end is not None  # `[0-9]*` matches every string
        epoch: str | None = None
        rest = text
        if text[epoch_end.end() : epoch_end.end() + 1] == ":":
            epoch = text[: epoch_end.end()] or "0"
            rest = text[epoch_end.end() + 1 :]
        version, hyphen, release = rest.rpartition("-")
        if not hyphen:
            return cls(epoch, rest, None)
        return cls(epoch, version, release)

    def key(self) -> LabelKey:
        release = _NO_RELEASE if self.release is None else version_key(self.release)
        return (version_key(self.epoch or "0"), version_key(self.version), release)

    def __str__(self) -> str:
        text = f"{self.epoch}:{self.version}" if self.epoch is not None else self.version
        return text if self.release is None else f"{text}-{self.release}"


@functools.lru_cache(maxsize=65536)
def label_key(text: str) -> LabelKey:
    """A sort key that orders `[epoch:]version[-release]` labels as `rpm.labelCompare`."""
    return Label.parse(text).key()


def compare(left: str, right: str) -> int:
    """Compare two `[epoch:]version[-release]` labels: -1, 0 or 1."""
    a, b = label_key(left), label_key(right)
    return (a > b) - (a < b)
