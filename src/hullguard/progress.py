"""Terminal manners: progress bars for long work, `--quiet`, and whether to use colour.

Bars are drawn on standard error, and only when it is a terminal (not TERM=dumb) and `--quiet`
was not given; otherwise every call is a cheap no-op and `rich` is not even imported.

    with progress("Downloading PyPI/all.zip", total=size, unit="bytes") as bar:
        for chunk in chunks:
            bar.advance(len(chunk))

Colour follows https://no-color.org: NO_COLOR set to a non-empty value turns it off, and an
explicit `--color` (see `set_color`) turns it back on; FORCE_COLOR set to a non-empty value turns
it on where nothing else decided.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, Protocol

_quiet = False
_color: bool | None = None  # `--color` / `--no-color`; None: decided by the environment
_drawing = False  # a bar is on the screen


def set_quiet(quiet: bool) -> None:
    """`--quiet`: no progress bars and no notes on standard error, only the report and errors."""
    global _quiet
    _quiet = quiet


def is_quiet() -> bool:
    return _quiet


def set_color(flag: bool | None) -> None:
    """The `--color/--no-color` choice of this run (None: not given)."""
    global _color
    _color = flag


def color_wanted(stream: IO[Any] | None, flag: bool | None = None) -> bool:
    """Whether output to `stream` is coloured: the explicit flag (`flag`, else `set_color`'s),
    else not when NO_COLOR is non-empty, else yes when FORCE_COLOR is non-empty, else whether
    `stream` is a terminal (None: a file, never coloured by default)."""
    chosen = flag if flag is not None else _color
    if chosen is not None:
        return chosen
    if os.environ.get("NO_COLOR"):
        return False
    if stream is None:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(stream)


def _isatty(stream: IO[Any]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def enabled() -> bool:
    """Whether bars are drawn: standard error is a terminal, not `--quiet`, not TERM=dumb."""
    if _quiet or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(sys.stderr)


class Bar(Protocol):
    def advance(self, amount: float = 1) -> None: ...

    def update(self, *, total: float | None = None, description: str | None = None) -> None: ...


class _Silent:
    def advance(self, amount: float = 1) -> None:
        pass

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        pass


class _Rich:
    def __init__(self, progress: Any, task: Any, total: float | None) -> None:
        self._progress = progress
        self._task = task
        self._total = total
        self._done = 0.0

    def advance(self, amount: float = 1) -> None:
        self._done += amount
        if self._total is not None and self._done > self._total:
            # an estimate (a `docker save` stream's size) was short: grow rather than overflow
            self._total = self._done
            self._progress.update(self._task, total=self._total)
        self._progress.advance(self._task, amount)

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        changes: dict[str, Any] = {}
        if total is not None:
            changes["total"] = self._total = total
        if description is not None:
            changes["description"] = description
        self._progress.update(self._task, **changes)


@contextmanager
def progress(
    description: str, total: float | None = None, *, unit: str = "", minimum: float = 0
) -> Iterator[Bar]:
    """A bar for one piece of work; `unit="bytes"` shows sizes and speed, another unit counts
    items. With `minimum`, work with a known total below it gets no bar (small trees)."""
    global _drawing
    if _drawing or not enabled() or (total is not None and total < minimum):
        yield _Silent()  # a bar inside another's work is not drawn: one live display at a time
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    if unit == "bytes":
        columns += [DownloadColumn(), TransferSpeedColumn()]
    else:
        columns += [MofNCompleteColumn()]
        if unit:
            columns.append(TextColumn(unit))
    columns.append(TimeRemainingColumn())
    console = Console(stderr=True, no_color=not color_wanted(sys.stderr))
    # standard output stays untouched: a report written while a bar runs must not land on
    # standard error
    _drawing = True
    try:
        with Progress(
            *columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=True
        ) as bar:
            task = bar.add_task(description, total=total)
            yield _Rich(bar, task, total)
    finally:
        _drawing = False


def counted(chunks: Iterable[bytes], bar: Bar) -> Iterator[bytes]:
    """The chunks unchanged, advancing `bar` by each one's length (no wrapper without a bar)."""
    if isinstance(bar, _Silent):
        return iter(chunks)
    return _counted(chunks, bar)


def _counted(chunks: Iterable[bytes], bar: Bar) -> Iterator[bytes]:
    for chunk in chunks:
        bar.advance(len(chunk))
        yield chunk


def reading(stream: IO[bytes], bar: Bar) -> IO[bytes]:
    """`stream`, advancing `bar` by the bytes read from it (the stream itself without a bar)."""
    if isinstance(bar, _Silent):
        return stream
    return io.BufferedReader(_CountingReader(stream, bar), _READ_BUFFER)


_READ_BUFFER = 1024 * 1024


class _CountingReader(io.RawIOBase):
    def __init__(self, stream: IO[bytes], bar: Bar) -> None:
        self._stream = stream
        self._bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))
        count = len(data)
        view[:count] = data
        if count:
            self._bar.advance(count)
        return count


def note(message: str) -> None:
    """A line of information on standard error (not an error), unless `--quiet`."""
    if not _quiet:
        print(f"hullguard: {message}", file=sys.stderr)
