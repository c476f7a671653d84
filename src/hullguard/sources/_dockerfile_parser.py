"""The Dockerfile parser behind `hullguard.sources.dockerfile.parse_dockerfile`.

One pass over the lines, linear in the size of the file. Each instruction's continuation lines
are joined into one logical line, and a line map records, for each joined piece, the file line
and column it came from; the map travels with the text to the shell parser, so commands of a
multi-line RUN keep their exact positions even when comment lines were dropped in between.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from hullguard.imageref import ImageRef, ImageRefError, parse_image_ref
from hullguard.model import Location
from hullguard.sources import _shell_parser
from hullguard.sources.dockerfile import (
    EXEC_FORM_KEYWORDS,
    KNOWN_KEYWORDS,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    KeyValue,
    ParseError,
    Stage,
)
from hullguard.sources.shell import Command, Script, ShellError

DIRECTIVES = frozenset({"syntax", "escape", "check"})
MAX_ERRORS = 1000  # per file
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
# Keywords whose arguments get more than the text: exec form, pairs, a script, a trigger, checks.
_BY_KEYWORD = EXEC_FORM_KEYWORDS | {"ENV", "LABEL", "ARG", "ONBUILD"}
# Instructions whose arguments Docker never expands (ONBUILD's run in another build).
_NOT_EXPANDED = frozenset({"ONBUILD", "HEALTHCHECK", "MAINTAINER"})
# Instructions whose variables the builder itself substitutes, from the ARGs and ENVs in scope
# and the base image's environment. Built FROM scratch, a variable not in scope is unset (empty),
# as in the built image; on another base it may come from the base image's ENV, which a source
# tree does not show, so it stays as written. RUN, CMD and ENTRYPOINT are left to the shell at
# run time: there an unknown variable always stays as written.
_BUILDER_EXPANDED = frozenset(
    {"ADD", "ARG", "COPY", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)
_SHELL_METACHARACTERS = frozenset("><|;&)(")

Scope = Mapping[str, str | None]


# -- lines and positions ---------------------------------------------------------------------


def _split_lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.lstrip()
    return not stripped or stripped[0] == "#"


def _directive(line: str) -> tuple[str, str] | None:
    stripped = line.strip()
    if not stripped.startswith("#"):
        return None
    rest = stripped[1:].lstrip()
    eq = rest.find("=")
    if eq <= 0:
        return None
    name = rest[:eq].rstrip()
    value = rest[eq + 1 :].strip()
    if not value or not name.isascii() or not name.isalnum() or not name[0].isalpha():
        return None
    return name.lower(), value


@dataclass(slots=True)
class _Logical:
    """One instruction's joined text and where its pieces came from."""

    text: str
    segments: list[tuple[int, int, int]]  # (offset in text, file line, file column)
    last_line: int  # 1-based line of the last physical line consumed

    def at(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.segments)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.segments[mid][0] <= offset:
                lo = mid
            else:
                hi = mid
        start, line, column = self.segments[lo]
        return line, column + offset - start

    def map_from(self, offset: int) -> list[tuple[int, int, int]]:
        """The segments for `text[offset:]`, offsets rebased to 0."""
        line, column = self.at(offset)
        entries = [(0, line, column)]
        entries.extend((s - offset, ln, col) for s, ln, col in self.segments if s > offset)
        return entries


# -- word scanning and expansion ---------------------------------------------------------------


def _word_pattern(escape: str) -> re.Pattern[str]:
    """A word: unquoted runs, escaped characters and quoted strings (possibly unterminated).
    Possessive quantifiers: matching never backtracks, so it is linear."""
    e = re.escape(escape)
    return re.compile(
        rf"""(?:[^\s'"{e}]++|{e}.?|'[^']*+'?|"(?:[^"{e}]++|{e}.?)*+"?)++""", re.DOTALL
    )


_WORD_PATTERNS = {escape: _word_pattern(escape) for escape in ("\\", "`")}
_NON_SPACE = re.compile(r"\S*+")
_SPACE = re.compile(r"\s*+")


