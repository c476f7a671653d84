"""CI workflows: the containers a pipeline starts, as ContainerSpecs.

GitHub Actions: a job's `container` and `services` (a string, or a mapping of image, options,
volumes, env, ports; `options` are `docker create` flags read by the same flag parser as a
`docker run` line), and every `docker run` in a step's `run` script.

GitLab CI: each job's `image` and `services` (with `default:`, the old top-level keywords,
`extends:`, `inherit:` and hidden `.templates` applied), its variables as the containers'
environment (so `DOCKER_HOST: tcp://docker:2375` is seen), and every `docker run` in `script`,
`before_script` and `after_script`. A `docker:dind` (or `docker:<version>-dind`) service is
reported as privileged, located at the service entry: the Docker daemon inside it starts only
when the runner runs the service with `privileged = true`, so the pipeline can only work if the
runner hands out full privileges.

Scripts are parsed with the shell parser at their exact file lines (block scalars included);
GitHub `${{ ... }}` expressions are kept as written. Containers described by a CI keyword have
kind `CI`; `docker run` lines found in scripts have kind `DOCKER_CLI`. Invalid YAML, keys of the
wrong type and shell that does not parse become error entries; everything else is still read.

Each file is also read as one `Pipeline` for the pipeline rules: its jobs, each with its steps
(GitHub: a step's `uses` with its `with` inputs, or its `run` script parsed; a job-level `uses`
of a reusable workflow is a step of its own; GitLab: each line of `before_script`, `script` and
`after_script` parsed), the containers it starts and its variables. GitLab `include:` templates
are kept by name; their content is not fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from hullguard.model import ErrorEntry, Located, Location
from hullguard.sources import _shell_parser
from hullguard.sources.docker_cli import (
    RunSettings,
    parse_options,
    runs_from_script,
    shell_errors,
)
from hullguard.sources.shell import Script, Word
from hullguard.sources.yaml import YList, YMap, load_documents
from hullguard.spec import CI, ContainerSpec, EnvVar

MAX_EXTENDS_DEPTH = 11  # GitLab's own limit on `extends` nesting
MAX_REFERENCE_DEPTH = 10
_GITLAB_KEYWORDS = frozenset(
    {
        "default", "include", "stages", "types", "variables", "workflow", "image", "services",
        "before_script", "after_script", "cache", "spec",
    }
)  # fmt: skip
_DEFAULT_KEYS = ("image", "services", "before_script", "after_script")
_POSIX_SHELLS = frozenset({"bash", "sh"})
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_PLACEHOLDER = re.compile(r"\$\{HG([a-z]+)_*\}")


@dataclass(frozen=True)
class Step:
    """One step of a job: an action (`uses`, with its `with` inputs) or a parsed script."""

    location: Location
    uses: Located[str] | None = None
    inputs: tuple[tuple[str, Located[str]], ...] = ()
    script: Script | None = None

    def input(self, name: str) -> Located[str] | None:
        return next((value for key, value in self.inputs if key == name), None)


@dataclass(frozen=True)
class Job:
    """A job: its steps in order, the containers it starts (its image or `container`, its
    services) and the variables its scripts see (GitLab: the pipeline's and the job's)."""

    name: str
    location: Location
    steps: tuple[Step, ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    variables: tuple[EnvVar, ...] = ()


@dataclass(frozen=True)
class Pipeline:
    """One CI file: `platform` is `github`, `gitlab` or `jenkins` (a Jenkinsfile, read by
    `sources.jenkins`); `includes` the GitLab templates and files it includes, as written."""

    path: str
    platform: str
    jobs: tuple[Job, ...] = ()
    includes: tuple[Located[str], ...] = ()


@dataclass(frozen=True)
class CiResult:
    containers: tuple[ContainerSpec, ...]
    errors: tuple[ErrorEntry, ...]
    pipeline: Pipeline | None = None


@dataclass
class _Reader:
    display: str
    lines: list[str]
    containers: list[ContainerSpec] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    seen_scripts: set[tuple[int | None, int | None]] = field(default_factory=set)
    platform: str = "github"
    jobs: list[Job] = field(default_factory=list)
    includes: list[Located[str]] = field(default_factory=list)
    parsed: dict[tuple[int | None, int | None], Script] = field(default_factory=dict)

    def error(self, location: Location, message: str) -> None:
        self.errors.append(
            ErrorEntry(self.display, message, line=location.line, column=location.column)
        )

    def result(self) -> CiResult:
        pipeline = Pipeline(self.display, self.platform, tuple(self.jobs), tuple(self.includes))
        return CiResult(tuple(self.containers), tuple(self.errors), pipeline)

    def documents(self, text: str) -> Iterator[YMap]:
        for document in load_documents(text, self.display):
            if document.error is not None:
                self.errors.append(
                    ErrorEntry(
                        self.display,
                        document.error.message,
                        line=document.error.line,
                        column=document.error.column,
                    )
                )
            elif isinstance(document.value, YMap):
                yield document.value
            elif document.value is not None:
                self.error(
                    Location(self.display, document.line), "expected a mapping at the top level"
                )

    def scalar_text(self, value: Any, location: Location) -> str | None:
        """A scalar as text as written (`22:22` stays `22:22`, `true` stays `true`); None for a
        mapping or sequence."""
        if isinstance(value, str):
            return value
        if isinstance(value, YMap | YList):
            return None
        raw = self.raw(location)
        if raw is not None:
            return raw
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def raw(self, location: Location) -> str | None:
        line, column, end = location.line, location.column, location.end_column
        if line is None or column is None or end is None or location.end_line != line:
            return None
        if not 0 < line <= len(self.lines):
            return None
        return self.lines[line - 1][column - 1 : end - 1].strip() or None

    def script(self, text: str, location: Location, *, expressions: bool = False) -> Script:
        """Find the `docker run` lines of a script written as a YAML scalar at `location`; the
        parsed script is returned (parsed once however many jobs share it)."""
        key = (location.line, location.column)
        if key in self.seen_scripts:
            return self.parsed.get(key, Script(()))
        self.seen_scripts.add(key)
        masked, found = _mask_expressions(text) if expressions else (text, [])
        script = _shell_parser.parse(masked, line_map=self.line_map(text, location))
        if found:
            script = restore_expressions(script, found)
        self.parsed[key] = script
        runs, errors = runs_from_script(script, self.display)
        self.errors.extend(shell_errors(script, self.display))
        self.errors.extend(errors)
        self.containers.extend(r.spec for r in runs if r.spec is not None)
        return script

    def line_map(self, value: str, location: Location) -> list[tuple[int, int, int]]:
        """Where each line of a scalar's value sits in the file: each source line's text is
        found in the value in order (block scalars, plain and quoted multi-line scalars)."""
        first, last = location.line or 1, location.end_line or location.line or 1
        start_column = location.column or 1
        entries: list[tuple[int, int, int]] = []
        pointer = 0
        quoted = False
        for number in range(first, min(last, len(self.lines)) + 1):
            source = self.lines[number - 1]
            begin = start_column - 1 if number == first else 0
            end = (location.end_column or 1) - 1 if number == last else len(source)
            segment = source[begin:end]
            if number == first:
                head = segment.lstrip()[:1]
                if head in ("|", ">"):
                    continue
                quoted = head in ("'", '"')
            content = segment.strip()
            lead = len(segment) - len(segment.lstrip())
            if quoted and number == first:
                content, lead = content[1:], lead + 1
            if quoted and number == last:
                content = content[:-1]
            if not content:
                continue
            at = value.find(content, pointer)
            if at == -1:
                token = content.split()[0]
                at = value.find(token, pointer)
                if at == -1:
                    continue
                content = token
            entries.append((at, number, begin + lead + 1))
            pointer = at + len(content)
        if not entries:
            entries.append((0, first, start_column))
        return entries

    def settings_from_options(self, settings: RunSettings, text: str, location: Location) -> None:
        words = split_words(text, _shell_parser.LineMap(self.line_map(text, location)).at)
        options, _, errors = parse_options(words, self.display, stop_at_image=False)
        self.errors.extend(errors)
        for option in options:
            settings.apply(option)


def _mask_expressions(text: str) -> tuple[str, list[str]]:
    """`${{ expr }}` replaced by a shell variable of the same length (so that positions hold),
    the expressions kept to be put back."""
    found: list[str] = []

    def mask(match: re.Match[str]) -> str:
        code = placeholder_code(len(found))
        body = f"${{HG{code}"
        if len(body) + 1 > len(match.group(0)):
            return match.group(0)
        found.append(match.group(0))
        return body + "_" * (len(match.group(0)) - len(body) - 1) + "}"

    return _EXPRESSION.sub(mask, text), found


def placeholder_code(index: int) -> str:
    """The letters of the `index`-th `${HG...}` placeholder (a, b, ..., z, ba, ...)."""
    code = ""
    while True:
        code = chr(ord("a") + index % 26) + code
        index //= 26
        if index == 0:
            return code


def _number(code: str) -> int:
    index = 0
    for letter in code:
        index = index * 26 + ord(letter) - ord("a")
    return index


def restore_expressions(script: Script, expressions: list[str]) -> Script:
    """The script's words with each `${HG...}` placeholder put back to the CI expression it
    stood for while the shell parser read the script."""

    def restore(text: str) -> str:
        def put_back(match: re.Match[str]) -> str:
            index = _number(match.group(1))
            return expressions[index] if index < len(expressions) else match.group(0)

        return _PLACEHOLDER.sub(put_back, text) if "${HG" in text else text

    commands = tuple(
        replace(
            command,
            words=tuple(
                replace(w, text=restore(w.text), raw=restore(w.raw)) for w in command.words
            ),
        )
        for command in script.commands
    )
    return Script(commands, script.errors)


def split_words(text: str, position: Any) -> list[Word]:
    """A flag string split as a command line is: whitespace separates, quotes group, a
    backslash escapes, and a `${{ ... }}` expression is one piece."""
    words: list[Word] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        pieces: list[str] = []
        while i < n and not text[i].isspace():
            char = text[i]
            if text.startswith("${{", i):
                close = text.find("}}", i)
                close = n if close == -1 else close + 2
                pieces.append(text[i:close])
                i = close
            elif char in "'\"":
                close = text.find(char, i + 1)
                close = n if close == -1 else close
                pieces.append(text[i + 1 : close])
                i = close + 1
            elif char == "\\" and i + 1 < n:
                pieces.append(text[i + 1])
                i += 2
            else:
                pieces.append(char)
                i += 1
        line, column = position(start)
        words.append(Word("".join(pieces), text[start:i], line, column))
    return words


# --- GitHub Actions ---------------------------------------------------------------------------


def load_github_workflow(text: str, display: str) -> CiResult:
    """The containers of a GitHub Actions workflow file."""
    reader = _Reader(display, text.split("\n"))
    for workflow in reader.documents(text):
        jobs = workflow.get("jobs")
        if jobs is None:
            continue
        if not isinstance(jobs, YMap):
            reader.error(workflow.at("jobs"), "`jobs` should be a mapping")
            continue
        workflow_shell = _default_shell(reader, workflow)
        for job_id, job in jobs.items():
            if not isinstance(job, YMap):
                reader.error(jobs.at(job_id), f"job `{job_id}` should be a mapping")
                continue
            _github_job(reader, str(job_id), job, _default_shell(reader, job) or workflow_shell)
    return reader.result()


def _default_shell(reader: _Reader, node: YMap) -> str | None:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, YMap) else None
    shell = run.get("shell") if isinstance(run, YMap) else None
    return shell if isinstance(shell, str) else None


def _github_job(reader: _Reader, job_id: str, job: YMap, default_shell: str | None) -> None:
    containers: list[ContainerSpec | None] = []
    pipeline_steps: list[Step] = []
    if "container" in job:
        containers.append(
            _github_container(
                reader,
                job["container"],
                job.at("container"),
                name=f"job `{job_id}` container",
                resource=f"jobs.{job_id}.container",
            )
        )
    services = job.get("services")
    if isinstance(services, YMap):
        for service_name, service in services.items():
            containers.append(
                _github_container(
                    reader,
                    service,
                    services.at(service_name),
                    name=f"service `{service_name}` of job `{job_id}`",
                    resource=f"jobs.{job_id}.services.{service_name}",
                )
            )
    elif services is not None:
        reader.error(job.at("services"), "`services` should be a mapping")
    if isinstance(job.get("uses"), str):  # a reusable workflow
        pipeline_steps.append(_github_uses_step(reader, job))
    steps = job.get("steps")
    if steps is not None and not isinstance(steps, YList):
        reader.error(job.at("steps"), "`steps` should be a list")
    for index, step in enumerate(steps if isinstance(steps, YList) else []):
        if isinstance(step, YMap) and isinstance(step.get("uses"), str):
            pipeline_steps.append(_github_uses_step(reader, step))
        if not isinstance(step, YMap) or "run" not in step:
            continue
        shell = step.get("shell", default_shell)
        program = shell.split()[0] if isinstance(shell, str) and shell.split() else "bash"
        if program not in _POSIX_SHELLS:
            continue  # pwsh, python, cmd: not shell
        if isinstance(step["run"], str):
            script = reader.script(step["run"], step.at("run"), expressions=True)
            pipeline_steps.append(Step(step.at("run"), script=script))
        else:
            reader.error(step.at("run"), f"`run` of step {index + 1} should be a string")
    reader.jobs.append(
        Job(
            job_id,
            job.location,
            tuple(pipeline_steps),
            tuple(c for c in containers if c is not None),
        )
    )


def _github_uses_step(reader: _Reader, node: YMap) -> Step:
    """A `uses` step (or a job calling a reusable workflow) with its `with` inputs as text."""
    inputs: list[tuple[str, Located[str]]] = []
    given = node.get("with")
    if isinstance(given, YMap):
        for key, value in given.items():
            text = reader.scalar_text(value, given.at(key))
            if text is not None:
                inputs.append((str(key), Located(text, given.at(key))))
    uses = Located(str(node["uses"]), node.at("uses"))
    return Step(node.at("uses"), uses=uses, inputs=tuple(inputs))


def _github_container(
    reader: _Reader, value: Any, location: Location, *, name: str, resource: str
) -> ContainerSpec | None:
    settings = RunSettings(reader.display)
    image: Located[str] | None = None
    if isinstance(value, str):
        image = Located(value, location)
    elif isinstance(value, YMap):
        raw_image = value.get("image")
        if isinstance(raw_image, str):
            image = Located(raw_image, value.at("image"))
        elif raw_image is not None:
            reader.error(value.at("image"), "`image` should be a string")
        options = value.get("options")
        if isinstance(options, str):
            reader.settings_from_options(settings, options, value.at("options"))
        elif options is not None:
            reader.error(value.at("options"), "`options` should be a string")
        for item, at in _list_items(reader, value, "volumes"):
            text = reader.scalar_text(item, at)
            if text is None:
                reader.error(at, "a volume should be a string")
            else:
                settings.volume(text, at)
        for item, at in _list_items(reader, value, "ports"):
            text = reader.scalar_text(item, at)
            if text is None:
                reader.error(at, "a port should be a number or a string")
            else:
                settings.port(text, at)
        for variable in _env_vars(reader, value, "env"):
            settings.env[variable.name] = variable
    elif value is not None:
        reader.error(location, "a container should be a string or a mapping")
        return None
    if image is None or not image.value:
        return None
    reader.errors.extend(settings.errors)
    spec = settings.spec(kind=CI, name=name, resource=resource, anchor=location, image=image)
    reader.containers.append(spec)
    return spec


def _list_items(reader: _Reader, node: YMap, key: str) -> Iterator[tuple[Any, Location]]:
    value = node.get(key)
    if value is None:
        return
    if not isinstance(value, YList):
        reader.error(node.at(key), f"`{key}` should be a list")
        return
    for index, item in enumerate(value):
        yield item, value.at(index)


def _env_vars(reader: _Reader, node: YMap, key: str) -> list[EnvVar]:
    """A mapping of variables; GitLab's `{value: ..., description: ...}` form included."""
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, YMap):
        reader.error(node.at(key), f"`{key}` should be a mapping")
        return []
    variables = []
    for name, item in value.items():
        at = value.at(name)
        if isinstance(item, YMap):
            at = item.at("value")
            item = item.get("value", "")
        text = reader.scalar_text(item, at)
        if text is None:
            reader.error(at, f"variable `{name}` should be a string")
            continue
        variables.append(EnvVar(str(name), text, at))
    return variables


