"""The engine: targets in, Report out. One bad file or one crashing rule never stops the scan."""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from hullguard import __version__
from hullguard.config import SIGNATURE_RULES, Config
from hullguard.discovery import (
    CI,
    COMPOSE,
    DOCKERFILE,
    KUBERNETES,
    LOCKFILE,
    SCRIPT,
    Candidate,
    classify_name,
    is_jenkinsfile,
    sniff_yaml,
    walk,
)
from hullguard.imageref import try_parse_image_ref
from hullguard.model import (
    ErrorEntry,
    ErrorKind,
    Finding,
    Located,
    Report,
    Target,
    TargetStatus,
)
from hullguard.progress import progress
from hullguard.registry import (
    CONTAINER,
    IMAGE,
    PIPELINE,
    WORKLOAD,
    Context,
    Rule,
    all_rules,
    rules_matching,
)
from hullguard.registry import DOCKERFILE as DOCKERFILE_MODEL
from hullguard.sources.dockerfile import parse_dockerfile
from hullguard.spec import ContainerSpec, ImageSpec, image_spec_from_dockerfile
from hullguard.suppress import Suppressions, parse_suppressions

_SNIFF_BYTES = 64 * 1024
LARGE_TREE = 300  # from this many files (or targets to check) a scan on a terminal shows a bar


@dataclass(frozen=True)
class ScanRequest:
    paths: tuple[str, ...]
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()
    compose_files: tuple[str, ...] = ()  # `-f a.yml -f b.yml`: one Compose project, merged


def select_rules(config: Config) -> list[Rule]:
    """The rules a run uses: the profile's, narrowed by `select`, minus `ignore`."""
    rules = all_rules()
    if config.profile in ("pss-baseline", "pss-restricted"):
        levels = ("pss:baseline/",) if config.profile == "pss-baseline" else ("pss:",)
        rules = [
            r
            for r in rules
            if WORKLOAD in r.targets and any(x.startswith(levels) for x in r.references)
        ]
    elif config.profile == "cis-docker":
        rules = [r for r in rules if r.reference_ids("cis-docker")]
    if config.select:
        chosen = {r.id for token in config.select for r in rules_matching(token)}
        rules = [r for r in rules if r.id in chosen]
    if config.ignore:
        dropped = {r.id for token in config.ignore for r in rules_matching(token)}
        rules = [r for r in rules if r.id not in dropped]
    return rules


def unknown_rule_tokens(tokens: Iterable[str]) -> list[str]:
    return [t for t in tokens if not rules_matching(t)]


@dataclass
class Unit:
    """What the rules of one target look at: its models, and the file findings default to
    (a path, or a logical name such as `daemon` for live targets)."""

    kind: str
    display: str
    models: list[tuple[str, Any]]


@dataclass
class _Run:
    request: ScanRequest
    rules: list[Rule]
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    suppressed: int = 0
    baselined: int = 0
    units: list[Unit] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)  # display path -> source lines
    spans: dict[str, Callable[[int], tuple[int, int] | None]] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)  # display path -> file
    image_specs: dict[str, ImageSpec | None] = field(default_factory=dict)  # by real path
    suppressions: dict[str, Suppressions] = field(default_factory=dict)  # by display path
    runtime_classes: list[Any] = field(default_factory=list)  # Kubernetes RuntimeClass objects

    def lines_of(self, display: str) -> list[str] | None:
        """The lines of a file the run read (or may read: one a source pulled in)."""
        if display not in self.lines and display in self.paths:
            try:
                text = self.paths[display].read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self.lines[display] = text.splitlines()
        return self.lines.get(display)


def scan(request: ScanRequest) -> Report:
    rules = select_rules(request.config)
    options = {r.id: request.config.options_for(r.id, r.options) for r in rules}
    run = _Run(request, rules, options)
    seen: set[str] = set()
    compose: list[Candidate] = []
    explicit = [Path(f) for f in request.compose_files]
    explicit_real = {os.path.realpath(f) for f in explicit}
    candidates = list(_candidates(request, run))  # listed first: a large tree gets a bar
    with progress("Reading files", total=len(candidates), minimum=LARGE_TREE) as bar:
        for candidate in candidates:
            bar.advance()
            real = os.path.realpath(candidate.path)
            if real in seen or real in explicit_real:
                continue
            seen.add(real)
            if candidate.kind == COMPOSE and not candidate.skip_reason:
                compose.append(candidate)
            else:
                _load_candidate(run, candidate)
        if explicit:
            _load_compose_project(run, [Candidate(p, _display(str(p)), COMPOSE) for p in explicit])
        for project in _compose_projects(compose):
            _load_compose_project(run, project)
    _resolve_effective_users(run)
    _resolve_runtime_classes(run)
    _verify_signatures(run)
    _match_vulnerabilities(run)
    with progress("Checking", total=len(run.units), minimum=LARGE_TREE) as bar:
        for unit in run.units:
            _run_rules(run, unit)
            bar.advance()
    return _report(run)