def _words(text: str, start: int, escape: str) -> list[tuple[int, int]]:
    """Whitespace-separated words of `text[start:]`, quotes respected: (start, end) offsets."""
    return [m.span() for m in _WORD_PATTERNS[escape].finditer(text, start)]


def _iter_words(text: str, start: int, escape: str) -> Iterator[tuple[int, int]]:
    return (m.span() for m in _WORD_PATTERNS[escape].finditer(text, start))


class _Expander:
    """Docker's word processing: `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`,
    `${VAR+x}`, quotes and the escape character. Unknown variables stay as written.

    `closed` treats every variable not in scope as unset for `${VAR:-x}` and the like (FROM
    lines: Docker knows all of them); `unset_is_empty` also makes a plain `$VAR` not in scope
    empty, as the builder does for the instructions it expands. A name declared without a value
    (an ARG whose value comes at build time) stays as written: its value is unknown.
    """

    __slots__ = ("closed", "depth", "escape", "scope", "unquote", "unset_is_empty")

    def __init__(
        self,
        scope: Scope,
        escape: str,
        *,
        unquote: bool,
        closed: bool = False,
        unset_is_empty: bool = False,
    ) -> None:
        self.scope = scope
        self.escape = escape
        self.unquote = unquote
        self.closed = closed or unset_is_empty
        self.unset_is_empty = unset_is_empty
        self.depth = 0  # `${A:-${B:-...}}` nesting

    def run(self, text: str) -> str:
        if "$" not in text and (
            not self.unquote or ("'" not in text and '"' not in text and self.escape not in text)
        ):
            return text
        out, _ = self._word(text, 0, len(text), in_braces=False)
        return out

    def _word(self, text: str, i: int, n: int, *, in_braces: bool) -> tuple[str, int]:
        out: list[str] = []
        quote = ""
        escape = self.escape
        while i < n:
            char = text[i]
            if char == escape and quote != "'" and i + 1 < n:
                following = text[i + 1]
                if not self.unquote or (quote == '"' and following not in ('"', "$", escape)):
                    out.append(char + following)
                else:
                    out.append(following)
                i += 2
                continue
            if char == "'" and quote != '"':
                quote = "" if quote == "'" else "'"
                if not self.unquote:
                    out.append(char)
                i += 1
                continue
            if char == '"' and quote != "'":
                quote = "" if quote == '"' else '"'
                if not self.unquote:
                    out.append(char)
                i += 1
                continue
            if char == "}" and in_braces and not quote:
                return "".join(out), i
            if char == "$" and quote != "'":
                value, i = self._variable(text, i, n)
                out.append(value)
                continue
            out.append(char)
            i += 1
        return "".join(out), i

    def _variable(self, text: str, i: int, n: int) -> tuple[str, int]:
        """Expand the reference at `text[i] == "$"`; return the value and the next index."""
        start = i
        i += 1
        if i < n and text[i] == "{":
            j = i + 1
            name_end = _name_end(text, j, n)
            if name_end == j:
                end = _closing_brace(text, i, n)
                return text[start:end], end
            name = text[j:name_end]
            if name_end < n and text[name_end] == "}":
                return self._lookup(name, text[start : name_end + 1]), name_end + 1
            operator = ""
            if text.startswith((":-", ":+"), name_end):
                operator = text[name_end : name_end + 2]
            elif name_end < n and text[name_end] in "-+":
                operator = text[name_end]
            if not operator or self.depth >= _MAX_NESTING:
                end = _closing_brace(text, i, n)
                return text[start:end], end
            self.depth += 1
            word, end = self._word(text, name_end + len(operator), n, in_braces=True)
            self.depth -= 1
            if end >= n:  # no closing brace: not an expansion
                return text[start:], n
            end += 1
            raw = text[start:end]
            return self._modified(name, operator, word, raw), end
        name_end = _name_end(text, i, n)
        if name_end == i:
            return "$", i
        return self._lookup(text[i:name_end], text[start:name_end]), name_end

    def _lookup(self, name: str, raw: str) -> str:
        value = self.scope.get(name)
        if value is not None:
            return value
        return "" if self.unset_is_empty and name not in self.scope else raw

    def _modified(self, name: str, operator: str, word: str, raw: str) -> str:
        if name in self.scope or self.closed:
            value = self.scope.get(name)
        else:
            return raw
        if operator == ":-":
            return value if value else word
        if operator == "-":
            return word if value is None else value
        if operator == ":+":
            return word if value else ""
        return "" if value is None else word


