"""Jenkinsfiles, declarative and scripted, read as one `Pipeline` for the pipeline rules.

The file is Groovy; it is never run. A tolerant reader splits it into tokens (names,
punctuation, and Groovy's string forms: '...', "..." with `${...}` kept as written, '''...''',
\"\"\"...\"\"\", with their escapes and line continuations undone; `//` and `/* */` comments left
out) and into calls: a chain of names with their arguments (`sh 'make'`, `sh(script: '...')`,
`docker.image('x').inside('-v ...')`) and the closure that follows (`stage('Build') { ... }`).

What becomes the Pipeline:
- each `stage` is a job (nested stages, `parallel` and `matrix` ones included); steps and
  containers outside any stage (a top-level `agent`, `post`, a scripted `node` without stages)
  belong to a job named `pipeline`;
- `sh` steps (a string, `script:`, or `sh(...)`) are scripts, parsed with the shell parser at
  their exact lines; `docker run` lines in them are containers as in any script;
- `agent { docker { image '...' args '...' } }` (or `agent { docker 'image' }`) is the job's
  container, its `args` read as `docker run` flags; so are `docker.image('...').inside(args)`,
  `.withRun(args)` and `.run(args)` of the Docker Pipeline plugin; the containers of
  `agent { kubernetes { yaml '...' } }` are read from that pod manifest by the Kubernetes
  source, at their lines in the Jenkinsfile;
- `docker.build(...)` is a build step, and `.push()` on an image a push step (as `uses` steps
  named `docker.build` and `docker.push`);
- `environment { NAME = 'value' }` and `withEnv(['NAME=value'])` are the job's variables
  (inherited by the stages inside).

A string that is not closed, a comment that is not closed and braces or brackets that do not
match are error entries with their line; the rest of the file is still read.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from hullguard.model import ErrorEntry, Located, Location
from hullguard.sources import _shell_parser
from hullguard.sources.ci import (
    CiResult,
    Job,
    Pipeline,
    Step,
    placeholder_code,
    restore_expressions,
    split_words,
)
from hullguard.sources.docker_cli import RunSettings, parse_options, runs_from_script, shell_errors
from hullguard.sources.kubernetes import load_kubernetes
from hullguard.spec import CI, ContainerSpec, EnvVar

PLATFORM = "jenkins"
TOP_LEVEL_JOB = "pipeline"
MAX_DEPTH = 100  # blocks, calls and brackets nested in one another
_NAME_START = re.compile(r"[A-Za-z_$]")
_NAME = re.compile(r"[A-Za-z0-9_$]*")
_PUNCTUATION = frozenset("{}()[],:=.")
_CLOSERS = {"{": "}", "(": ")", "[": "]"}
_GROOVY_EXPRESSION = re.compile(r"\$\{[^{}]*\}")
_SHELL_PARAMETER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "$": "$", "n": "\n", "t": "\t", "/": "/"}
_CONTAINER_METHODS = ("inside", "withRun", "run")
Any3 = tuple[int, int, int]


@dataclass(frozen=True)
class _Token:
    kind: str  # name, string, punct, newline, other
    text: str
    line: int
    column: int
    positions: tuple[tuple[int, int, int], ...] = ()  # strings: value offset -> line, column


@dataclass
class _Arg:
    """One argument: its name when named (`script: '...'`), its strings in order, and the
    closures written in it."""

    name: str | None = None
    strings: list[_Token] = field(default_factory=list)
    blocks: list[list[_Call]] = field(default_factory=list)
    calls: list[_Call] = field(default_factory=list)


@dataclass
class _Call:
    names: list[str]
    args: list[list[_Arg]]  # one list per name of the chain
    line: int
    column: int
    block: list[_Call] | None = None
    assigned: _Arg | None = None  # `NAME = value`

    def strings(self, index: int = -1) -> list[_Token]:
        return [s for a in self.args[index] if a.name is None for s in a.strings]

    def named(self, name: str, index: int = -1) -> _Arg | None:
        return next((a for a in self.args[index] if a.name == name), None)


class _Lexer:
    def __init__(self, text: str, display: str) -> None:
        self.text = text
        self.display = display
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.tokens: list[_Token] = []
        self.errors: list[ErrorEntry] = []

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def error(self, offset: int, message: str) -> None:
        line, column = self.position(offset)
        self.errors.append(ErrorEntry(self.display, message, line=line, column=column))

    def run(self) -> list[_Token]:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            char = text[i]
            if char == "\n" or char == ";":
                self.add("newline", char, i)
                i += 1
            elif char.isspace():
                i += 1
            elif text.startswith("//", i):
                end = text.find("\n", i)
                i = n if end == -1 else end
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                if end == -1:
                    self.error(i, "a `/*` comment is never closed")
                    return self.tokens
                i = end + 2
            elif char in "'\"":
                after = self.string(i)
                if after is None:
                    return self.tokens
                i = after
            elif _NAME_START.match(char):
                word = _NAME.match(text, i + 1)
                stop = word.end() if word else i + 1
                self.add("name", text[i:stop], i)
                i = stop
            elif char in _PUNCTUATION:
                self.add("punct", char, i)
                i += 1
            else:
                self.add("other", char, i)
                i += 1
        return self.tokens

    def add(self, kind: str, text: str, offset: int, positions: tuple[Any3, ...] = ()) -> None:
        line, column = self.position(offset)
        self.tokens.append(_Token(kind, text, line, column, positions))

    def string(self, start: int) -> int | None:
        """Read the string at `start`; the offset after it, or None when it is never closed."""
        text = self.text
        quote = text[start]
        delimiter = quote * 3 if text.startswith(quote * 3, start) else quote
        i = start + len(delimiter)
        begin = i
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if quote == '"' and text.startswith("${", i):
                i = self.skip_braces(i + 1)
                continue
            if text.startswith(delimiter, i):
                self.add_string(start, begin, i)
                return i + len(delimiter)
            if text[i] == "\n" and len(delimiter) == 1:
                break
            i += 1
        self.error(start, f"a string opened with {delimiter} is never closed")
        return None

    def skip_braces(self, i: int) -> int:
        depth = 0
        while i < len(self.text):
            char = self.text[i]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i

    def add_string(self, start: int, begin: int, end: int) -> None:
        """The string's value with its escapes undone, and where each of its pieces sits."""
        text = self.text
        value: list[str] = []
        positions: list[Any3] = [(0, *self.position(begin))]
        i = begin
        while i < end:
            char = text[i]
            if char == "\\" and i + 1 < end:
                following = text[i + 1]
                if following == "\n":
                    i += 2
                elif following in _SIMPLE_ESCAPES:
                    value.append(_SIMPLE_ESCAPES[following])
                    i += 2
                else:
                    value.append(char)
                    i += 1
                    continue
                positions.append((len(value), *self.position(i)))
                continue
            value.append(char)
            i += 1
            if char == "\n":
                positions.append((len(value), *self.position(i)))
        self.add("string", "".join(value), start, tuple(positions))


