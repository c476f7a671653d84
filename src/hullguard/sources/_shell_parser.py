"""The tree-sitter-bash walker behind `hullguard.sources.shell.parse_script`.

Positions: the walker works on character offsets into the text it parses and turns them into
file positions through a `LineMap`. A caller that cut the text out of a file (a RUN instruction
whose continuation lines were joined, with comment lines dropped) passes the map it built while
joining, so every word lands on its exact line and column. Strings parsed again (`sh -c "..."`)
get a position function that maps their characters back to the enclosing text.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hullguard.sources.shell import Command, Script, ShellError, Word

Position = Callable[[int], tuple[int, int]]

MAX_ERRORS = 100  # per script: past that, a broken script reports nothing new
MAX_COMMANDS = 50_000  # per script: no real one comes near; bounds time and memory
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"})
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_SUBSTITUTION_MARKERS = ("$(", "`", "<(", ">(")
_MAX_DEPTH = 8

_parser: Any = None


def _ts_parser() -> Any:
    global _parser
    if _parser is None:
        import tree_sitter
        import tree_sitter_bash

        _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _parser


class LineMap:
    """Character offsets of a text to (line, column) of the file it came from.

    Each entry `(offset, line, column)` says that the character at `offset` sits at that line and
    column, and the characters after it follow on the same line until the next entry.
    """

    __slots__ = ("_columns", "_lines", "_offsets")

    def __init__(self, entries: Sequence[tuple[int, int, int]]) -> None:
        if not entries:
            entries = [(0, 1, 1)]
        self._offsets = [e[0] for e in entries]
        self._lines = [e[1] for e in entries]
        self._columns = [e[2] for e in entries]

    @classmethod
    def for_text(cls, text: str, line: int = 1, column: int = 1) -> LineMap:
        entries = [(0, line, column)]
        at = text.find("\n")
        while at != -1:
            line += 1
            entries.append((at + 1, line, 1))
            at = text.find("\n", at + 1)
        return cls(entries)

    def at(self, offset: int) -> tuple[int, int]:
        k = bisect_right(self._offsets, offset) - 1
        if k < 0:
            k = 0
        return self._lines[k], self._columns[k] + offset - self._offsets[k]


_Slot = tuple[int, int] | None  # (pipeline, position) given to the command found at a node
_Task = tuple[Any, _Slot, bool, bool]  # node, slot, background, nested
_HEREDOC_SCRIPTS = "hullguard:heredoc-scripts"


class _Deferred:
    """A task run once the statement's own commands were seen."""

    __slots__ = ("node",)
    type = _HEREDOC_SCRIPTS

    def __init__(self, node: Any) -> None:
        self.node = node


@dataclass
class _State:
    commands: list[Command] = field(default_factory=list)
    errors: list[ShellError] = field(default_factory=list)
    pipelines: int = 0

    def error(self, message: str, line: int, column: int) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(ShellError(message, line, column))

    def new_pipeline(self) -> int:
        self.pipelines += 1
        return self.pipelines - 1


def parse(
    text: str,
    *,
    line: int = 1,
    column: int = 1,
    line_map: Sequence[tuple[int, int, int]] | None = None,
    stdin_bodies: Mapping[int, tuple[str, Sequence[tuple[int, int, int]]]] | None = None,
) -> Script:
    """Parse `text` into commands; `line_map` (see `LineMap`) overrides `line`/`column`.

    `stdin_bodies` maps the offset of a heredoc marker taken out of `text` to the heredoc's
    body and its line map: a body that feeds a shell (`bash <<EOF`) is parsed as a script.
    """
    positions = LineMap(line_map) if line_map is not None else LineMap.for_text(text, line, column)
    state = _State()
    feeds = _parse_into(
        state, text, positions.at, nested=False, depth=0, track_feeds=bool(stdin_bodies)
    )
    if stdin_bodies:
        feeds.sort()
        ends = [end for end, _ in feeds]
        for at, (body, body_map) in sorted(stdin_bodies.items()):
            k = bisect_right(ends, at)
            if k < len(feeds) and feeds[k][1]:
                _parse_into(state, body, LineMap(body_map).at, nested=True, depth=1)
    return Script(tuple(state.commands), tuple(state.errors))