# --- GitLab CI --------------------------------------------------------------------------------


def load_gitlab_ci(text: str, display: str) -> CiResult:
    """The containers of a `.gitlab-ci.yml` pipeline."""
    reader = _Reader(display, text.split("\n"), platform="gitlab")
    for pipeline in reader.documents(text):
        _gitlab_includes(reader, pipeline)
        _gitlab_pipeline(reader, pipeline)
    return reader.result()


def _gitlab_includes(reader: _Reader, pipeline: YMap) -> None:
    """`include:` entries by name: a string, or the `template`/`local`/`project`/`remote`/
    `component` of a mapping."""
    value = pipeline.get("include")
    items: list[tuple[Any, Location]] = []
    if isinstance(value, YList):
        items = [(item, value.at(index)) for index, item in enumerate(value)]
    elif isinstance(value, str | YMap):
        items = [(value, pipeline.at("include"))]
    for item, at in items:
        if isinstance(item, str):
            reader.includes.append(Located(item, at))
        elif isinstance(item, YMap):
            for key in ("template", "local", "project", "remote", "component"):
                if isinstance(item.get(key), str):
                    reader.includes.append(Located(item[key], item.at(key)))


def _gitlab_pipeline(reader: _Reader, pipeline: YMap) -> None:
    defaults = YMap(pipeline.location)
    for key in _DEFAULT_KEYS:  # the old top-level keywords, overridden by `default:`
        if key in pipeline:
            _copy(defaults, pipeline, key)
    default = pipeline.get("default")
    if isinstance(default, YMap):
        for key in _DEFAULT_KEYS:
            if key in default:
                _copy(defaults, default, key)
    elif default is not None:
        reader.error(pipeline.at("default"), "`default` should be a mapping")
    global_variables = _env_vars(reader, pipeline, "variables")

    groups: dict[tuple[str, ContainerSpec], tuple[str, list[str]]] = {}
    for name, job in pipeline.items():
        if not isinstance(name, str) or name in _GITLAB_KEYWORDS or name.startswith("."):
            continue
        if not isinstance(job, YMap):
            reader.error(pipeline.at(name), f"job `{name}` should be a mapping")
            continue
        resolved = _extended(reader, pipeline, name, job, 0, ())
        for role, resource, spec in _gitlab_job(
            reader, pipeline, name, resolved, defaults, global_variables
        ):
            groups.setdefault((role, spec), (resource, []))[1].append(name)
    for (role, spec), (resource, jobs) in groups.items():
        reader.containers.append(replace(spec, name=_group_name(role, jobs), resource=resource))