def _knows_all(stage: _StageBuilder | None) -> bool:
    """Whether every variable of `stage` is in its scope (no base image environment)."""
    return stage is not None and stage.from_scratch


_MAX_NESTING = 32  # deeper `${A:-${B:-...}}` stays as written


def _name_end(text: str, i: int, n: int) -> int:
    if i < n and (text[i].isalpha() or text[i] == "_") and text[i].isascii():
        i += 1
        while i < n and (text[i].isalnum() or text[i] == "_") and text[i].isascii():
            i += 1
    return i


def _closing_brace(text: str, i: int, n: int) -> int:
    """Index just past the `}` closing the `{` at `i` (or `n`)."""
    end = text.find("}", i)
    return n if end == -1 else end + 1


# -- the parser ------------------------------------------------------------------------------


@dataclass
class _StageBuilder:
    index: int
    name: str | None
    base: str
    base_ref: ImageRef | None
    base_stage: int | None
    base_unresolved: bool
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)
    scope: dict[str, str | None] = field(default_factory=dict)
    env_names: set[str] = field(default_factory=set)
    posix_shell: bool = True
    from_scratch: bool = False  # the stage chain starts FROM scratch: no inherited environment


class _Parser:
    def __init__(self, text: str, path: str, build_args: dict[str, str]) -> None:
        self.path = path
        self.build_args = build_args
        self.lines = _split_lines(text)
        self.errors: list[ParseError] = []
        self.directives: dict[str, str] = {}
        self.escape = "\\"
        self.instructions: list[Instruction] = []
        self.stages: list[_StageBuilder] = []
        self.global_scope: dict[str, str | None] = {}
        self.stage_names: dict[str, int] = {}

    def error(self, message: str, line: int, column: int = 1) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(ParseError(message, line, column))
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append(ParseError("too many errors: the rest are not reported", line))

    def location(self, line: int, column: int, end_line: int, end_column: int) -> Location:
        return Location(
            path=self.path, line=line, column=column, end_line=end_line, end_column=end_column
        )

    # -- top level -----------------------------------------------------------------------------

    def run(self) -> Dockerfile:
        self.read_directives()
        lines = self.lines
        i = 0
        n = len(lines)
        while i < n:
            if _is_blank_or_comment(lines[i]):
                i += 1
                continue
            logical = self.join(i)
            i = logical.last_line
            if not logical.text:
                continue
            heredocs: list[tuple[Heredoc, int]] = []
            keyword = _keyword(logical.text)
            if keyword == "ONBUILD":
                rest = logical.text[len(keyword) :].lstrip()
                inner = _keyword(rest)
                if inner in HEREDOC_KEYWORDS:
                    heredocs, i = self.read_heredocs(logical, i)
            elif keyword in HEREDOC_KEYWORDS:
                heredocs, i = self.read_heredocs(logical, i)
            self.add(logical, heredocs, end_line=i)
        if not self.instructions:
            self.error("empty Dockerfile: no instructions", 1)
        elif not self.stages:
            self.error("no FROM instruction: a Dockerfile needs a base image", 1)
        return Dockerfile(
            path=self.path,
            lines=tuple(self.lines),
            directives=dict(self.directives),
            instructions=tuple(self.instructions),
            stages=self.finish_stages(),
            errors=tuple(sorted(self.errors, key=lambda e: (e.line, e.column))),
        )

    def read_directives(self) -> None:
        for number, line in enumerate(self.lines, start=1):
            found = _directive(line)
            if found is None or found[0] not in DIRECTIVES:
                return
            name, value = found
            if name in self.directives:
                self.error(f"only one `{name}` parser directive may be used", number)
                continue
            if name == "escape":
                if value not in ("\\", "`"):
                    self.error(f"invalid escape character {value!r}: must be ` or \\", number)
                    continue
                self.escape = value
            self.directives[name] = value

    def join(self, first: int) -> _Logical:
        """Join the instruction starting at line index `first` with its continuation lines."""
        lines = self.lines
        n = len(lines)
        escape = self.escape
        raw = lines[first]
        body = raw.lstrip()
        column = len(raw) - len(body) + 1
        pieces: list[str] = []
        segments: list[tuple[int, int, int]] = []
        length = 0
        i = first
        while True:
            trimmed = body.rstrip()
            continued = trimmed.endswith(escape)
            trimmed = trimmed[:-1] if continued else body
            segments.append((length, i + 1, column))
            pieces.append(trimmed)
            length += len(trimmed)
            last = i
            if not continued:
                break
            i += 1
            while i < n and _is_blank_or_comment(lines[i]):
                i += 1
            if i >= n:
                break
            body = lines[i]
            column = 1
        text = "".join(pieces).rstrip()
        return _Logical(text, segments, last + 1)

    def read_heredocs(
        self, logical: _Logical, next_index: int
    ) -> tuple[list[tuple[Heredoc, int]], int]:
        """Read the bodies of the `<<EOF` markers of `logical`, starting at line index
        `next_index`; return each heredoc with the line index of its first body line."""
        text = logical.text
        if "<<" not in text:
            return [], next_index
        found: list[tuple[Heredoc, int]] = []
        lines = self.lines
        n = len(lines)
        i = next_index
        for begin, end in _words(text, 0, self.escape):
            marker = _heredoc_marker(text[begin:end])
            if marker is None:
                continue
            delimiter, strip_tabs, quoted = marker.delimiter, marker.strip_tabs, marker.quoted
            first = i
            body: list[str] = []
            terminated = False
            while i < n:
                line = lines[i]
                i += 1
                candidate = line.lstrip("\t") if strip_tabs else line
                if candidate == delimiter:
                    terminated = True
                    break
                body.append(candidate)
            if not terminated:
                line_no, column = logical.at(begin)
                self.error(f"unterminated heredoc `{delimiter}`", line_no, column)
            content = "".join(part + "\n" for part in body)
            last = i if i > first else first + 1
            end_text = lines[last - 1] if last <= n else ""
            heredoc = Heredoc(
                delimiter=delimiter,
                content=content,
                location=self.location(first + 1, 1, last, len(end_text) + 1),
                strip_tabs=strip_tabs,
                quoted=quoted,
            )
            found.append((heredoc, first))
        return found, i

    # -- instructions --------------------------------------------------------------------------

    def add(self, logical: _Logical, heredocs: list[tuple[Heredoc, int]], end_line: int) -> None:
        stage = self.stages[-1] if self.stages else None
        end_line = max(end_line, logical.last_line)
        end_text = self.lines[end_line - 1] if 0 < end_line <= len(self.lines) else ""
        instruction = self.build(
            logical, 0, heredocs, stage, end=(end_line, len(end_text) + 1), nested=False
        )
        keyword = instruction.keyword
        if keyword == "FROM":
            stage = self.start_stage(instruction)
            instruction = replace(instruction, stage=stage.index)
        elif stage is None and keyword != "ARG":
            self.error(
                f"{keyword} before the first FROM: only ARG may come before FROM",
                instruction.line,
                instruction.location.column or 1,
            )
        self.instructions.append(instruction)
        if stage is not None:
            stage.instructions.append(instruction)
            if keyword == "SHELL" and instruction.exec_form:
                first = instruction.exec_form[0].rsplit("/", 1)[-1]
                stage.posix_shell = first in _shell_parser.SHELLS

    def build(
        self,
        logical: _Logical,
        offset: int,
        heredocs: list[tuple[Heredoc, int]],
        stage: _StageBuilder | None,
        *,
        end: tuple[int, int],
        nested: bool,
    ) -> Instruction:
        text = logical.text
        keyword_end = _NON_SPACE.match(text, offset).end()  # type: ignore[union-attr]
        keyword = text[offset:keyword_end].upper()
        line, column = logical.at(offset)
        location = self.location(line, column, end[0], end[1])
        if keyword not in KNOWN_KEYWORDS:
            self.error(f"unknown instruction: {text[offset:keyword_end]}", line, column)
        rest = _SPACE.match(text, keyword_end).end()  # type: ignore[union-attr]
        flags: list[Flag] = []
        if keyword != "ONBUILD":
            rest = self.read_flags(logical, rest, flags)
        value = text[rest:]
        scope: Scope = self.global_scope if stage is None or keyword == "FROM" else stage.scope
        if keyword in _NOT_EXPANDED:
            expanded = value
        else:
            expanded = _Expander(
                scope,
                self.escape,
                unquote=False,
                closed=keyword == "FROM",
                unset_is_empty=keyword in _BUILDER_EXPANDED and _knows_all(stage),
            ).run(value)
        exec_form: tuple[str, ...] | None = None
        pairs: tuple[KeyValue, ...] = ()
        script: Script | None = None
        trigger: Instruction | None = None
        if not value and not heredocs:
            self.error(f"{keyword} requires at least one argument", line, column)
        elif keyword in _BY_KEYWORD:
            if keyword in EXEC_FORM_KEYWORDS and value.startswith("["):
                exec_form = _json_array(value)
            if keyword == "RUN":
                if stage is None or stage.posix_shell:
                    script = self.run_script(logical, rest, value, exec_form, heredocs)
            elif keyword in ("ENV", "LABEL"):
                pairs = self.name_values(logical, rest, keyword, scope, knows_all=_knows_all(stage))
            elif keyword == "ARG":
                pairs = self.arg_pairs(logical, rest, stage, declare=not nested)
            elif keyword == "ONBUILD":
                trigger = self.build(logical, rest, heredocs, stage, end=end, nested=True)
                heredocs = []
                if trigger.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
                    self.error(
                        f"{trigger.keyword} is not allowed as an ONBUILD trigger",
                        trigger.line,
                        trigger.location.column or 1,
                    )
            elif keyword == "COPY" and not nested and stage is not None:
                self.check_copy_from(flags, stage)
        if keyword == "ENV" and stage is not None and not nested:
            for pair in pairs:
                stage.scope[pair.key] = pair.value
                stage.env_names.add(pair.key)
        return Instruction(
            keyword=keyword,
            value=value,
            expanded=expanded,
            location=location,
            stage=stage.index if stage is not None else -1,
            flags=tuple(flags),
            exec_form=exec_form,
            pairs=pairs,
            heredocs=tuple(h for h, _ in heredocs),
            script=script,
            trigger=trigger,
        )

    def read_flags(self, logical: _Logical, start: int, flags: list[Flag]) -> int:
        """Read `--name[=value]` words from `start`; return the offset of the arguments."""
        text = logical.text
        if not text.startswith("--", start):
            return start
        unquote = _Expander({}, self.escape, unquote=True)
        rest = start
        for begin, end in _iter_words(text, start, self.escape):
            word = text[begin:end]
            if not word.startswith("--"):
                return begin
            rest = end
            if word == "--":
                break
            line, column = logical.at(begin)
            name, eq, value = word[2:].partition("=")
            flags.append(
                Flag(
                    name=name,
                    value=unquote.run(value) if eq else None,
                    location=self.location(line, column, line, column + len(word)),
                )
            )
        n = len(text)
        while rest < n and text[rest].isspace():
            rest += 1
        return rest

    def run_script(
        self,
        logical: _Logical,
        rest: int,
        value: str,
        exec_form: tuple[str, ...] | None,
        heredocs: list[tuple[Heredoc, int]],
    ) -> Script | None:
        """The shell of a RUN. Heredoc markers are blanked out of the command line (tree-sitter
        cannot read two heredocs on one line, nor one before the command name); each body is
        handed over as the stdin of the command it feeds, parsed when that command is a shell."""
        if exec_form is not None:
            return self.exec_script(logical, rest, exec_form)
        entries = logical.map_from(rest)
        if not heredocs:
            return _shell_parser.parse(value, line_map=entries)
        text = logical.text
        blanked = list(value)
        markers: list[int] = []
        for begin, end in _words(text, rest, self.escape):
            marker = _heredoc_marker(text[begin:end])
            if marker is not None:
                at = begin - rest + marker.start
                blanked[at : at + marker.length] = " " * marker.length
                markers.append(at)
        command_line = "".join(blanked)
        if not command_line.strip():
            return self.heredoc_scripts(heredocs)
        bodies = {
            at: (heredoc.content, self.body_map(heredoc, first))
            for at, (heredoc, first) in zip(markers, heredocs, strict=False)
        }
        return _shell_parser.parse(command_line, line_map=entries, stdin_bodies=bodies)

    def body_map(self, heredoc: Heredoc, first: int) -> list[tuple[int, int, int]]:
        """Line map of a heredoc's content, whose first line is line index `first`."""
        entries = []
        offset = 0
        body_lines = heredoc.content.split("\n")
        if len(body_lines) > 1 and not body_lines[-1]:
            body_lines.pop()  # after the last newline: stays on the last body line
        for number, body_line in enumerate(body_lines, start=first + 1):
            stripped = 0
            if heredoc.strip_tabs and number <= len(self.lines):
                original = self.lines[number - 1]
                stripped = len(original) - len(original.lstrip("\t"))
            entries.append((offset, number, 1 + stripped))
            offset += len(body_line) + 1
        return entries

    def heredoc_scripts(self, heredocs: list[tuple[Heredoc, int]]) -> Script | None:
        """`RUN <<EOF`: each body is a script of its own, unless a shebang names another
        interpreter."""
        commands: list[Command] = []
        errors: list[ShellError] = []
        for heredoc, first in heredocs:
            if not _is_shell_script(heredoc.content):
                return None
            script = _shell_parser.parse(heredoc.content, line_map=self.body_map(heredoc, first))
            if commands:
                shift = commands[-1].pipeline + 1
                commands.extend(replace(c, pipeline=c.pipeline + shift) for c in script.commands)
            else:
                commands.extend(script.commands)
            errors.extend(script.errors)
        return Script(tuple(commands), tuple(errors))

    def exec_script(self, logical: _Logical, rest: int, argv: tuple[str, ...]) -> Script:
        text = logical.text
        starts = _json_string_starts(text, rest, len(argv))
        return _shell_parser.script_from_argv(argv, starts, len(text), logical.at)

    def name_values(
        self, logical: _Logical, rest: int, keyword: str, scope: Scope, *, knows_all: bool
    ) -> tuple[KeyValue, ...]:
        text = logical.text
        words = _words(text, rest, self.escape)
        if not words:
            return ()
        value_expander = _Expander(scope, self.escape, unquote=True, unset_is_empty=knows_all)
        first_begin, first_end = words[0]
        if "=" not in text[first_begin:first_end]:
            key = value_expander.run(text[first_begin:first_end])
            value_start = first_end
            while value_start < len(text) and text[value_start].isspace():
                value_start += 1
            line, column = logical.at(first_begin)
            if len(words) == 1:
                self.error(f"{keyword} {key} needs a value: {keyword} NAME=value", line, column)
            value = value_expander.run(text[value_start:])
            return (KeyValue(key, value, self.pair_location(logical, first_begin, len(text))),)
        pairs = []
        for begin, end in words:
            word = text[begin:end]
            line, column = logical.at(begin)
            key_raw, eq, value_raw = word.partition("=")
            if not eq:
                self.error(
                    f"{keyword}: can't find `=` in {word!r}; use {keyword} NAME=value",
                    line,
                    column,
                )
                continue
            key = value_expander.run(key_raw)
            value = value_expander.run(value_raw)
            pairs.append(KeyValue(key, value, self.pair_location(logical, begin, end)))
        return tuple(pairs)

    def arg_pairs(
        self, logical: _Logical, rest: int, stage: _StageBuilder | None, *, declare: bool
    ) -> tuple[KeyValue, ...]:
        text = logical.text
        pairs = []
        scope = self.global_scope if stage is None else stage.scope
        for begin, end in _words(text, rest, self.escape):
            word = text[begin:end]
            name, eq, default_raw = word.partition("=")
            line, column = logical.at(begin)
            if not name:
                self.error(f"ARG: invalid name in {word!r}", line, column)
                continue
            value: str | None
            expander = _Expander(scope, self.escape, unquote=True, unset_is_empty=_knows_all(stage))
            value = expander.run(default_raw) if eq else None
            pairs.append(KeyValue(name, value, self.pair_location(logical, begin, end)))
            effective = value
            if name in self.build_args:
                effective = self.build_args[name]
            elif value is None and stage is not None:
                effective = self.global_scope.get(name)
            if declare and (stage is None or name not in stage.env_names):
                scope[name] = effective
        return tuple(pairs)

    def pair_location(self, logical: _Logical, begin: int, end: int) -> Location:
        line, column = logical.at(begin)
        end_line, end_column = logical.at(end)
        return self.location(line, column, end_line, end_column)

    # -- stages --------------------------------------------------------------------------------

    def start_stage(self, instruction: Instruction) -> _StageBuilder:
        index = len(self.stages)
        line = instruction.line
        column = instruction.location.column or 1
        words = instruction.expanded.split()
        raw_words = instruction.value.split()
        name: str | None = None
        if len(raw_words) >= 2:
            if raw_words[1].lower() != "as":
                self.error(f"FROM: unexpected {raw_words[1]!r} after the image", line, column)
            elif len(raw_words) == 2:
                self.error("FROM ... AS needs a stage name", line, column)
            else:
                name = raw_words[2].lower()
                if len(raw_words) > 3:
                    self.error(
                        f"FROM: unexpected {raw_words[3]!r} after the stage name", line, column
                    )
                if not _valid_stage_name(name):
                    self.error(f"invalid stage name {raw_words[2]!r}", line, column)
        base = words[0] if words else ""
        base = _Expander({}, self.escape, unquote=True).run(base)
        base_ref: ImageRef | None = None
        base_stage: int | None = None
        unresolved = "$" in base
        if base and not unresolved:
            lowered = base.lower()
            earlier = self.stage_names.get(lowered)
            if earlier is not None:
                base_stage = earlier
            elif lowered != "scratch":
                try:
                    base_ref = parse_image_ref(base)
                except ImageRefError as exc:
                    self.error(f"invalid base image reference: {exc}", line, column)
        stage = _StageBuilder(
            index=index,
            name=name,
            base=base,
            base_ref=base_ref,
            base_stage=base_stage,
            base_unresolved=unresolved,
            from_instruction=replace(instruction, stage=index),
        )
        if name is not None:
            if name in self.stage_names:
                self.error(f"duplicate stage name {name!r}", line, column)
            else:
                self.stage_names[name] = index
        if base_stage is not None:
            # A stage built FROM another starts with its variables, as the builder does.
            parent = self.stages[base_stage]
            stage.posix_shell = parent.posix_shell
            stage.scope.update(parent.scope)
            stage.env_names.update(parent.env_names)
            stage.from_scratch = parent.from_scratch
        else:
            stage.from_scratch = base.lower() == "scratch"
        self.stages.append(stage)
        return stage

    def check_copy_from(self, flags: list[Flag], stage: _StageBuilder) -> None:
        flag = next((f for f in flags if f.name == "from"), None)
        if flag is None or flag.value is None:
            return
        scope = stage.scope
        source = _Expander(scope, self.escape, unquote=True).run(flag.value)
        if "$" in source or not source:
            return
        earlier = self.stage_names.get(source.lower())
        if earlier is not None and earlier < stage.index:
            return
        if source.isdigit() and int(source) < stage.index:
            return
        if any(c in source for c in "/:."):
            return
        location = flag.location
        self.error(
            f"COPY --from={source}: no stage named {source!r} before this one",
            location.line or 1,
            location.column or 1,
        )

    def finish_stages(self) -> tuple[Stage, ...]:
        if not self.stages:
            return ()
        shipped = set()
        index: int | None = len(self.stages) - 1
        while index is not None and index not in shipped:
            shipped.add(index)
            index = self.stages[index].base_stage
        last = len(self.stages) - 1
        return tuple(
            Stage(
                index=s.index,
                name=s.name,
                base=s.base,
                base_ref=s.base_ref,
                base_stage=s.base_stage,
                base_unresolved=s.base_unresolved,
                from_instruction=s.instructions[0] if s.instructions else s.from_instruction,
                instructions=tuple(s.instructions),
                is_final=s.index == last,
                in_final_image=s.index in shipped,
            )
            for s in self.stages
        )