def script_from_argv(
    argv: Sequence[str], starts: Sequence[int], end: int, positions: Position
) -> Script:
    """A Script for an exec-form array; `starts` are the character offsets of each element's
    opening quote in the text `positions` maps, `end` the offset just past the array."""
    state = _State()
    if argv:
        walker = _Walker(state, "", positions, nested=False, depth=0)
        words = [
            Word(text, text, *positions(start)) for text, start in zip(argv, starts, strict=True)
        ]
        walker.emit(
            words,
            [None] * len(words),
            [],
            start=positions(starts[0]),
            end=positions(end),
            slot=(state.new_pipeline(), 0),
            background=False,
            nested=False,
            wrapped_by=None,
        )
    return Script(tuple(state.commands), tuple(state.errors))


def _parse_into(
    state: _State,
    text: str,
    positions: Position,
    *,
    nested: bool,
    depth: int,
    track_feeds: bool = False,
) -> list[tuple[int, bool]]:
    """Parse `text` and add its commands to `state`; return the walker's `feeds`.

    A long text is parsed in chunks cut between top-level statements: tree-sitter's error
    recovery takes quadratic time and memory on some broken constructs (a pipeline of thousands
    of commands ending in `|`), and no chunk may be big enough for that to hurt.
    """
    if not text.strip():
        return []
    if len(text) <= _CHUNK_ABOVE:
        return _parse_chunk(state, text, positions, nested, depth, track_feeds)
    feeds: list[tuple[int, bool]] = []
    for start, end, blank in _statement_chunks(text, _CHUNK_SIZE):
        if len(state.errors) >= MAX_ERRORS:
            break  # not a shell script: the rest would be noise, and slow to recover from
        if len(state.commands) >= MAX_COMMANDS:
            state.error("script too long: the rest is not analysed", *positions(start))
            break
        chunk = " " * blank + text[start + blank : end]
        found = _parse_chunk(state, chunk, _shifted(positions, start), nested, depth, track_feeds)
        feeds.extend((offset + start, shell) for offset, shell in found)
    return feeds


def _parse_chunk(
    state: _State, text: str, positions: Position, nested: bool, depth: int, track_feeds: bool
) -> list[tuple[int, bool]]:
    if not text.strip():
        return []
    data = text.encode("utf-8", "surrogatepass")
    tree = _ts_parser().parse(data)
    walker = _Walker(state, text, positions, nested=nested, depth=depth)
    walker.track_feeds = track_feeds
    if len(data) != len(text):
        walker.byte_to_char = _byte_to_char(text, len(data))
    walker.walk(tree.root_node, None, False, nested)
    return walker.feeds


_CHUNK_ABOVE = 16_384
_CHUNK_SIZE = 1_024
# Where the scanner looks next, by context: code, inside "...", inside `...`.
_CODE_STOPS = re.compile(r"[^\\'\"`$()#<\n;&|{}]*+")
_DOUBLE_QUOTED_STOPS = re.compile(r'[^\\"$`]*+')
_BACKQUOTED_STOPS = re.compile(r"[^\\`]*+")
_KEYWORD = re.compile(
    r"[ \t]*+(if|then|elif|else|fi|case|esac|for|while|until|select|do|done|\{|\})(?=[\s;&|()]|$)"
)
_CLOSERS = {"fi": "if", "esac": "case", "done": "do", "}": "{"}
_LOOPS = frozenset({"for", "while", "until", "select"})
_HEREDOC_WORD = re.compile(r"<<-?[ \t]*+(?:'([^'\n]*+)'|\"([^\"\n]*+)\"|\\?([^\s;&|<>()]++))")


def _statement_chunks(text: str, limit: int) -> Iterator[tuple[int, int, int]]:
    """Cut `text` into pieces of about `limit` characters between top-level statements.

    Yields (start, end, blank): the piece is `text[start:end]` with its first `blank` characters
    (an `&&`, `||` or `|` that joined it to the previous piece) to be blanked out. A cut between
    pipelines is preferred to one inside a pipeline; a stretch with no boundary at all is cut
    at the limit.
    """
    start = blank = 0
    best: tuple[int, int] | None = None
    best_in_pipeline: tuple[int, int] | None = None
    n = len(text)
    for offset, offset_blank, between_pipelines in (*_boundaries(text), (n, 0, True)):
        while offset - start > limit:
            at = best or best_in_pipeline or (start + max(limit, 1), 0)
            yield start, at[0], blank
            start, blank = at
            best = best_in_pipeline = None
        if between_pipelines:
            best = (offset, offset_blank)
        else:
            best_in_pipeline = (offset, offset_blank)
    if start < n:
        yield start, n, blank


