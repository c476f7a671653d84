"""Progress bars for long work (registry pulls, database updates, large trees).

Shown on standard error, and only when it is a terminal and `--quiet` was not given; otherwise
every call is a cheap no-op. `rich` is imported only when a bar is really drawn.

    with progress("Downloading PyPI/all.zip", total=size, unit="bytes") as bar:
        for chunk in chunks:
            bar.advance(len(chunk))
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

_quiet = False


def set_quiet(quiet: bool) -> None:
    """`--quiet`: no progress bars and no notes on standard error, only the report and errors."""
    global _quiet
    _quiet = quiet


def is_quiet() -> bool:
    return _quiet


def enabled() -> bool:
    """Whether bars are drawn: standard error is a terminal, not `--quiet`, not TERM=dumb."""
    if _quiet or os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Bar(Protocol):
    def advance(self, amount: float = 1) -> None: ...

    def update(self, *, total: float | None = None, description: str | None = None) -> None: ...


class _Silent:
    def advance(self, amount: float = 1) -> None:
        pass

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        pass


class _Rich:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: float = 1) -> None:
        self._progress.advance(self._task, amount)

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        changes: dict[str, Any] = {}
        if total is not None:
            changes["total"] = total
        if description is not None:
            changes["description"] = description
        self._progress.update(self._task, **changes)


@contextmanager
def progress(description: str, total: float | None = None, *, unit: str = "") -> Iterator[Bar]:
    """A bar for one piece of work; `unit="bytes"` shows sizes and speed."""
    if not enabled():
        yield _Silent()
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
    columns.append(TimeRemainingColumn())
    console = Console(stderr=True, no_color="NO_COLOR" in os.environ)
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield _Rich(bar, task)


def note(message: str) -> None:
    """A line of information on standard error (not an error), unless `--quiet`."""
    if not _quiet:
        print(f"hullguard: {message}", file=sys.stderr)