def _group_name(role: str, jobs: list[str]) -> str:
    """`job `a` container` or `service `db` of job `a``; a container that several jobs start
    alike (a `default:` image) is reported once, the other jobs counted."""
    head = f"job `{jobs[0]}` container" if role == "container" else f"{role} of job `{jobs[0]}`"
    if len(jobs) == 1:
        return head
    others = ", ".join(f"`{j}`" for j in jobs[1:4])
    more = f" and {len(jobs) - 4} more" if len(jobs) > 4 else ""
    return f"{head} (also jobs {others}{more})"


def _copy(target: YMap, source: YMap, key: Any) -> None:
    target[key] = source[key]
    target.key_locations[key] = source.key_locations.get(key, source.location)
    target.value_locations[key] = source.at(key)


def _merged(base: YMap, override: YMap) -> YMap:
    """GitLab's `extends` merge: mappings merge deeply, any other value is replaced."""
    result = YMap(override.location)
    for key in base:
        _copy(result, base, key)
    for key, value in override.items():
        if isinstance(value, YMap) and isinstance(result.get(key), YMap):
            result[key] = _merged(result[key], value)
            result.key_locations[key] = override.key_locations.get(key, override.location)
            result.value_locations[key] = override.at(key)
        else:
            _copy(result, override, key)
    return result


