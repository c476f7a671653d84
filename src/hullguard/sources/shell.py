"""Shell source: a RUN instruction or a script parsed once into commands with arguments.

Parsed with tree-sitter-bash, which tolerates every construct real Dockerfiles throw at it.
`sh -c "..."`/`bash -c '...'` strings are parsed in turn and their commands added, and commands
run through wrappers (`sudo`, `env`, `nice`, `xargs`, `time`, `exec`, ...) are added a second time
unwrapped, marked with `wrapped_by`, so a rule looking for `apt-get` sees `sudo apt-get install`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Word:
    """One argument: `text` is its value with quotes removed (expansions kept literally)."""

    text: str
    raw: str
    line: int  # 1-based line in the file that holds the script
    column: int  # 1-based


@dataclass(frozen=True, slots=True)
class Command:
    """A simple command: `name` is the basename of argv[0] (`/usr/bin/apt-get` -> `apt-get`)."""

    name: str
    words: tuple[Word, ...]  # argv[0] first
    assignments: tuple[str, ...]  # `VAR=value` prefixes, as written
    line: int
    column: int
    end_line: int
    end_column: int
    pipeline: int  # index of the pipeline this command belongs to, unique within the script
    pipe_position: int  # 0 for the first command of a pipeline, 1 for the one reading its output...
    background: bool = False  # ended by `&`
    wrapped_by: str | None = None  # `sudo` when this is the command that `sudo` runs
    nested: bool = False  # found inside an `sh -c` string or a command substitution

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(w.text for w in self.words)

    @property
    def args(self) -> tuple[str, ...]:
        """The arguments after the command name."""
        return tuple(w.text for w in self.words[1:])


@dataclass(frozen=True, slots=True)
class ShellError:
    message: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Script:
    commands: tuple[Command, ...]
    errors: tuple[ShellError, ...] = ()

    def named(self, *names: str) -> list[Command]:
        return [c for c in self.commands if c.name in names]

    def pipelines(self) -> list[tuple[Command, ...]]:
        """Commands grouped by pipeline, each group in pipe order, only groups of two or more."""
        groups: dict[int, list[Command]] = {}
        for command in self.commands:
            if command.wrapped_by is None:
                groups.setdefault(command.pipeline, []).append(command)
        return [
            tuple(sorted(g, key=lambda c: c.pipe_position)) for g in groups.values() if len(g) > 1
        ]


def parse_script(text: str, *, line: int = 1, column: int = 1) -> Script:
    """Parse `text`, which starts at (`line`, `column`) of its file, into commands."""
    from hullguard.sources._shell_parser import parse

    return parse(text, line=line, column=column)
