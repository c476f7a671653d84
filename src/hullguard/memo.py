"""Per-object memoisation for derived views of parsed models.

Several rules ask the same question of the same parsed object (which package-manager commands a
RUN holds, what a CMD runs). `by_identity` answers it once per object: results are keyed by the
object's identity and hold the object itself, so an id is never reused while its entry lives.
The cache is bounded; old entries go first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")

_SIZE = 4096


def by_identity(func: Callable[[A], R]) -> Callable[[A], R]:
    cache: dict[int, tuple[A, R]] = {}

    @functools.wraps(func)
    def cached(arg: A) -> R:
        key = id(arg)
        hit = cache.get(key)
        if hit is not None and hit[0] is arg:
            return hit[1]
        result = func(arg)
        if len(cache) >= _SIZE:
            del cache[next(iter(cache))]
        cache[key] = (arg, result)
        return result

    return cached