def judge(
    units: list[Unit],
    *,
    config: Config,
    baseline: frozenset[str] = frozenset(),
    targets: list[Target] | None = None,
    errors: list[ErrorEntry] | None = None,
) -> Report:
    """Run the configured rules over models gathered elsewhere (a live host, an image) and
    make the report, with suppressions by file where findings point into files."""
    request = ScanRequest(paths=(), config=config, baseline=baseline)
    rules = select_rules(config)
    options = {r.id: config.options_for(r.id, r.options) for r in rules}
    run = _Run(request, rules, options)
    run.targets.extend(targets or [])
    run.errors.extend(errors or [])
    run.units.extend(units)
    _verify_signatures(run)
    _match_vulnerabilities(run)
    for unit in run.units:
        _run_rules(run, unit)
    return _report(run)


def _report(run: _Run) -> Report:
    run.findings.sort(key=lambda f: (f.location.path or "", f.location.line or 0, f.rule_id))
    return Report(
        version=__version__,
        targets=tuple(run.targets),
        findings=tuple(run.findings),
        errors=tuple(run.errors),
        suppressed=run.suppressed,
        baselined=run.baselined,
        fail_on=run.request.config.fail_on,
    )


def _display(given: str) -> str:
    display = PurePosixPath(given).as_posix().rstrip("/") or "/"
    if display.startswith("./") and len(display) > 2:
        display = display[2:]
    return display


def _candidates(request: ScanRequest, run: _Run) -> Iterator[Candidate]:
    excludes = request.config.exclude
    for given in request.paths:
        path = Path(given)
        display = _display(given)
        if path.is_dir():
            yield from walk(path, "" if display == "." else display, excludes)
        elif path.exists():
            # The path as given, not the name alone: a workflow is known by its folder.
            kind = classify_name(PurePosixPath(display))
            if kind is None:
                run.targets.append(
                    Target("unknown", display, TargetStatus.SKIPPED,
                           "not a Dockerfile, compose file, Kubernetes manifest, CI file, "
                           "script or lock file by its name")
                )  # fmt: skip
                continue
            yield Candidate(path, display, kind)
        else:
            run.targets.append(Target("unknown", display, TargetStatus.ERROR, "no such file"))
            run.errors.append(ErrorEntry(display, "no such file or directory", kind=ErrorKind.READ))


def _read(run: _Run, candidate: Candidate) -> str | None:
    """The text of a candidate, or None (with a target and error entry saying why)."""
    display = candidate.display
    if candidate.skip_reason:
        run.targets.append(
            Target(candidate.kind, display, TargetStatus.SKIPPED, candidate.skip_reason)
        )
        return None
    limit = run.request.config.max_file_size
    try:
        status = candidate.path.stat()
        if not stat.S_ISREG(status.st_mode):  # a FIFO would block the scan on opening
            _skip_with_error(run, candidate, "not a regular file (a FIFO, socket or device)")
            return None
        size = status.st_size
        if size > limit:
            note = f"file is {size:,} bytes, over the {limit:,}-byte limit (max-file-size)"
            _skip_with_error(run, candidate, note)
            return None
        data = candidate.path.read_bytes()
    except OSError as exc:
        run.targets.append(Target(candidate.kind, display, TargetStatus.ERROR, exc.strerror))
        run.errors.append(ErrorEntry(display, f"cannot read: {exc.strerror}", kind=ErrorKind.READ))
        return None
    if candidate.kind == KUBERNETES and not sniff_yaml(data[:_SNIFF_BYTES]):
        return None  # a YAML file that is not a manifest: not a target
    nul = data.find(b"\0", 0, 8192)
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        _skip_with_error(run, candidate, "binary file (a NUL byte)", line, column)
        return None
    text = _decode(data, display, run.errors)
    run.lines[display] = text.splitlines()
    run.paths[display] = candidate.path
    return text