def _boundaries(text: str) -> Iterator[tuple[int, int, bool]]:
    """Where `text` may be cut: (offset, blank, between pipelines). Never inside quotes,
    substitutions, `( )`, `{ }`, `if/fi`, `case/esac`, loops or heredoc bodies."""
    n = len(text)
    stack: list[str] = []
    heredocs: list[tuple[str, bool]] = []
    command_start = True
    i = 0
    while i < n:
        top = stack[-1] if stack else ""
        if top == '"':
            i = _DOUBLE_QUOTED_STOPS.match(text, i).end()  # type: ignore[union-attr]
        elif top == "`":
            i = _BACKQUOTED_STOPS.match(text, i).end()  # type: ignore[union-attr]
        else:
            if command_start:
                keyword = _KEYWORD.match(text, i)
                if keyword is not None:
                    word = keyword.group(1)
                    if word in _CLOSERS:
                        if top == _CLOSERS[word]:
                            stack.pop()
                    elif word == "do" and top in _LOOPS:
                        stack[-1] = "do"
                    elif word not in ("then", "elif", "else"):
                        stack.append(word)
                    i = keyword.end()
                    continue
                command_start = False
            i = _CODE_STOPS.match(text, i).end()  # type: ignore[union-attr]
        if i >= n:
            break
        char = text[i]
        following = text[i + 1] if i + 1 < n else ""
        if char == "\\":
            i += 2
            continue
        if top == '"':
            if char == '"':
                stack.pop()
            elif char == "`":
                stack.append("`")
            elif char == "$" and following == "(":
                stack.append("(")
                i += 1
            i += 1
            continue
        if top == "`":
            if char == "`":
                stack.pop()
            i += 1
            continue
        if char == "'":
            close = text.find("'", i + 1)
            i = n if close == -1 else close + 1
        elif char in '"`':
            stack.append(char)
            i += 1
        elif char == "$":
            if following == "(":
                stack.append("(")
                i += 1
            i += 1
        elif char == "(":
            stack.append("(")
            command_start = True
            i += 1
        elif char == ")":
            if top == "(":
                stack.pop()
            command_start = True  # `f() {`, `pattern) command`
            i += 1
        elif char in "{}":
            i += 1
        elif char == "#":
            if i == 0 or text[i - 1] in " \t\n;&|()":
                newline = text.find("\n", i)
                i = n if newline == -1 else newline
            else:
                i += 1
        elif char == "<":
            marker = _HEREDOC_WORD.match(text, i) if following == "<" else None
            if marker is not None and not text.startswith("<<<", i):
                delimiter = marker.group(1) or marker.group(2) or marker.group(3) or ""
                heredocs.append((delimiter, text.startswith("<<-", i)))
                i = marker.end()
            else:
                i += 1
        elif char == "\n":
            i += 1
            for delimiter, strip_tabs in heredocs:
                i = _after_heredoc_body(text, i, delimiter, strip_tabs)
            heredocs.clear()
            command_start = True
            if not stack:
                yield i, 0, True
        else:  # ; & |
            pair = text[i : i + 2]
            width = 2 if pair in ("&&", "||", ";;", ";&", "|&", "&>") else 1
            redirection = pair == "&>" or (i > 0 and text[i - 1] in "<>")
            command_start = not redirection
            if not stack and not heredocs and not redirection:
                if char in ";&" and width == 1:
                    yield i + 1, 0, True
                elif pair in ("&&", "||"):
                    yield i, width, True
                elif char == "|":
                    yield i, width, False
            i += width


def _after_heredoc_body(text: str, i: int, delimiter: str, strip_tabs: bool) -> int:
    """The offset after the line that ends a heredoc whose body starts at `i`."""
    n = len(text)
    while i < n:
        newline = text.find("\n", i)
        end = n if newline == -1 else newline
        line = text[i:end]
        i = end + 1
        if (line.lstrip("\t") if strip_tabs else line) == delimiter:
            break
    return min(i, n)


