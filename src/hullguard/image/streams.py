"""Byte streams made of chunks: a daemon's `docker save` output, a registry's blob body."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any


class ChunkStream(io.RawIOBase):
    """An iterator of byte chunks as a readable stream; with `size`, a stream of at most that
    many bytes, where more is an OSError naming `what`."""

    def __init__(self, chunks: Iterator[bytes], size: int | None = None, what: str = "") -> None:
        self._chunks = chunks
        self._left = b""
        self._remaining = size
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = chunk
        n = min(len(view), len(self._left))
        if self._remaining is not None:
            if n > self._remaining:
                raise OSError(f"{self._what}: the registry sent more than its descriptor's size")
            self._remaining -= n
        view[:n] = self._left[:n]
        self._left = self._left[n:]
        return n
