"""Click options that more than one command module declares (`hullguard.cli`, `hullguard.cli_db`).

Only click is imported here, so that `hullguard --version` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from hullguard import progress

F = TypeVar("F", bound=Callable[..., Any])


def _quiet_given(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        progress.set_quiet(True)


# `-q` on a subcommand: the same as `hullguard -q` before it (set by the group first, so a
# subcommand's flag only ever turns quiet on).
QUIET_OPTION = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    expose_value=False,
    callback=_quiet_given,
    help="No progress bars and no notes on standard error; the report and errors only.",
)


def format_option(
    choices: Sequence[str], help: str = "Report format.", *, short: bool = False
) -> Callable[[F], F]:
    """`--format` (and `-f` with `short`), handed to the command as `fmt`; text by default."""
    return click.option(
        *(("-f", "--format") if short else ("--format",)),
        "fmt",
        default="text",
        show_default=True,
        type=click.Choice(list(choices)),
        help=help,
    )
