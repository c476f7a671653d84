"""Alpine package version ordering, as apk-tools (version 3) orders versions.

An Alpine version reads `digits{.digits}...{letter}{_suffix{digits}}...{~hash}{-rN}`: the first
number, further dot-separated numbers, at most one lower-case letter, any number of suffixes
each with an optional number, a commit hash, and the package revision. Versions compare token by
token, left to right:

- numbers compare as numbers, except that a dotted number with a leading zero (`1.05`) compares
  as text with the other one, so every such number sorts below the numbers without one;
- a letter compares by its character; suffixes by their rank: `_alpha < _beta < _pre < _rc`
  (pre-releases) < no suffix < `_cvs < _svn < _git < _hg < _p` (post-releases); a commit hash
  as text; the revision `-rN` as a number;
- where one version has a token of a different kind than the other (one of them ended, say),
  a pre-release suffix makes its version the lower one; otherwise the version whose token comes
  later in the grammar is the lower one. So
  `1.0_rc1 < 1.0 < 1.0-r1 < 1.0~ab < 1.0_p1 < 1.0a < 1.0.1`.

A version that breaks the grammar is read up to the first token that breaks it, which counts as
an "invalid" token: after a pre-release suffix and before everything else, and two versions that
turn invalid at the same place compare equal. apk-tools orders invalid versions that way and
`is_valid` tells them apart; the ecosystem entry point refuses them.

Numbers are unsigned 64-bit values in apk-tools and wrap around past 2**64; so do they here.
"""

from __future__ import annotations

import enum
import functools
from typing import Final

_WORD: Final = 2**64
_CHUNK: Final = 18  # digits converted at a time, so that no int() conversion is ever large


class Token(enum.IntEnum):
    """apk-tools' token kinds in grammar order."""

    INITIAL_DIGIT = 0
    DIGIT = 1
    LETTER = 2
    SUFFIX = 3
    SUFFIX_NO = 4
    COMMIT_HASH = 5
    REVISION_NO = 6
    END = 7
    INVALID = 8


PRE_RELEASE_SUFFIXES: Final = ("alpha", "beta", "pre", "rc")
POST_RELEASE_SUFFIXES: Final = ("cvs", "svn", "git", "hg", "p")
_NO_SUFFIX: Final = len(PRE_RELEASE_SUFFIXES)
_SUFFIX_RANK: Final = {
    **{name: rank for rank, name in enumerate(PRE_RELEASE_SUFFIXES)},
    **{name: _NO_SUFFIX + 1 + rank for rank, name in enumerate(POST_RELEASE_SUFFIXES)},
}

# Where a token kind sorts when the other version has a token of another kind at that place:
# a pre-release suffix lowest, then the kinds from the last in the grammar to the first.
_PRE_SUFFIX_PLACE: Final = 0
_PLACE: Final = {kind: 1 + Token.INVALID - kind for kind in Token}

# One token of a key: (place, value); values compare only between tokens of the same place.
KeyToken = tuple[int, int | str | tuple[int, int | str]]
VersionKey = tuple[KeyToken, ...]

_DIGITS: Final = frozenset("0123456789")
_LOWER: Final = frozenset("abcdefghijklmnopqrstuvwxyz")
_HEX: Final = frozenset("0123456789abcdef")


def _span(text: str, start: int, allowed: frozenset[str]) -> int:
    end = start
    while end < len(text) and text[end] in allowed:
        end += 1
    return end


def _number(digits: str) -> int:
    """The value apk-tools reads: decimal digits in an unsigned 64-bit integer, wrapping."""
    value = 0
    for start in range(0, len(digits), _CHUNK):
        chunk = digits[start : start + _CHUNK]
        value = (value * 10 ** len(chunk) + int(chunk)) % _WORD
    return value


def tokens(text: str) -> list[tuple[Token, int | str]]:
    """The tokens of a version, ending with an END token or an INVALID one."""
    found: list[tuple[Token, int | str]] = []
    end = _span(text, 0, _DIGITS)
    if end == 0:
        return [(Token.INVALID, 0)]
    found.append((Token.INITIAL_DIGIT, _number(text[:end])))
    kind, pos = Token.INITIAL_DIGIT, end
    while True:
        if pos == len(text):
            found.append((Token.END, 0))
            return found
        char = text[pos]
        value: int | str
        if char in _LOWER and kind <= Token.DIGIT:
            kind, value, pos = Token.LETTER, char, pos + 1
        elif (char == "." and kind <= Token.DIGIT) or char in _DIGITS:
            start = pos + 1 if char == "." else pos
            if kind in (Token.INITIAL_DIGIT, Token.DIGIT):
                kind = Token.DIGIT
            elif kind == Token.SUFFIX:
                kind = Token.SUFFIX_NO
            else:
                break
            pos = _span(text, start, _DIGITS)
            if pos == start:
                break
            # a dotted number keeps its digits: how it compares depends on a leading zero
            value = text[start:pos] if kind == Token.DIGIT else _number(text[start:pos])
        elif char == "_" and kind <= Token.SUFFIX_NO:
            start = pos + 1
            pos = _span(text, start, _LOWER)
            rank = _SUFFIX_RANK.get(text[start:pos])
            if rank is None:
                break
            kind, value = Token.SUFFIX, rank
        elif char == "~" and kind < Token.COMMIT_HASH:
            start = pos + 1
            pos = _span(text, start, _HEX)
            if pos == start:
                break
            kind, value = Token.COMMIT_HASH, text[start:pos]
        elif char == "-" and kind < Token.REVISION_NO and text.startswith("-r", pos):
            start = pos + 2
            pos = _span(text, start, _DIGITS)
            if pos == start:
                break
            kind, value = Token.REVISION_NO, _number(text[start:pos])
        else:
            break
        found.append((kind, value))
    found.append((Token.INVALID, 0))
    return found


def _key_token(kind: Token, value: int | str) -> KeyToken:
    if kind == Token.SUFFIX and isinstance(value, int) and value < _NO_SUFFIX:
        return (_PRE_SUFFIX_PLACE, value)
    if kind == Token.DIGIT and isinstance(value, str):
        if value.startswith("0"):
            return (_PLACE[kind], (0, value))  # compared as text: below every plain number
        return (_PLACE[kind], (1, _number(value)))
    return (_PLACE[kind], value)


@functools.lru_cache(maxsize=65536)
def key(text: str) -> VersionKey:
    """A sort key that orders versions as apk-tools does (invalid versions included)."""
    return tuple(_key_token(kind, value) for kind, value in tokens(text))


def is_valid(text: str) -> bool:
    """Whether apk-tools accepts the version (its `apk version -c`)."""
    return tokens(text)[-1][0] == Token.END


def compare(left: str, right: str) -> int:
    """Compare two Alpine versions as `apk version -t` does: -1, 0 or 1."""
    a, b = key(left), key(right)
    return (a > b) - (a < b)