class _Parser:
    def __init__(self, tokens: list[_Token], display: str, truncated: bool = False) -> None:
        self.tokens = tokens
        self.display = display
        self.truncated = truncated  # the lexer stopped early: the end is not the file's end
        self.i = 0
        self.errors: list[ErrorEntry] = []
        self.depth = 0

    def peek(self, ahead: int = 0) -> _Token | None:
        index = self.i + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def is_punct(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind == "punct" and token.text == text

    def error(self, token: _Token, message: str) -> None:
        self.errors.append(ErrorEntry(self.display, message, line=token.line, column=token.column))

    def deeper(self, token: _Token | None) -> bool:
        """Go one level deeper; past MAX_DEPTH the rest of the file is not read (said once)."""
        if self.depth < MAX_DEPTH:
            self.depth += 1
            return True
        if token is not None and not self.truncated:
            self.error(token, f"nested deeper than {MAX_DEPTH} levels; the rest is not read")
        self.truncated = True
        self.i = len(self.tokens)
        return False

    def statements(self, opener: _Token | None) -> list[_Call]:
        """Calls until the `}` that closes `opener` (or the end of the file at the top)."""
        calls: list[_Call] = []
        if not self.deeper(opener or self.peek()):
            return calls
        try:
            while (token := self.peek()) is not None:
                if token.kind == "punct" and token.text == "}":
                    self.i += 1
                    if opener is not None:
                        return calls
                    self.error(token, "a `}` that closes nothing")
                elif token.kind == "name":
                    calls.append(self.call())
                elif token.kind == "punct" and token.text == "{":
                    self.i += 1
                    calls.append(_Call([], [[]], token.line, token.column, self.statements(token)))
                elif token.kind == "punct" and token.text in "([":
                    calls.extend(c for a in self.arguments() for c in _arg_calls(a))
                else:
                    self.i += 1
            if opener is not None and not self.truncated:
                self.error(opener, "a `{` that is never closed")
            return calls
        finally:
            self.depth -= 1

    def call(self) -> _Call:
        first = self.tokens[self.i]
        if not self.deeper(first):
            return _Call([first.text], [[]], first.line, first.column)
        try:
            return self.chain(first)
        finally:
            self.depth -= 1

    def chain(self, first: _Token) -> _Call:
        """`a.b(...).c(...)`, then its arguments without parentheses, or its assigned value,
        and the closure that follows."""
        self.i += 1
        call = _Call([first.text], [[]], first.line, first.column)
        while True:
            if self.is_punct("("):
                call.args[-1].extend(self.arguments())
                continue
            ahead = 0
            while (token := self.peek(ahead)) is not None and token.kind == "newline":
                ahead += 1  # a chain may go on at the next line's leading `.`
            name = self.peek(ahead + 1)
            if self.is_punct(".", ahead) and name is not None and name.kind == "name":
                self.i += ahead + 2
                call.names.append(name.text)
                call.args.append([])
            else:
                break
        if self.is_punct("=") and not self.is_punct("=", 1):
            self.i += 1
            call.assigned = self.value(("newline",), "})]")
            return call
        token = self.peek()
        if token is not None and (
            token.kind in ("string", "name")
            or (token.kind == "punct" and token.text == "[")
            or (token.kind == "other" and token.text not in "+-*/<>!&|?")
        ):
            call.args[-1].extend(self.command_arguments())
        if self.is_punct("{"):
            opener = self.tokens[self.i]
            self.i += 1
            call.block = self.statements(opener)
        return call

    def arguments(self) -> list[_Arg]:
        """`( ... )` or `[ ... ]`: comma-separated arguments, named ones included."""
        opener = self.tokens[self.i]
        if not self.deeper(opener):
            return []
        try:
            return self.bracketed(opener)
        finally:
            self.depth -= 1

    def bracketed(self, opener: _Token) -> list[_Arg]:
        closer = _CLOSERS[opener.text]
        self.i += 1
        found: list[_Arg] = []
        while (token := self.peek()) is not None:
            if token.kind == "punct" and token.text == closer:
                self.i += 1
                return found
            if token.kind == "punct" and token.text == ",":
                self.i += 1
                continue
            if token.kind == "newline":
                self.i += 1
                continue
            if token.kind == "punct" and token.text in "})]":
                self.error(token, f"`{token.text}` where `{closer}` was expected")
                return found  # the enclosing block may be the one it closes
            found.append(self.value((), closer + ","))
        if not self.truncated:
            self.error(opener, f"a `{opener.text}` that is never closed")
        return found

    def command_arguments(self) -> list[_Arg]:
        """Arguments without parentheses (`sh 'make'`, `sh script: 'x', label: 'y'`): up to the
        end of the line, a closure or a closing brace."""
        found = [self.value(("newline",), ",}{")]
        while self.is_punct(","):
            self.i += 1
            found.append(self.value(("newline",), ",}{"))
        return found

    def value(self, end_kinds: tuple[str, ...], end_puncts: str) -> _Arg:
        arg = _Arg()
        token = self.peek()
        if (
            token is not None
            and token.kind in ("name", "string")
            and self.is_punct(":", 1)
            and not self.is_punct(":", 2)
        ):
            arg.name = token.text
            self.i += 2
        while (token := self.peek()) is not None:
            if token.kind in end_kinds or (token.kind == "punct" and token.text in end_puncts):
                break
            if token.kind == "punct" and token.text == "{":
                self.i += 1
                arg.blocks.append(self.statements(token))
            elif token.kind == "punct" and token.text in "([":
                for inner in self.arguments():
                    arg.strings.extend(inner.strings)
                    arg.blocks.extend(inner.blocks)
                    arg.calls.extend(inner.calls)
            elif token.kind == "punct" and token.text in ")]}":
                break
            elif token.kind == "name":
                arg.calls.append(self.call())
            else:
                if token.kind == "string":
                    arg.strings.append(token)
                self.i += 1
        return arg


def _arg_calls(arg: _Arg) -> Iterator[_Call]:
    yield from arg.calls
    for block in arg.blocks:
        yield from block


@dataclass
class _JobBuilder:
    name: str
    location: Location
    steps: list[Step] = field(default_factory=list)
    containers: list[ContainerSpec] = field(default_factory=list)
    variables: list[EnvVar] = field(default_factory=list)

    def job(self) -> Job:
        return Job(
            self.name,
            self.location,
            tuple(self.steps),
            tuple(self.containers),
            tuple(self.variables),
        )


@dataclass
class _Reader:
    display: str
    errors: list[ErrorEntry] = field(default_factory=list)
    containers: list[ContainerSpec] = field(default_factory=list)
    jobs: list[_JobBuilder] = field(default_factory=list)

    def at(self, token: _Token | _Call) -> Location:
        return Location(self.display, token.line, token.column)

    def walk(self, calls: list[_Call], job: _JobBuilder) -> None:
        for call in calls:
            self.one(call, job)

    def one(self, call: _Call, job: _JobBuilder) -> None:
        names = call.names
        head = names[0] if names else ""
        if names == ["stage"]:
            self.stage(call, job)
            return
        if names == ["agent"]:
            self.agent(call, job)
            return
        if names == ["environment"] and call.block is not None:
            for assignment in call.block:
                if assignment.assigned is not None and len(assignment.names) == 1:
                    text = _text(assignment.assigned)
                    if text is not None:
                        job.variables.append(EnvVar(assignment.names[0], text, self.at(assignment)))
            return
        if names == ["withEnv"]:
            for token in call.strings(0):
                name, equals, value = token.text.partition("=")
                if equals and name:
                    job.variables.append(EnvVar(name.strip(), value, self.at(token)))
        if head == "sh":  # `sh '...'`, and `sh(...).trim()` too
            self.shell(call, job)
        elif head == "docker" and "image" in names:
            self.docker_image(call, job)
        elif names == ["docker", "build"]:
            job.steps.append(_action_step("docker.build", self.at(call)))
        elif len(names) >= 2 and names[-1] == "push":
            job.steps.append(_action_step("docker.push", self.at(call)))
        for arg in (a for args in call.args for a in args):
            self.walk(list(_arg_calls(arg)), job)
        if call.assigned is not None:
            self.walk(list(_arg_calls(call.assigned)), job)
        if call.block is not None:
            self.walk(call.block, job)

    def stage(self, call: _Call, parent: _JobBuilder) -> None:
        titles = call.strings(0)
        name = titles[0].text if titles else f"stage at line {call.line}"
        job = _JobBuilder(name, self.at(call), variables=list(parent.variables))
        self.jobs.append(job)
        self.walk(call.block or [], job)

    def agent(self, call: _Call, job: _JobBuilder) -> None:
        for inner in call.block or []:
            if inner.names == ["kubernetes"]:
                self.pod(inner, job)
            if inner.names != ["docker"]:
                continue
            image: _Token | None = next(iter(inner.strings()), None)
            options: list[_Token] = []
            for setting in inner.block or []:
                if setting.names == ["image"]:
                    image = next(iter(setting.strings()), image)
                elif setting.names == ["args"]:
                    options.extend(setting.strings())
            named = inner.named("image")
            if named is not None and named.strings:
                image = named.strings[0]
            named_args = inner.named("args")
            if named_args is not None:
                options.extend(named_args.strings)
            if image is not None:
                self.container(job, image, options, f"agent of {_where(job)}", "agent")

    def pod(self, call: _Call, job: _JobBuilder) -> None:
        """`agent { kubernetes { yaml '...' } }`: the pod's containers, read by the Kubernetes
        source at the lines the YAML sits on in the Jenkinsfile."""
        for setting in call.block or []:
            strings = setting.strings()
            if setting.names != ["yaml"] or not strings:
                continue
            token = strings[0]
            first_line = token.positions[0][1] if token.positions else token.line
            # blank lines up to the string's first line keep every YAML line at its own line
            result = load_kubernetes("\n" * (first_line - 1) + token.text, self.display)
            if result.skipped is not None:
                continue
            self.errors.extend(result.errors)
            job.containers.extend(result.containers)
            self.containers.extend(result.containers)

    def docker_image(self, call: _Call, job: _JobBuilder) -> None:
        names = call.names
        index = names.index("image")
        images = call.strings(index)
        if not images:
            return
        for method in _CONTAINER_METHODS:
            if method in names[index + 1 :]:
                options = call.strings(names.index(method, index + 1))
                self.container(
                    job,
                    images[0],
                    options[:1],
                    f"`docker.image('{images[0].text}').{method}` in {_where(job)}",
                    method,
                )
                break
        if names[-1] == "push":
            job.steps.append(_action_step("docker.push", self.at(call)))

    def container(
        self, job: _JobBuilder, image: _Token, options: list[_Token], name: str, what: str
    ) -> None:
        settings = RunSettings(self.display)
        for option in options:
            position = _shell_parser.LineMap(option.positions).at
            words = split_words(option.text, position)
            parsed, _, errors = parse_options(words, self.display, stop_at_image=False)
            self.errors.extend(errors)
            for flag in parsed:
                settings.apply(flag)
        self.errors.extend(settings.errors)
        where = self.at(image)
        spec = settings.spec(
            kind=CI,
            name=name,
            resource=f"{_resource(job)}.{what}",
            anchor=where,
            image=Located(image.text, where),
            env=job.variables,
        )
        job.containers.append(spec)
        self.containers.append(spec)

    def shell(self, call: _Call, job: _JobBuilder) -> None:
        named = call.named("script", 0)
        sources = named.strings if named is not None else call.strings(0)
        if not sources:
            return
        token = sources[0]
        masked, found = _mask_groovy(token.text)
        script = _shell_parser.parse(masked, line_map=list(token.positions))
        if found:
            script = restore_expressions(script, found)
        runs, errors = runs_from_script(script, self.display)
        self.errors.extend(shell_errors(script, self.display))
        self.errors.extend(errors)
        self.containers.extend(r.spec for r in runs if r.spec is not None)
        job.steps.append(Step(self.at(token), script=script))


def _text(arg: _Arg) -> str | None:
    if arg.strings:
        return arg.strings[0].text
    return None


def _where(job: _JobBuilder) -> str:
    return "the pipeline" if job.name == TOP_LEVEL_JOB else f"stage `{job.name}`"


def _resource(job: _JobBuilder) -> str:
    return TOP_LEVEL_JOB if job.name == TOP_LEVEL_JOB else f"stages.{job.name}"


def _action_step(name: str, where: Location) -> Step:
    return Step(where, uses=Located(name, where))


def _mask_groovy(text: str) -> tuple[str, list[str]]:
    """Groovy's `${expression}` (not a plain shell `${NAME}`) replaced by a shell variable of
    the same length, the expressions kept to be put back after the shell parser has run."""
    found: list[str] = []

    def mask(match: re.Match[str]) -> str:
        written = match.group(0)
        if _SHELL_PARAMETER.fullmatch(written):
            return written
        body = f"${{HG{placeholder_code(len(found))}"
        if len(body) + 1 > len(written):
            return written
        found.append(written)
        return body + "_" * (len(written) - len(body) - 1) + "}"

    return _GROOVY_EXPRESSION.sub(mask, text), found


def load_jenkinsfile(text: str, display: str) -> CiResult:
    """The Pipeline of a Jenkinsfile, the containers it starts, and what could not be read."""
    lexer = _Lexer(text, display)
    tokens = lexer.run()
    parser = _Parser(tokens, display, truncated=bool(lexer.errors))
    calls = parser.statements(None)
    reader = _Reader(display, [*lexer.errors, *parser.errors])
    top = _JobBuilder(TOP_LEVEL_JOB, Location(display, 1, 1))
    reader.jobs.append(top)
    reader.walk(calls, top)
    jobs = tuple(j.job() for j in reader.jobs if j.steps or j.containers or j is not top)
    pipeline = Pipeline(display, PLATFORM, jobs)
    return CiResult(tuple(reader.containers), tuple(reader.errors), pipeline)