def _extended(
    reader: _Reader, pipeline: YMap, name: str, job: YMap, depth: int, chain: tuple[str, ...]
) -> YMap:
    parents = job.get("extends")
    if parents is None:
        return job
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        reader.error(job.at("extends"), "`extends` should be a job name or a list of them")
        return job
    if depth >= MAX_EXTENDS_DEPTH or name in chain:
        reader.error(job.at("extends"), f"`extends` of `{name}` nests too deep or loops")
        return job
    result = YMap(job.location)
    for parent in parents:
        base = pipeline.get(parent)
        if not isinstance(base, YMap):
            reader.error(job.at("extends"), f"`extends`: no job or template `{parent}`")
            continue
        result = _merged(
            result, _extended(reader, pipeline, parent, base, depth + 1, (*chain, name))
        )
    return _merged(result, job)


def _inherits(reader: _Reader, job: YMap, what: str, key: str) -> bool:
    inherit = job.get("inherit")
    if not isinstance(inherit, YMap) or what not in inherit:
        return True
    choice = inherit[what]
    if isinstance(choice, bool):
        return choice
    if isinstance(choice, list):
        return key in choice
    reader.error(inherit.at(what), f"`inherit.{what}` should be true, false or a list")
    return True


def _gitlab_job(
    reader: _Reader,
    pipeline: YMap,
    name: str,
    job: YMap,
    defaults: YMap,
    global_variables: list[EnvVar],
) -> list[tuple[str, str, ContainerSpec]]:
    """The job's containers as (role, resource, spec), the spec's name and resource left empty
    so that jobs starting the same container can be grouped."""

    def setting(key: str) -> tuple[Any, Location] | None:
        if key in job:
            return job[key], job.at(key)
        if key in defaults and _inherits(reader, job, "default", key):
            return defaults[key], defaults.at(key)
        return None

    variables: dict[str, EnvVar] = {}
    for variable in global_variables:
        if _inherits(reader, job, "variables", variable.name):
            variables[variable.name] = variable
    for variable in _env_vars(reader, job, "variables"):
        variables[variable.name] = variable

    specs: list[tuple[str, str, ContainerSpec]] = []
    steps: list[Step] = []
    image = setting("image")
    if image is not None:
        found = _gitlab_container(reader, *image, variables, kind_of="container")
        if found is not None:
            specs.append((found[0], f"{name}.image", found[1]))
    services = setting("services")
    if services is not None:
        value, at = services
        if isinstance(value, YList):
            for index, service in enumerate(value):
                found = _gitlab_container(
                    reader, service, value.at(index), variables, kind_of="service"
                )
                if found is not None:
                    specs.append((found[0], f"{name}.services[{index}]", found[1]))
        else:
            reader.error(at, "`services` should be a list")
    for key in ("before_script", "script", "after_script"):
        script = setting(key)  # `script` has no default: only the job's own counts
        if script is not None:
            _gitlab_script(reader, pipeline, *script, key, 0, steps)
    reader.jobs.append(
        Job(
            name,
            job.location,
            tuple(steps),
            tuple(
                replace(spec, name=_group_name(role, [name]), resource=resource)
                for role, resource, spec in specs
            ),
            tuple(variables.values()),
        )
    )
    return specs


