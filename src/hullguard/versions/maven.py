"""Maven version ordering, as Maven's `ComparableVersion` orders versions.

A version is lower-cased and read into a list of items: numbers, qualifiers (words) and
sub-lists. `.` separates items of the current list; `-` and every change between digits and
letters start a sub-list nested in the current one (`1.0-rc1` reads `[1, [rc, [1]]]`). An
empty item counts as 0. Trailing "null" items (0, the empty qualifier, empty lists) are
dropped from each list, also those before a trailing sub-list (`1.0-1` reads `[1, [1]]`).

Qualifiers order as `alpha < beta < milestone < rc < snapshot < "" < sp`, with the aliases
`a`, `b`, `m` (only directly followed by a digit), `cr = rc`, `ga = final = ""`; any other word
sorts after them all, alphabetically. Comparing items of different kinds: a number beats a
sub-list, which beats a qualifier. A missing item (one list is shorter) compares like 0 with a
number, like `""` with a qualifier, and with a sub-list like that sub-list's first item.
"""

from __future__ import annotations

import functools
from typing import Final, Union

# An item: a number, a qualifier (its rank and, if unknown, its text), or a sub-list.
Qualifier = tuple[int, str]
Item = Union[int, Qualifier, "Items"]
Items = list[Item]

_QUALIFIERS: Final = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_RELEASE: Final = _QUALIFIERS.index("")
_UNKNOWN: Final = len(_QUALIFIERS)
_ALIASES: Final = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT: Final = {"a": "alpha", "b": "beta", "m": "milestone"}

_NUMBER, _QUALIFIER, _LIST = 2, 0, 1  # the order of kinds: qualifier < sub-list < number


def _qualifier(word: str, followed_by_digit: bool) -> Qualifier:
    if followed_by_digit and word in _SHORT:
        word = _SHORT[word]
    word = _ALIASES.get(word, word)
    if word in _QUALIFIERS:
        return (_QUALIFIERS.index(word), "")
    return (_UNKNOWN, word)


def _item(text: str, digits: bool) -> Item:
    return int(text) if digits else _qualifier(text, followed_by_digit=False)


def _is_null(item: Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, tuple):
        return item == (_RELEASE, "")
    return not item


def _normalize(items: Items) -> None:
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if _is_null(item):
            del items[index]
        elif not isinstance(item, list):
            break


def parse(version: str) -> Items:
    """The item list of a version, as ComparableVersion reads it."""
    text = version.lower()
    root: Items = []
    current = root
    lists = [root]
    digits = False
    start = 0

    def open_list() -> None:
        nonlocal current
        sub: Items = []
        current.append(sub)
        current = sub
        lists.append(sub)

    for index, char in enumerate(text):
        if char in ".-":
            current.append(0 if index == start else _item(text[start:index], digits))
            start = index + 1
            if char == "-":
                open_list()
        elif char.isdecimal():
            if not digits and index > start:
                if current:
                    open_list()
                current.append(_qualifier(text[start:index], followed_by_digit=True))
                start = index
                open_list()
            digits = True
        else:
            if digits and index > start:
                current.append(int(text[start:index]))
                start = index
                open_list()
            digits = False
    if len(text) > start:
        if not digits and current:
            open_list()
        current.append(_item(text[start:], digits))
    for items in reversed(lists):
        _normalize(items)
    return root


def _kind(item: Item) -> int:
    if isinstance(item, int):
        return _NUMBER
    if isinstance(item, tuple):
        return _QUALIFIER
    return _LIST


def _against_missing(item: Item) -> int:
    """How an item compares with a missing one."""
    if isinstance(item, int):
        return 1 if item else 0
    if isinstance(item, tuple):
        return (item > (_RELEASE, "")) - (item < (_RELEASE, ""))
    return next((result for sub in item if (result := _against_missing(sub))), 0)


def _compare_items(left: Item, right: Item) -> int:
    kind, other = _kind(left), _kind(right)
    if kind != other:
        return 1 if kind > other else -1
    if isinstance(left, list) and isinstance(right, list):
        return _compare_lists(left, right)
    return (left > right) - (left < right)  # type: ignore[operator]


def _compare_lists(left: Items, right: Items) -> int:
    for index in range(max(len(left), len(right))):
        if index >= len(left):
            result = -_against_missing(right[index])
        elif index >= len(right):
            result = _against_missing(left[index])
        else:
            result = _compare_items(left[index], right[index])
        if result:
            return result
    return 0


@functools.total_ordering
class MavenVersion:
    """A parsed version; instances order as ComparableVersion orders them."""

    __slots__ = ("items", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.items = parse(text)

    def compare(self, other: MavenVersion) -> int:
        return _compare_lists(self.items, other.items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenVersion):
            return NotImplemented
        return self.compare(other) == 0

    def __lt__(self, other: MavenVersion) -> bool:
        return self.compare(other) < 0

    def __repr__(self) -> str:
        return f"MavenVersion({self.text!r})"


def canonical(items: Items) -> str:
    """The canonical form ComparableVersion prints: `1-rc-1` for `1.0-RC1`."""
    text = ""
    for item in items:
        if text:  # an empty qualifier first adds nothing, not even the separator after it
            text += "-" if isinstance(item, list) else "."
        if isinstance(item, int):
            text += str(item)
        elif isinstance(item, tuple):
            text += _QUALIFIERS[item[0]] if item[0] < _UNKNOWN else item[1]
        else:
            text += canonical(item)
    return text


@functools.lru_cache(maxsize=65536)
def key(text: str) -> MavenVersion:
    """A sort key: the parsed version, cached."""
    return MavenVersion(text)


def compare(left: str, right: str) -> int:
    """Compare two Maven versions as ComparableVersion does: -1, 0 or 1."""
    return key(left).compare(key(right))
