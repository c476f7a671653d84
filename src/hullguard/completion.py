"""Shell completion: the scripts `hullguard completion SHELL` prints, and rule ids and names
offered where a command takes rules (`explain`, `--select`, `--ignore`).

The scripts are click's: the shell runs `hullguard` again with `_HULLGUARD_COMPLETE` set
(`bash_complete`, `zsh_complete`, `fish_complete`) and the words typed so far, and click answers
with subcommands, options, choices (formats, profiles), paths, and what the callbacks here give.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "hullguard"
COMPLETE_VAR = "_HULLGUARD_COMPLETE"


def completion_script(command: click.Command, shell: str) -> str:
    """The script that makes `shell` complete `hullguard`: source it, or install it (README)."""
    from click.shell_completion import get_completion_class

    completion_class = get_completion_class(shell)
    if completion_class is None:
        raise ValueError(f"no completion for shell {shell!r}; one of {', '.join(SHELLS)}")
    return completion_class(command, {}, PROG_NAME, COMPLETE_VAR).source()


def _rule_items(incomplete: str) -> list[CompletionItem]:
    """Rule ids starting with `incomplete` (any case), with the rule's name as help; or, for
    text that is no id prefix, the rule names starting with it."""
    from click.shell_completion import CompletionItem

    from hullguard.registry import all_rules

    rules = all_rules()
    wanted = incomplete.upper()
    if not incomplete or "HG".startswith(wanted) or wanted.startswith("HG"):
        return [CompletionItem(r.id, help=r.name) for r in rules if r.id.startswith(wanted)]
    return [CompletionItem(r.name, help=r.id) for r in rules if r.name.startswith(incomplete)]


def complete_rule(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """One rule, by id or name (`hullguard explain`)."""
    return _rule_items(incomplete)


def complete_rule_list(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The last rule of a comma list (`--select HG201,HG3`): the earlier ones are kept."""
    from click.shell_completion import CompletionItem

    done, comma, last = incomplete.rpartition(",")
    prefix = done + comma
    return [
        CompletionItem(prefix + item.value, help=item.help) for item in _rule_items(last.strip())
    ]