def _gitlab_container(
    reader: _Reader,
    value: Any,
    location: Location,
    variables: dict[str, EnvVar],
    *,
    kind_of: str,
) -> tuple[str, ContainerSpec] | None:
    settings = RunSettings(reader.display)
    own: list[EnvVar] = []
    alias: str | None = None
    if isinstance(value, str):
        image = Located(value, location)
    elif isinstance(value, YMap):
        raw_name = value.get("name")
        if not isinstance(raw_name, str):
            reader.error(value.at("name") if "name" in value else location, "no image `name`")
            return None
        image = Located(raw_name, value.at("name"))
        raw_alias = value.get("alias")
        alias = raw_alias.split(",")[0].strip() if isinstance(raw_alias, str) else None
        docker = value.get("docker")
        if isinstance(docker, YMap) and isinstance(docker.get("user"), str | int):
            user = reader.scalar_text(docker["user"], docker.at("user"))
            settings.user = Located(user or "", docker.at("user"))
        own = _env_vars(reader, value, "variables") if kind_of == "service" else []
    else:
        reader.error(location, f"`{'image' if kind_of == 'container' else 'services'}` entry "
                     "should be a string or a mapping")  # fmt: skip
        return None
    if not image.value:
        return None
    if kind_of == "service" and _is_dind(image.value):
        settings.privileged = Located(True, location)
    for variable in own:
        settings.env[variable.name] = variable
    reader.errors.extend(settings.errors)
    role = "container" if kind_of == "container" else f"service `{alias or image.value}`"
    spec = settings.spec(
        kind=CI, name="", resource="", anchor=location, image=image, env=variables.values()
    )
    return role, spec