def _byte_to_char(text: str, size: int) -> list[int]:
    table = [0] * (size + 1)
    b = 0
    for i, ch in enumerate(text):
        code = ord(ch)
        width = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        for k in range(width):
            table[b + k] = i
        b += width
    table[size] = len(text)
    return table


_DECLARATION_WORDS = frozenset({"word", "variable_name", "string", "raw_string", "concatenation"})


class _Walker:
    def __init__(
        self, state: _State, text: str, positions: Position, *, nested: bool, depth: int
    ) -> None:
        self.state = state
        self.text = text
        self.positions = positions
        self.nested = nested
        self.depth = depth
        self.byte_to_char: list[int] | None = None
        # (end offset, runs a shell reading its stdin) of each command, in text order
        self.feeds: list[tuple[int, bool]] = []
        self.track_feeds = False

    # -- offsets -------------------------------------------------------------------------------

    def offset(self, byte: int) -> int:
        table = self.byte_to_char
        return byte if table is None else table[byte]

    def raw(self, node: Any) -> str:
        return self.text[self.offset(node.start_byte) : self.offset(node.end_byte)]

    def where(self, byte: int) -> tuple[int, int]:
        return self.positions(self.offset(byte))

    # -- tree walk -----------------------------------------------------------------------------

    def walk(self, root: Any, slot: _Slot, background: bool, nested: bool) -> None:
        """Visit the tree in text order, without recursion (`a && b && ...` nests deeply)."""
        stack: list[_Task] = [(root, slot, background, nested)]
        while stack:
            node, slot, background, nested = stack.pop()
            pending: list[_Task] = []
            kind = node.type
            if kind == "command":
                self.command(node, slot, background, nested, pending)
            elif kind == "declaration_command":
                self.declaration(node, slot, background, nested, pending)
            elif kind == "pipeline":
                self.pipeline(
                    node.children, self.state.new_pipeline(), 0, background, nested, pending
                )
            elif kind == "redirected_statement":
                self.redirected(node, slot, background, nested, pending)
            elif kind == _HEREDOC_SCRIPTS:
                self.heredoc_scripts(node, nested)
            elif kind != "comment":
                if kind == "ERROR":
                    self.state.error("syntax error", *self.where(node.start_byte))
                elif node.is_missing:
                    self.state.error(f"missing `{kind}`", *self.where(node.start_byte))
                if kind in ("command_substitution", "process_substitution"):
                    nested = True
                children = node.children
                last = len(children) - 1
                for k, child in enumerate(children):
                    if child.is_named or child.is_missing:
                        detached = background or (k < last and children[k + 1].type == "&")
                        pending.append((child, None, detached, nested))
            stack.extend(reversed(pending))

    def pipeline(
        self,
        children: Sequence[Any],
        index: int,
        first: int,
        background: bool,
        nested: bool,
        pending: list[_Task],
    ) -> None:
        position = first
        for child in children:
            if child.is_named:
                pending.append((child, (index, position), background, nested))
                position += 1

    def redirected(
        self, node: Any, slot: _Slot, background: bool, nested: bool, pending: list[_Task]
    ) -> None:
        """`cmd <<EOF | next`: tree-sitter hangs `| next` (or `&& next`) under the heredoc."""
        piped: Any = None
        for child in node.children:
            if child.type == "heredoc_redirect":
                for part in child.children:
                    opener = part.children[0].type if part.child_count else ""
                    if part.type == "pipeline" and opener in ("|", "|&"):
                        piped = part
        if piped is not None and slot is None:
            slot = (self.state.new_pipeline(), 0)
        for child in node.children:
            if child.type in _REDIRECTS:
                for part in child.children:
                    if piped is not None and part.start_byte == piped.start_byte:
                        assert slot is not None
                        self.pipeline(
                            part.children, slot[0], slot[1] + 1, background, nested, pending
                        )
                    elif part.is_named or part.is_missing:
                        pending.append((part, None, background, nested))
            elif child.is_named or child.is_missing:
                pending.append((child, slot, background, nested))
        pending.append((_Deferred(node), None, background, nested))

    def heredoc_scripts(self, deferred: Any, nested: bool) -> None:
        """`bash <<EOF`: the heredoc body is the script the shell runs."""
        node = deferred.node
        body = node.child_by_field_name("body")
        if body is None or body.type != "command" or self.depth >= _MAX_DEPTH:
            return
        name_node = body.child_by_field_name("name")
        if name_node is None or posixpath.basename(self.raw(name_node)) not in SHELLS:
            return
        if any(c.type == "word" and self.raw(c).startswith("-c") for c in body.children[1:]):
            return
        for child in node.children:
            if child.type != "heredoc_redirect":
                continue
            for part in child.children:
                if part.type == "heredoc_body":
                    start = self.offset(part.start_byte)
                    inner = self.raw(part)
                    _parse_into(
                        self.state,
                        inner,
                        _shifted(self.positions, start),
                        nested=True,
                        depth=self.depth + 1,
                    )

    def declaration(
        self, node: Any, slot: _Slot, background: bool, nested: bool, pending: list[_Task]
    ) -> None:
        """`export A=1 B`, `declare -x A=1`, `local`, `readonly`, `typeset`: a command whose
        words are the keyword, its options and each `NAME=value` with the value unquoted."""
        positions = self.positions
        words: list[Word] = []
        nodes: list[Any] = []
        for child in node.children:
            begin = self.offset(child.start_byte)
            raw = self.raw(child)
            if child.type == "variable_assignment":
                name = raw.partition("=")[0]
                value_nodes = [c for c in child.children if c.is_named][1:]
                value = "".join(_unquote(self, c, None) for c in value_nodes)
                text = f"{name}={value}"
            elif not child.is_named:
                text = raw  # the keyword
            elif child.type in _DECLARATION_WORDS:
                text = _unquote(self, child, None)
            else:
                continue
            words.append(Word(text, raw, *positions(begin)))
            nodes.append(child)
        if words:
            self.emit(
                words,
                nodes,
                [],
                start=positions(self.offset(node.start_byte)),
                end=positions(self.offset(node.end_byte)),
                slot=slot if slot is not None else (self.state.new_pipeline(), 0),
                background=background,
                nested=nested,
                wrapped_by=None,
            )
        for child in node.children:
            if child.type == "variable_assignment" or child.has_error:
                pending.append((child, None, background, True))

    def command(
        self, node: Any, slot: _Slot, background: bool, nested: bool, pending: list[_Task]
    ) -> None:
        assignments: list[str] = []
        arguments: list[Any] = []
        children = node.children
        for child in children:
            kind = child.type
            if kind == "variable_assignment":
                if not arguments:
                    assignments.append(self.raw(child))
            elif kind == "command_name":
                arguments.append(child.named_children[0] if child.named_child_count else child)
            elif child.is_named and kind not in _REDIRECTS and kind != "comment":
                arguments.append(child)
        offset = self.offset
        text = self.text
        positions = self.positions
        start = offset(node.start_byte)
        end = offset(node.end_byte)
        if arguments:
            words = []
            for argument in arguments:
                begin = offset(argument.start_byte)
                raw = text[begin : offset(argument.end_byte)]
                if argument.type == "word" and "\\" not in raw:
                    value = raw
                else:
                    value = _unquote(self, argument, None)
                words.append(Word(value, raw, *positions(begin)))
            if slot is None:
                slot = (self.state.new_pipeline(), 0)
            if self.track_feeds:
                self.feeds.append((end, _reads_script_from_stdin(words)))
            self.emit(
                words,
                arguments,
                assignments,
                start=positions(start),
                end=positions(end),
                slot=slot,
                background=background,
                nested=nested,
                wrapped_by=None,
            )
        if node.has_error or any(text.find(m, start, end) != -1 for m in _SUBSTITUTION_MARKERS):
            for child in children:
                if child.is_named or child.is_missing:
                    pending.append((child, None, background, True))

    def emit(
        self,
        words: list[Word],
        nodes: list[Any],
        assignments: list[str],
        *,
        start: tuple[int, int],
        end: tuple[int, int],
        slot: tuple[int, int],
        background: bool,
        nested: bool,
        wrapped_by: str | None,
    ) -> None:
        argv = [w.text for w in words]
        name = argv[0].rsplit("/", 1)[-1] or argv[0]
        self.state.commands.append(
            Command(
                name=name,
                words=tuple(words),
                assignments=tuple(assignments),
                line=start[0],
                column=start[1],
                end_line=end[0],
                end_column=end[1],
                pipeline=slot[0],
                pipe_position=slot[1],
                background=background,
                wrapped_by=wrapped_by,
                nested=nested,
            )
        )
        inner = wrapped_index(name, argv)
        if inner is not None:
            self.emit(
                words[inner:],
                nodes[inner:],
                [],
                start=(words[inner].line, words[inner].column),
                end=end,
                slot=slot,
                background=background,
                nested=nested,
                wrapped_by=name,
            )
            return
        found = shell_script_index(name, argv)
        if found is not None and self.depth < _MAX_DEPTH:
            index, skip = found
            self.nested_script(words[index], nodes[index], skip)

    def nested_script(self, word: Word, node: Any, skip: int) -> None:
        """Parse the string of `sh -c STRING` with positions inside the string."""
        if node is not None:
            offsets: list[int] = []
            text = _unquote(self, node, offsets)
            offsets = offsets[skip:]
            text = text[skip:]
            positions = self.positions

            def inner(i: int) -> tuple[int, int]:
                if not offsets:
                    return word.line, word.column
                return positions(offsets[min(i, len(offsets) - 1)])

        else:
            text = word.text[skip:]
            line, column = word.line, word.column + 1 + skip

            def inner(i: int) -> tuple[int, int]:
                return line, column + i

        _parse_into(self.state, text, inner, nested=True, depth=self.depth + 1)


