"""Alpine package version ordering, as apk-tools orders versions.

Two dialects: apk-tools 3 (Alpine 3.23 and later) and apk-tools 2 (Alpine 3.22 and earlier,
also Wolfi and Chainguard). They agree on every ordinary version and on all of apk-tools' own
comparison vectors; they differ at the edges of the grammar, described below for version 3 and
after that for version 2.

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

apk-tools 2 differs: a letter may be followed by digits (`1.9.5p2`, which version 3 refuses);
there is no commit hash; `-r` alone is revision 0; a number of 18 digits or more is invalid; a
dotted number with leading zeros reads as a marker `-(zeros - 1)` followed by the number, so
`1.05 < 1.1` and `1.00 < 1.0`; a suffix is recognised by its start (`_pre` in `_preview`), and
an unknown suffix sorts like a pre-release. An invalid token there sorts above everything else.
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


class Dialect(enum.Enum):
    """Which apk-tools' ordering to follow."""

    APK_TOOLS_2 = "apk-tools 2"
    APK_TOOLS_3 = "apk-tools 3"


def _key_v3(text: str) -> VersionKey:
    return tuple(_key_token(kind, value) for kind, value in tokens(text))


# ---- apk-tools 2 ---------------------------------------------------------------------------


class Token2(enum.IntEnum):
    """apk-tools 2's token kinds in grammar order (an invalid token first)."""

    INVALID = -1
    DIGIT_OR_ZERO = 0  # a number after a dot, where leading zeros count
    DIGIT = 1
    LETTER = 2
    SUFFIX = 3
    SUFFIX_NO = 4
    REVISION_NO = 5
    END = 6


_MAX_DIGITS_V2: Final = 18
_PRE_VALUE_V2: Final = {name: rank - _NO_SUFFIX for rank, name in enumerate(PRE_RELEASE_SUFFIXES)}
_POST_VALUE_V2: Final = {name: rank for rank, name in enumerate(POST_RELEASE_SUFFIXES)}
# Going back in the grammar is invalid, except for these (previous kind, next kind) steps.
_BACK_STEPS_V2: Final = {
    (Token2.DIGIT, Token2.DIGIT_OR_ZERO),
    (Token2.SUFFIX_NO, Token2.SUFFIX),
    (Token2.LETTER, Token2.DIGIT),
}


def _next_kind_v2(text: str, pos: int, kind: Token2) -> tuple[Token2, int]:
    """The kind of the token that starts at pos, and where its content starts."""
    if pos >= len(text):
        return Token2.END, pos
    char = text[pos]
    if kind in (Token2.DIGIT, Token2.DIGIT_OR_ZERO) and char in _LOWER:
        following = Token2.LETTER
    elif kind == Token2.LETTER and char in _DIGITS:
        following = Token2.DIGIT
    elif kind == Token2.SUFFIX and char in _DIGITS:
        following = Token2.SUFFIX_NO
    else:
        following = Token2.INVALID
        if char == ".":
            following = Token2.DIGIT_OR_ZERO
        elif char == "_":
            following = Token2.SUFFIX
        elif text.startswith("-r", pos):
            following, pos = Token2.REVISION_NO, pos + 1
        pos += 1
    if following < kind and (kind, following) not in _BACK_STEPS_V2:
        following = Token2.INVALID
    return following, pos


def _suffix_v2(text: str, pos: int) -> tuple[int, int] | None:
    """The value of the suffix name starting at pos (matched by its start) and its length."""
    for table in (_PRE_VALUE_V2, _POST_VALUE_V2):
        for name, value in table.items():
            if text.startswith(name, pos):
                return value, len(name)
    return None


def tokens_v2(text: str) -> list[tuple[Token2, int]]:
    """apk-tools 2's tokens of a version: (kind, value) pairs, the last one END or INVALID.

    Every token has a value; one that starts at the end of the text is worth 0.
    """
    found: list[tuple[Token2, int]] = []
    kind, pos = Token2.DIGIT, 0
    while kind not in (Token2.END, Token2.INVALID):
        if pos >= len(text):
            found.append((kind, 0))
            kind = Token2.END
            break
        following: Token2 | None = None
        if kind == Token2.DIGIT_OR_ZERO and text[pos] == "0":
            zeros = 0
            while pos + zeros + 1 < len(text) and text[pos + zeros + 1] == "0":
                zeros += 1
            value, length, following = -zeros, zeros, Token2.DIGIT
        elif kind == Token2.LETTER:
            value, length = ord(text[pos]), 1
        elif kind == Token2.SUFFIX:
            suffix = _suffix_v2(text, pos)
            if suffix is None:
                found.append((kind, -1))
                kind = Token2.INVALID
                break
            value, length = suffix
        else:  # a number: DIGIT, DIGIT_OR_ZERO without a leading zero, SUFFIX_NO, REVISION_NO
            length = _span(text, pos, _DIGITS) - pos
            if length >= _MAX_DIGITS_V2:
                found.append((kind, -1))
                kind = Token2.INVALID
                break
            value = int(text[pos : pos + length]) if length else 0
        found.append((kind, value))
        pos += length
        if pos >= len(text):
            kind = Token2.END
        elif following is not None:
            kind = following
        else:
            kind, pos = _next_kind_v2(text, pos, kind)
    found.append((kind, 0))
    return found


# When the kinds differ: a suffix worth less than 0 (a pre-release or unknown one) lowest, then
# the kinds from the last in the grammar to the first, an invalid token highest.
_PLACE_V2: Final = {kind: 1 + Token2.END - kind for kind in Token2}


def _key_v2(text: str) -> VersionKey:
    return tuple(
        (_PRE_SUFFIX_PLACE if kind == Token2.SUFFIX and value < 0 else _PLACE_V2[kind], value)
        for kind, value in tokens_v2(text)
    )


# ---- both ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def key(text: str, dialect: Dialect = Dialect.APK_TOOLS_3) -> VersionKey:
    """A sort key that orders versions as apk-tools does (invalid versions included)."""
    return _key_v2(text) if dialect is Dialect.APK_TOOLS_2 else _key_v3(text)


def is_valid(text: str, dialect: Dialect = Dialect.APK_TOOLS_3) -> bool:
    """Whether apk-tools accepts the version (its `apk version -c`)."""
    if dialect is Dialect.APK_TOOLS_2:
        return tokens_v2(text)[-1][0] == Token2.END
    return tokens(text)[-1][0] == Token.END


def compare(left: str, right: str, dialect: Dialect = Dialect.APK_TOOLS_3) -> int:
    """Compare two Alpine versions as `apk version -t` does: -1, 0 or 1."""
    a, b = key(left, dialect), key(right, dialect)
    return (a > b) - (a < b)
