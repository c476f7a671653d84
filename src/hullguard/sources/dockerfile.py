"""Dockerfile source: the whole Dockerfile language parsed into located instructions and stages.

Covers parser directives (`# syntax`, `# escape`, `# check`), line continuations with the chosen
escape character, comments and blank lines inside continuations, heredocs (`<<EOF`, `<<-EOF`,
quoted delimiters, several per instruction), JSON (exec) and shell forms, flags
(`--from`, `--chown`, `--chmod`, `--link`, `--mount`, `--network`, `--security`, `--platform`,
`--checksum`, `--keep-git-dir`, `--exclude`, `--parents`, ...), multi-stage builds with named
stages, `ARG`/`ENV` expansion with `${VAR:-default}`/`${VAR:+alt}` and `--build-arg` overrides,
and `ONBUILD` triggers. The model holds no policy: rules decide what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hullguard.imageref import ImageRef
from hullguard.model import Location
from hullguard.sources.shell import Script

# Instructions that take a JSON array (exec form) when their arguments start with `[`.
EXEC_FORM_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
KNOWN_KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Flag:
    """`--name=value` before an instruction's arguments; `value` is None for a bare `--link`."""

    name: str
    value: str | None
    location: Location


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One `NAME=value` of ENV, ARG or LABEL; `value` is None for `ARG NAME` with no default.

    `value` has its quotes and escapes removed and the variables in scope expanded.
    """

    key: str
    value: str | None
    location: Location


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A here-document's body; `location.line` is its first body line."""

    delimiter: str
    content: str
    location: Location
    strip_tabs: bool  # `<<-EOF`
    quoted: bool  # `<<'EOF'` / `<<"EOF"`: no expansion


@dataclass(frozen=True)
class Instruction:
    """One instruction, with continuations joined and comments inside them dropped.

    `value` is the argument text after the flags, continuations joined as BuildKit joins them
    (escape character and line break removed, the whitespace around them kept; heredoc bodies are
    not part of it). `expanded` is `value` with the ARG/ENV variables in scope substituted
    (unknown variables are left as written). `exec_form` is the parsed JSON array, if the
    instruction used one. `pairs` holds the `KEY=value` items of ENV, ARG and LABEL. `script` is
    the parsed shell of a RUN in shell form (or of its heredoc bodies); for an exec-form RUN it
    holds one command built from the array (or the parsed string of `["sh", "-c", "..."]`). It is
    None when the stage's SHELL is not a POSIX shell or a heredoc's shebang names another
    interpreter. `location` spans from the keyword to the end of the last line (heredocs
    included).
    """

    keyword: str
    value: str
    expanded: str
    location: Location
    stage: int  # index of the stage it belongs to; -1 before the first FROM
    flags: tuple[Flag, ...] = ()
    exec_form: tuple[str, ...] | None = None
    pairs: tuple[KeyValue, ...] = ()
    heredocs: tuple[Heredoc, ...] = ()
    script: Script | None = None
    trigger: Instruction | None = None  # ONBUILD's instruction

    @property
    def line(self) -> int:
        assert self.location.line is not None
        return self.location.line

    def flag(self, name: str) -> Flag | None:
        for flag in self.flags:
            if flag.name == name:
                return flag
        return None

    def flag_values(self, name: str) -> list[str]:
        return [f.value for f in self.flags if f.name == name and f.value is not None]

    @property
    def arguments(self) -> tuple[str, ...]:
        """The arguments as a list: the exec form, or `expanded` split on whitespace."""
        if self.exec_form is not None:
            return self.exec_form
        return tuple(self.expanded.split())


@dataclass(frozen=True)
class Stage:
    """A build stage, from its FROM up to the next FROM.

    `base` is the FROM argument with global ARGs expanded. `base_ref` is None for `scratch`, for a
    reference to an earlier stage (then `base_stage` is that stage's index) and for a base that
    still holds an unresolved variable (`base_unresolved`). `in_final_image` is true for the
    final stage and for every stage the final one is built FROM, directly or through others:
    what those stages do ends up in the shipped image; other stages are builders.
    """

    index: int
    name: str | None
    base: str
    base_ref: ImageRef | None
    base_stage: int | None
    base_unresolved: bool
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]
    is_final: bool
    in_final_image: bool

    @property
    def platform(self) -> str | None:
        flag = self.from_instruction.flag("platform")
        return flag.value if flag else None

    def each(self, *keywords: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword in keywords]

    @property
    def label(self) -> str:
        return f"stage `{self.name}`" if self.name else f"stage {self.index}"


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str
    line: int
    column: int = 1


@dataclass(frozen=True)
class Dockerfile:
    path: str
    lines: tuple[str, ...]  # the source lines, without line endings
    directives: Mapping[str, str]  # lower-case name -> value: syntax, escape, check
    instructions: tuple[Instruction, ...]  # every instruction in order, ARGs before FROM included
    stages: tuple[Stage, ...]
    errors: tuple[ParseError, ...] = ()

    @property
    def global_args(self) -> list[Instruction]:
        return [i for i in self.instructions if i.stage == -1 and i.keyword == "ARG"]

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_named(self, name: str) -> Stage | None:
        wanted = name.lower()
        for stage in self.stages:
            if stage.name == wanted:
                return stage
        return None

    def shipped_instructions(self, *keywords: str) -> list[Instruction]:
        """Instructions of the stages that end up in the final image."""
        return [
            i
            for stage in self.stages
            if stage.in_final_image
            for i in stage.instructions
            if not keywords or i.keyword in keywords
        ]


def parse_dockerfile(
    text: str, path: str, build_args: Mapping[str, str] | None = None
) -> Dockerfile:
    """Parse a whole Dockerfile. Never raises on bad input: problems land in `errors`."""
    from hullguard.sources._dockerfile_parser import parse

    return parse(text, path, dict(build_args or {}))