def _shifted(positions: Position, start: int) -> Position:
    return lambda i: positions(start + i)


def _unquote(walker: _Walker, node: Any, offsets: list[int] | None) -> str:
    """A word's value with quotes and escapes removed, expansions kept as written.

    With `offsets`, appends the offset in the walker's text of every character produced.
    """
    kind = node.type
    start = walker.offset(node.start_byte)
    end = walker.offset(node.end_byte)
    text = walker.text
    if kind == "word":
        return _unescape(text, start, end, "", offsets)
    if kind == "raw_string":
        return _verbatim(text, start + 1, end - 1, offsets)
    if kind == "ansi_c_string":
        return _verbatim(text, start + 2, end - 1, offsets)
    if kind == "string":
        return _unescape(text, start + 1, end - 1, '$`"\\\n', offsets)
    if kind == "translated_string":
        return _unescape(text, start + 2, end - 1, '$`"\\\n', offsets)
    if kind == "concatenation":
        parts = []
        at = start
        for child in node.children:
            child_start = walker.offset(child.start_byte)
            if child_start > at:
                parts.append(_unescape(text, at, child_start, "", offsets))
            parts.append(_unquote(walker, child, offsets))
            at = walker.offset(child.end_byte)
        if at < end:
            parts.append(_unescape(text, at, end, "", offsets))
        return "".join(parts)
    return _verbatim(text, start, end, offsets)