def _keyword(text: str) -> str:
    end = 0
    n = len(text)
    while end < n and not text[end].isspace():
        end += 1
    return text[:end].upper()


@dataclass(frozen=True, slots=True)
class _Marker:
    delimiter: str
    strip_tabs: bool
    quoted: bool
    start: int  # where `<<` (or its file descriptor) starts in the word
    length: int  # how many characters of the word the marker spans


def _heredoc_marker(word: str) -> _Marker | None:
    """`<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF` (possibly followed by `>file`)."""
    at = word.find("<<")
    if at == -1 or (at != 0 and not word[:at].isdigit()):
        return None
    begin = at + 2
    strip_tabs = word.startswith("-", begin)
    if strip_tabs:
        begin += 1
    end = begin
    while end < len(word) and word[end] not in _SHELL_METACHARACTERS and word[end] != "<":
        end += 1
    name = word[begin:end]
    quoted = "'" in name or '"' in name or "\\" in name
    delimiter = name.replace("'", "").replace('"', "").replace("\\", "")
    if not delimiter:
        return None
    return _Marker(delimiter, strip_tabs, quoted, 0, end)


def _json_array(value: str) -> tuple[str, ...] | None:
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return tuple(parsed)
    return None


def _json_string_starts(text: str, start: int, count: int) -> list[int]:
    """Offsets of the opening quotes of the first `count` JSON strings from `start`."""
    starts: list[int] = []
    i = text.find('"', start)
    while i != -1 and len(starts) < count:
        starts.append(i)
        j = i + 1
        while True:
            j = text.find('"', j)
            if j == -1:
                return starts + [len(text)] * (count - len(starts))
            backslashes = 0
            k = j - 1
            while text[k] == "\\":
                backslashes += 1
                k -= 1
            if backslashes % 2 == 0:
                break
            j += 1
        i = text.find('"', j + 1)
    return starts + [len(text)] * (count - len(starts))


def _is_shell_script(content: str) -> bool:
    if not content.startswith("#!"):
        return True
    first = content.split("\n", 1)[0][2:].split()
    if not first:
        return True
    interpreter = first[0].rsplit("/", 1)[-1]
    if interpreter == "env":
        rest = [w for w in first[1:] if not w.startswith("-")]
        interpreter = rest[0].rsplit("/", 1)[-1] if rest else "env"
    return interpreter in _shell_parser.SHELLS


def _valid_stage_name(name: str) -> bool:
    if not name or not ("a" <= name[0] <= "z"):
        return False
    return all(c.isascii() and (c.isalnum() or c in "-_.") for c in name)


# Above this many characters the cyclic garbage collector is paused while parsing: the parse
# allocates millions of small acyclic objects that all stay alive, so every collection would
# scan them for nothing (40% of the time on a 10 MB file).
_PAUSE_GC_ABOVE = 1_000_000


def parse(text: str, path: str, build_args: dict[str, str]) -> Dockerfile:
    if len(text) < _PAUSE_GC_ABOVE or not gc.isenabled():
        return _Parser(text, path, build_args).run()
    gc.disable()
    try:
        return _Parser(text, path, build_args).run()
    finally:
        gc.enable()