def _load_candidate(run: _Run, candidate: Candidate) -> None:
    text = _read(run, candidate)
    if text is None:
        return
    display = candidate.display
    loader = _LOADERS[candidate.kind]
    skipped = loader(run, candidate, text)
    if skipped:
        run.targets.append(Target(candidate.kind, display, TargetStatus.SKIPPED, skipped))
    else:
        run.targets.append(Target(candidate.kind, display))


def _skip_with_error(
    run: _Run, candidate: Candidate, note: str, line: int | None = None, column: int | None = None
) -> None:
    run.targets.append(Target(candidate.kind, candidate.display, TargetStatus.SKIPPED, note))
    run.errors.append(
        ErrorEntry(candidate.display, f"skipped: {note}", line, column, kind=ErrorKind.READ)
    )


def _decode(data: bytes, display: str, errors: list[ErrorEntry]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        errors.append(
            ErrorEntry(display, f"invalid UTF-8 ({exc.reason}); undecodable bytes replaced",
                       line=line, column=column, kind=ErrorKind.PARSE)
        )  # fmt: skip
        return data.decode("utf-8", errors="replace")


def _load_dockerfile(run: _Run, candidate: Candidate, text: str) -> str | None:
    dockerfile = parse_dockerfile(text, candidate.display, run.request.config.build_args)
    for error in dockerfile.errors:
        run.errors.append(
            ErrorEntry(candidate.display, error.message, line=error.line, column=error.column)
        )
    models: list[tuple[str, Any]] = [(DOCKERFILE_MODEL, dockerfile)]
    spec = image_spec_from_dockerfile(dockerfile)
    if spec is not None:
        models.append((IMAGE, spec))
    run.image_specs[os.path.realpath(candidate.path)] = spec
    starts = sorted(
        (i.location.line or 0, i.location.end_line or i.location.line or 0)
        for i in dockerfile.instructions
    )

    def statement_span(line: int) -> tuple[int, int] | None:
        for first, last in starts:
            if first >= line:
                return first, last
        return None

    run.spans[candidate.display] = statement_span
    run.units.append(Unit(DOCKERFILE, candidate.display, models))
    return None


def _load_kubernetes(run: _Run, candidate: Candidate, text: str) -> str | None:
    from hullguard.sources.kubernetes import load_kubernetes

    result = load_kubernetes(text, candidate.display)
    if result.skipped:
        return result.skipped
    run.errors.extend(result.errors)
    run.runtime_classes.extend(result.runtime_classes)
    models: list[tuple[str, Any]] = [(WORKLOAD, w) for w in result.workloads]
    models += [(CONTAINER, c) for c in result.containers]
    run.units.append(Unit(KUBERNETES, candidate.display, models))
    return None


def _load_script(run: _Run, candidate: Candidate, text: str) -> str | None:
    from hullguard.sources.docker_cli import load_makefile, load_script

    name = candidate.path.name.lower()
    load = load_makefile if name in ("makefile", "gnumakefile") else load_script
    result = load(text, candidate.display)
    run.errors.extend(result.errors)
    run.units.append(Unit(SCRIPT, candidate.display, [(CONTAINER, c) for c in result.containers]))
    return None


def _load_ci(run: _Run, candidate: Candidate, text: str) -> str | None:
    from hullguard.sources.ci import load_github_workflow, load_gitlab_ci
    from hullguard.sources.jenkins import load_jenkinsfile

    github = "/.github/workflows/" in f"/{candidate.display}"
    if is_jenkinsfile(candidate.path.name):
        result = load_jenkinsfile(text, candidate.display)
    else:
        result = (load_github_workflow if github else load_gitlab_ci)(text, candidate.display)
    run.errors.extend(result.errors)
    models: list[tuple[str, Any]] = [(CONTAINER, c) for c in result.containers]
    if result.pipeline is not None:
        models.append((PIPELINE, result.pipeline))
    run.units.append(Unit(CI, candidate.display, models))
    return None


_MAIN_COMPOSE = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_OVERRIDE = re.compile(r"^(docker-)?compose\.override\.ya?ml$", re.IGNORECASE)


def _compose_projects(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Compose files grouped as `docker compose` reads them: in each folder the main file with
    its `*.override.yml`; every other compose file is a project of its own."""
    by_folder: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_folder.setdefault(str(candidate.path.parent), []).append(candidate)
    projects: list[list[Candidate]] = []
    for members in by_folder.values():
        main = next((c for c in members if c.path.name.lower() in _MAIN_COMPOSE), None)
        overrides = [c for c in members if _OVERRIDE.match(c.path.name)]
        for candidate in members:
            if candidate is main:
                projects.append([main, *overrides])
            elif candidate in overrides and main is not None:
                continue
            else:
                projects.append([candidate])
    return projects


def _load_compose_project(run: _Run, members: list[Candidate]) -> None:
    from hullguard.sources.compose import load_compose

    readable = [c for c in members if _read(run, c) is not None]
    if not readable:
        return
    root = readable[0]

    def display(path: Path) -> str:
        for member in readable:
            if path == member.path:
                return member.display
        try:
            relative = os.path.relpath(path, root.path.parent)
        except ValueError:
            relative = str(path)
        parent = PurePosixPath(root.display).parent.as_posix()
        shown = relative if parent == "." else f"{parent}/{relative}"
        shown = posixpath.normpath(shown) if not relative.startswith("/") else relative
        run.paths.setdefault(shown, path)
        return shown

    result = load_compose(
        [c.path for c in readable],
        display,
        allowed=_inside_scan(run),
        profiles=run.request.config.compose_profiles,
    )
    run.errors.extend(result.errors)
    for member in readable:
        run.targets.append(Target(COMPOSE, member.display))
    run.units.append(Unit(COMPOSE, root.display, [(CONTAINER, c) for c in result.containers]))


def _inside_scan(run: _Run) -> Callable[[Path], bool]:
    """Whether a file lies inside the folders the user asked to scan (or beside a `-f` file):
    what a scanned file names elsewhere is never read."""
    roots = [os.path.realpath(p) for p in run.request.paths if os.path.isdir(p)]
    roots += [os.path.dirname(os.path.realpath(f)) for f in run.request.compose_files]
    roots += [os.path.dirname(os.path.realpath(p)) for p in run.request.paths if os.path.isfile(p)]

    def inside(path: Path) -> bool:
        real = os.path.realpath(path)
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)

    return inside


def _resolve_runtime_classes(run: _Run) -> None:
    """A pod's `runtimeClassName` names a RuntimeClass that may be defined in another file of
    the tree: resolve every container's class to its handler across the whole scan."""
    if not run.runtime_classes:
        return
    from hullguard.sources.kubernetes import resolve_runtime_classes

    for unit in run.units:
        if unit.kind != KUBERNETES:
            continue
        containers = [m for k, m in unit.models if k == CONTAINER]
        resolved = iter(resolve_runtime_classes(containers, run.runtime_classes))
        unit.models = [(k, next(resolved) if k == CONTAINER else m) for k, m in unit.models]


def _verify_signatures(run: _Run) -> None:
    """With the signature policy on (`require_signed` for any of HG620-HG623), verify the
    images every container references and record the verdict on its ContainerSpec, so that
    the rules, which never use the network, judge it. Runs for `scan` and for `judge`
    (`hullguard host`), after cross-file resolution and before any rule."""
    if not any(run.options.get(r, {}).get("require_signed") for r in SIGNATURE_RULES):
        return
    from hullguard.signing.policy import Verifier

    verifier = Verifier(run.request.config.signatures)
    if verifier.key_problem:
        run.errors.append(ErrorEntry(None, verifier.key_problem, kind=ErrorKind.CONFIG))
    for unit in run.units:
        for index, (model_kind, model) in enumerate(unit.models):
            if model_kind == CONTAINER and model.image is not None and model.signature is None:
                verdict = verifier.verdict(model.image.value)
                if verdict is not None:
                    signature = Located(verdict, model.image.location)
                    unit.models[index] = (CONTAINER, replace(model, signature=signature))


def _match_vulnerabilities(run: _Run) -> None:
    """Match the packages of images, hosts and lock files against the vulnerability database
    (when HG530, HG630 or HG631 runs), so that the rules judge the matches without reading
    the database themselves. Runs for `scan` and for `judge`, before any rule."""
    from hullguard.vuln.scan import match_pending

    policy = run.request.config.vulnerabilities
    result = match_pending(run.units, policy, [r.id for r in run.rules])
    run.errors.extend(result.errors)
    run.suppressed += result.ignored


def _load_lock_file(run: _Run, candidate: Candidate, text: str) -> str | None:
    from hullguard.sources.lockfiles import GO_MOD, GO_SUM, read_lock_file
    from hullguard.vuln.scan import PENDING, lock_file_package_set

    if candidate.path.name == GO_MOD and (candidate.path.parent / GO_SUM).is_file():
        return "the go.sum beside it is read instead"
    lock = read_lock_file(text, candidate.display)
    run.errors.extend(lock.errors)
    run.units.append(Unit(LOCKFILE, candidate.display, [(PENDING, lock_file_package_set(lock))]))
    return None


def _resolve_effective_users(run: _Run) -> None:
    """Fill in what each container really runs as, following it into the Dockerfiles of the
    scanned tree: a compose service built from `./api` runs as `./api/Dockerfile`'s final
    USER, and so does any container whose image is the one that service builds."""
    built: dict[str, tuple[str, str]] = {  # image repository -> (Dockerfile real path, shown)
        _repository(image): (os.path.realpath(path), path)
        for image, path in run.request.config.images.items()
    }
    for unit in run.units:
        for model_kind, model in unit.models:
            if model_kind == CONTAINER and model.build_context and model.image:
                dockerfile = _dockerfile_of(model)
                if dockerfile:
                    built[_repository(model.image.value)] = dockerfile
    for unit in run.units:
        for index, (model_kind, model) in enumerate(unit.models):
            if model_kind == CONTAINER:
                unit.models[index] = (CONTAINER, _with_effective_user(run, model, built))


def _with_effective_user(
    run: _Run, spec: ContainerSpec, built: dict[str, tuple[str, str]]
) -> ContainerSpec:
    if spec.effective_user is not None:
        return spec
    if spec.user is not None:
        link = f"{spec.resource} sets user {spec.user.value!r} ({spec.user.location})"
        return replace(spec, effective_user=spec.user, user_chain=(link,))
    dockerfile = _dockerfile_of(spec) if spec.build_context else None
    how = "is built from"
    if dockerfile is None and spec.image is not None:
        dockerfile = built.get(_repository(spec.image.value))
        how = f"runs image `{spec.image.value}`, built from"
    if dockerfile is None:
        return spec
    image = _image_spec(run, *dockerfile)
    if image is None:
        return spec
    chain = (f"{spec.resource} {how} {dockerfile[1]}", *image.user_chain)
    return replace(spec, effective_user=image.user, user_chain=chain)


def _dockerfile_of(spec: ContainerSpec) -> tuple[str, str] | None:
    """The real path and the shown path of the Dockerfile a compose service builds."""
    assert spec.build_context is not None
    context = spec.build_context.value
    base = spec.build_context.location.path or ""
    if "://" in context or context.startswith("git@"):
        return None
    folder = context if os.path.isabs(context) else posixpath.join(posixpath.dirname(base), context)
    name = spec.dockerfile.value if spec.dockerfile else "Dockerfile"
    shown = posixpath.normpath(name if os.path.isabs(name) else posixpath.join(folder, name))
    return os.path.realpath(shown), shown


def _image_spec(run: _Run, real: str, shown: str) -> ImageSpec | None:
    if real not in run.image_specs:
        spec = None
        try:
            if _inside_scan(run)(Path(real)) and (
                os.path.getsize(real) <= run.request.config.max_file_size
            ):
                text = Path(real).read_text(encoding="utf-8", errors="replace")
                parsed = parse_dockerfile(text, shown, run.request.config.build_args)
                spec = image_spec_from_dockerfile(parsed)
        except OSError:
            spec = None
        run.image_specs[real] = spec
    return run.image_specs[real]


def _repository(image: str) -> str:
    """`registry/repo:tag@digest` -> `registry/repo` (normalised where it parses)."""
    ref = try_parse_image_ref(image)
    if ref is not None:
        return ref.name
    return image.split("@", 1)[0].rsplit(":", 1)[0]


def _next_line_span(lines: list[str]) -> Callable[[int], tuple[int, int] | None]:
    """For line-oriented files: an own-line directive covers the next line with content."""

    def span(line: int) -> tuple[int, int] | None:
        for number in range(line, len(lines) + 1):
            text = lines[number - 1].strip()
            if text and not text.startswith("#"):
                return number, number
        return None

    return span


def _run_rules(run: _Run, unit: Unit) -> None:
    config = run.request.config
    found: list[Finding] = []
    lines = run.lines_of(unit.display)
    for rule in run.rules:
        for model_kind, model in unit.models:
            if model_kind not in rule.targets:
                continue
            ctx = Context(
                rule,
                target_kind=unit.kind,
                path=unit.display,
                options=run.options[rule.id],
                lines=lines,
                source_lines=run.lines_of,
            )
            try:
                found.extend(rule.func(model, ctx))
            except Exception as exc:  # a buggy rule is reported, never fatal
                run.errors.append(
                    ErrorEntry(
                        unit.display,
                        f"rule {rule.id} ({rule.name}) crashed: {type(exc).__name__}: {exc}",
                        kind=ErrorKind.RULE_CRASH,
                        rule_id=rule.id,
                    )
                )
    _suppressions(run, unit.display)  # read even without findings: bad directives are reported
    occurrences: Counter[str] = Counter()
    for finding in _without_restated_controls(found, run.rules):
        if finding.rule_id in config.severity:
            finding = replace(finding, severity=config.severity[finding.rule_id])
        key = _fingerprint_key(finding)
        occurrences[key] += 1
        finding = replace(finding, fingerprint=_fingerprint(key, occurrences[key]))
        if _suppressions(run, finding.location.path or unit.display).covers(finding):
            run.suppressed += 1
        elif finding.fingerprint in run.request.baseline:
            run.baselined += 1
        else:
            run.findings.append(finding)


def _without_restated_controls(findings: list[Finding], rules: list[Rule]) -> list[Finding]:
    """Drop a Pod Security Standards finding where a container rule already reported the same
    control (a shared `pss:` reference) at the same place: with every rule on, a privileged
    container is said once, not once per rule family. Under a PSS profile only the PSS rules
    run, so nothing is dropped there."""
    workload_rules = {r.id for r in rules if WORKLOAD in r.targets}
    said: set[tuple[str | None, int | None, str]] = set()
    for finding in findings:
        if finding.rule_id not in workload_rules:
            location = finding.location
            said.update(
                (location.path, location.line, ref)
                for ref in finding.references
                if ref.startswith("pss:")
            )
    if not said:
        return findings
    return [
        f
        for f in findings
        if f.rule_id not in workload_rules
        or not any(
            (f.location.path, f.location.line, ref) in said
            for ref in f.references
            if ref.startswith("pss:")
        )
    ]


def _suppressions(run: _Run, display: str) -> Suppressions:
    """The inline directives of a file, read once per run; their errors reported once."""
    cache = run.suppressions
    if display not in cache:
        lines = run.lines_of(display) or []
        span = run.spans.get(display) or _next_line_span(lines)
        cache[display] = parse_suppressions(
            display, lines, span, lambda token: bool(rules_matching(token))
        )
        run.errors.extend(cache[display].errors)
    return cache[display]


def _fingerprint_key(finding: Finding) -> str:
    """What identifies a finding regardless of where unrelated edits move it. A vulnerability
    is its advisory in one package of one file (lock file, an image's or host's package
    database): not the installed version, the line's text or the layer that brought the package
    in, which change while it stays unfixed."""
    if finding.vulnerability is not None:
        vuln = finding.vulnerability
        subject = (finding.location.logical or "").split(" (layer ", 1)[0]  # image/REF:path
        return "\0".join(
            (
                finding.rule_id,
                finding.location.path or "",
                subject,
                str(vuln.get("ecosystem", "")),
                str(vuln.get("package", "")),
                str(vuln.get("id", "")),
            )
        )
    anchor = " ".join((finding.snippet or "").split()) or finding.location.logical or ""
    parts: tuple[str, ...] = (
        finding.rule_id,
        finding.location.path or "",
        finding.resource or "",
        anchor,
    )
    return "\0".join(parts)


def _fingerprint(key: str, occurrence: int) -> str:
    return hashlib.sha256(f"{key}\0{occurrence}".encode()).hexdigest()[:32]


def load_baseline(data: Any) -> frozenset[str]:
    """The fingerprints of a `hullguard/report/v1` document."""
    if not isinstance(data, dict) or data.get("schema") != "hullguard/report/v1":
        raise ValueError("not a hullguard/report/v1 JSON report")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise ValueError("the report has no `findings` list")
    prints = {f.get("fingerprint") for f in findings if isinstance(f, dict)}
    return frozenset(p for p in prints if isinstance(p, str) and p)


_LOADERS: dict[str, Callable[[_Run, Candidate, str], str | None]] = {
    DOCKERFILE: _load_dockerfile,
    KUBERNETES: _load_kubernetes,
    SCRIPT: _load_script,
    CI: _load_ci,
    LOCKFILE: _load_lock_file,
}