def _verbatim(text: str, start: int, end: int, offsets: list[int] | None) -> str:
    if end < start:
        end = start
    if offsets is not None:
        offsets.extend(range(start, end))
    return text[start:end]


def _unescape(text: str, start: int, end: int, escapable: str, offsets: list[int] | None) -> str:
    """Remove backslash escapes; `escapable` lists the characters a backslash escapes inside
    double quotes (empty: any character, as outside quotes)."""
    if end < start:
        end = start
    backslash = text.find("\\", start, end)
    if backslash == -1:
        return _verbatim(text, start, end, offsets)
    out: list[str] = []
    at = start
    while backslash != -1:
        out.append(_verbatim(text, at, backslash, offsets))
        following = backslash + 1
        if following >= end:
            out.append(_verbatim(text, backslash, end, offsets))
            at = end
            break
        char = text[following]
        if char == "\n":
            at = following + 1
        elif not escapable or char in escapable:
            out.append(_verbatim(text, following, following + 1, offsets))
            at = following + 1
        else:
            out.append(_verbatim(text, backslash, following + 1, offsets))
            at = following + 1
        backslash = text.find("\\", at, end)
    if at < end:
        out.append(_verbatim(text, at, end, offsets))
    return "".join(out)


# -- wrappers and shells ---------------------------------------------------------------------

