"""Renderers: turn the immutable Report into text, JSON or SARIF.

Each format lives in its own module and is imported only when asked for, so that commands which
render nothing (`hullguard --version`) never pay for `rich`.
"""

from __future__ import annotations

from hullguard.model import Report

FORMATS = ("text", "json", "sarif")


def render(report: Report, fmt: str, *, color: bool, width: int | None = None) -> str:
    """Render `report` in `fmt` (one of FORMATS).

    `color` only affects the text format; the caller decides it (terminal, NO_COLOR, --color).
    `width` is the text format's line width: None means the terminal's when stdout is one, else 100.
    """
    if fmt == "text":
        from hullguard.render.text import render_text

        return render_text(report, color=color, width=width)
    if fmt == "json":
        from hullguard.render.json import render_json

        return render_json(report)
    if fmt == "sarif":
        from hullguard.render.sarif import render_sarif

        return render_sarif(report)
    raise ValueError(f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