def _is_dind(image: str) -> bool:
    """`docker:dind`, `docker:27-dind`, `docker:dind-rootless`, from any registry."""
    last = image.split("@")[0].rsplit("/", 1)[-1]
    repository, _, tag = last.partition(":")
    return repository == "docker" and "dind" in tag


def _gitlab_script(
    reader: _Reader,
    pipeline: YMap,
    value: Any,
    location: Location,
    key: str,
    depth: int,
    steps: list[Step],
) -> None:
    if isinstance(value, str):
        steps.append(Step(location, script=reader.script(value, location)))
        return
    if not isinstance(value, YList):
        if isinstance(value, int | float | bool):
            return
        reader.error(location, f"`{key}` should be a string or a list of strings")
        return
    if depth > MAX_REFERENCE_DEPTH:
        reader.error(location, f"`{key}` nests too deep")
        return
    reference = _reference(pipeline, value) if depth > 0 else None
    if reference is not None:
        _gitlab_script(reader, pipeline, *reference, key, depth + 1, steps)
        return
    for index, item in enumerate(value):
        _gitlab_script(reader, pipeline, item, value.at(index), key, depth + 1, steps)


def _reference(pipeline: YMap, value: YList) -> tuple[Any, Location] | None:
    """`!reference [.template, script]`: a list of keys whose first names a top-level key."""
    if len(value) < 2 or not all(isinstance(k, str) for k in value):
        return None
    node: Any = pipeline
    location = value.location
    for key in value:
        if not isinstance(node, YMap) or key not in node:
            return None
        node, location = node[key], node.at(key)
    return node, location