_WRAPPER_OPTIONS_WITH_VALUE: dict[str, frozenset[str]] = {
    "sudo": frozenset(
        [
            "-u",
            "-g",
            "-p",
            "-C",
            "-D",
            "-r",
            "-t",
            "-U",
            "-T",
            "-R",
            "-h",
            "--user",
            "--group",
            "--prompt",
            "--chdir",
            "--role",
            "--type",
            "--other-user",
            "--close-from",
            "--host",
            "--command-timeout",
            "--chroot",
        ]
    ),
    "env": frozenset(["-u", "-C", "-S", "--unset", "--chdir", "--split-string"]),
    "nice": frozenset(["-n", "--adjustment"]),
    "nohup": frozenset(),
    "time": frozenset(["-f", "-o", "--format", "--output"]),
    "exec": frozenset(["-a"]),
    "xargs": frozenset(
        [
            "-I",
            "-L",
            "-n",
            "-P",
            "-s",
            "-d",
            "-E",
            "-a",
            "--arg-file",
            "--delimiter",
            "--max-lines",
            "--max-args",
            "--max-procs",
            "--max-chars",
            "--process-slot-var",
        ]
    ),
    "timeout": frozenset(["-s", "-k", "--signal", "--kill-after"]),
    "stdbuf": frozenset(["-i", "-o", "-e", "--input", "--output", "--error"]),
    "command": frozenset(),
    "chroot": frozenset(["--userspec", "--groups"]),
    "gosu": frozenset(),
    "su-exec": frozenset(),
    "tini": frozenset(["-p", "-e"]),
    "dumb-init": frozenset(["-r", "--rewrite"]),
    "busybox": frozenset(),
}
# Positional arguments a wrapper takes before the command it runs.
_WRAPPER_POSITIONALS = {"timeout": 1, "chroot": 1, "gosu": 1, "su-exec": 1}
WRAPPERS = frozenset(_WRAPPER_OPTIONS_WITH_VALUE)


def _reads_script_from_stdin(words: Sequence[Word]) -> bool:
    argv = [w.text for w in words]
    while argv:
        name = posixpath.basename(argv[0])
        inner = wrapped_index(name, argv)
        if inner is None:
            return name in SHELLS and shell_script_index(name, argv) is None
        argv = argv[inner:]
    return False


def _is_assignment(word: str) -> bool:
    eq = word.find("=")
    if eq <= 0:
        return False
    name = word[:eq]
    return (name[0].isalpha() or name[0] == "_") and name.replace("_", "a").isalnum()


def wrapped_index(name: str, argv: Sequence[str]) -> int | None:
    """Index in `argv` of the command a wrapper runs, or None."""
    with_value = _WRAPPER_OPTIONS_WITH_VALUE.get(name)
    if with_value is None:
        return None
    i, n = 1, len(argv)
    while i < n:
        word = argv[i]
        if word == "--":
            i += 1
            break
        if len(word) < 2 or word[0] != "-":
            if name in ("env", "sudo") and _is_assignment(word):
                i += 1
                continue
            break
        if name == "command" and word in ("-v", "-V"):
            return None
        if word.startswith("--"):
            i += 2 if word in with_value else 1
        elif word[:2] in with_value:
            i += 2 if len(word) == 2 else 1
        else:
            i += 1
    if name == "time" and i < n and argv[i] == "-p":
        i += 1
    i += _WRAPPER_POSITIONALS.get(name, 0)
    return i if i < n else None


def shell_script_index(name: str, argv: Sequence[str]) -> tuple[int, int] | None:
    """For `sh -c STRING` (and `su -c STRING`): the index of STRING and how many leading
    characters of that word precede the script (`--command=`)."""
    if name == "su":
        for i, word in enumerate(argv[1:], start=1):
            if word in ("-c", "--command") and i + 1 < len(argv):
                return i + 1, 0
            if word.startswith("--command="):
                return i, len("--command=")
        return None
    if name not in SHELLS:
        return None
    i, n = 1, len(argv)
    has_c = False
    while i < n:
        word = argv[i]
        if word == "--" or word == "-":
            i += 1
            break
        if word.startswith("--"):
            i += 2 if word in ("--rcfile", "--init-file") else 1
            continue
        if len(word) < 2 or word[0] not in "-+":
            break
        letters = word[1:]
        if "c" in letters and word[0] == "-":
            has_c = True
        i += 2 if "o" in letters or "O" in letters else 1
    if has_c and i < n:
        return i, 0
    return None
