"""Renderers: turn the immutable Report into text, JSON, SARIF, HTML, Markdown, JUnit XML or
GitLab Code Quality JSON.

Each format lives in its own module and is imported only when asked for, so that commands which
render nothing (`hullguard --version`) never pay for `rich`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hullguard.model import Report

if TYPE_CHECKING:
    from hullguard.registry import Rule

FORMATS = ("text", "json", "sarif", "html", "markdown", "junit", "gitlab")


def render(
    report: Report,
    fmt: str,
    *,
    color: bool,
    width: int | None = None,
    rules_run: Sequence[Rule] | None = None,
) -> str:
    """Render `report` in `fmt` (one of FORMATS).

    `color` only affects the text format; the caller decides it (terminal, NO_COLOR, --color).
    `width` is the text format's line width: None means the terminal's when stdout is one, else 100.
    `rules_run` (the rules the run selected) gives the junit format its passing test cases;
    None means every registered rule.
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
    if fmt == "html":
        from hullguard.render.html import render_html

        return render_html(report)
    if fmt == "markdown":
        from hullguard.render.markdown import render_markdown

        return render_markdown(report)
    if fmt == "junit":
        from hullguard.render.junit import render_junit

        return render_junit(report, rules_run=rules_run)
    if fmt == "gitlab":
        from hullguard.render.gitlab import render_gitlab

        return render_gitlab(report)
    raise ValueError(f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
