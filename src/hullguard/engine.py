"""The engine: targets in, Report out. One bad file or one crashing rule never stops the scan."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from hullguard import __version__
from hullguard.config import Config
from hullguard.discovery import (
    DOCKERFILE,
    KUBERNETES,
    Candidate,
    classify_name,
    sniff_yaml,
    walk,
)
from hullguard.model import ErrorEntry, ErrorKind, Finding, Report, Target, TargetStatus
from hullguard.registry import DOCKERFILE as DOCKERFILE_MODEL
from hullguard.registry import IMAGE, Context, Rule, all_rules, rules_matching
from hullguard.suppress import parse_suppressions

_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class ScanRequest:
    paths: tuple[str, ...]
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()


def select_rules(config: Config) -> list[Rule]:
    """The rules a run uses: the profile's, narrowed by `select`, minus `ignore`."""
    rules = all_rules()
    if config.profile == "pss-baseline":
        rules = [r for r in rules if any(x.startswith("pss:baseline/") for x in r.references)]
    elif config.profile == "pss-restricted":
        rules = [r for r in rules if any(x.startswith("pss:") for x in r.references)]
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
class _Run:
    request: ScanRequest
    rules: list[Rule]
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    suppressed: int = 0
    baselined: int = 0


def scan(request: ScanRequest) -> Report:
    rules = select_rules(request.config)
    options = {r.id: {**r.options, **request.config.rule_options.get(r.id, {})} for r in rules}
    run = _Run(request, rules, options)
    seen: set[str] = set()
    for candidate in _candidates(request, run):
        real = os.path.realpath(candidate.path)
        if real in seen:
            continue
        seen.add(real)
        _scan_candidate(run, candidate)
    run.findings.sort(key=lambda f: (f.location.path or "", f.location.line or 0, f.rule_id))
    return Report(
        version=__version__,
        targets=tuple(run.targets),
        findings=tuple(run.findings),
        errors=tuple(run.errors),
        suppressed=run.suppressed,
        baselined=run.baselined,
        fail_on=request.config.fail_on,
    )


def _candidates(request: ScanRequest, run: _Run) -> Iterator[Candidate]:
    excludes = request.config.exclude
    for given in request.paths:
        path = Path(given)
        display = PurePosixPath(given).as_posix().rstrip("/") or "/"
        if display.startswith("./") and len(display) > 2:
            display = display[2:]
        if path.is_dir():
            yield from walk(path, "" if display == "." else display, excludes)
        elif path.exists():
            kind = classify_name(PurePosixPath(path.name))
            if kind is None:
                run.targets.append(
                    Target("unknown", display, TargetStatus.SKIPPED,
                           "not a Dockerfile, compose file, Kubernetes manifest, CI file or "
                           "script by its name")
                )  # fmt: skip
                continue
            yield Candidate(path, display, kind)
        else:
            run.targets.append(Target("unknown", display, TargetStatus.ERROR, "no such file"))
            run.errors.append(ErrorEntry(display, "no such file or directory", kind=ErrorKind.READ))


def _scan_candidate(run: _Run, candidate: Candidate) -> None:
    display = candidate.display
    if candidate.skip_reason:
        run.targets.append(Target(candidate.kind, display, TargetStatus.SKIPPED,
                                  candidate.skip_reason))  # fmt: skip
        return
    limit = run.request.config.max_file_size
    try:
        size = candidate.path.stat().st_size
        if size > limit:
            note = f"file is {size:,} bytes, over the {limit:,}-byte limit (max-file-size)"
            _skip_with_error(run, candidate, note)
            return
        data = candidate.path.read_bytes()
    except OSError as exc:
        run.targets.append(Target(candidate.kind, display, TargetStatus.ERROR, exc.strerror))
        run.errors.append(ErrorEntry(display, f"cannot read: {exc.strerror}", kind=ErrorKind.READ))
        return
    if candidate.kind == KUBERNETES and not sniff_yaml(data[:_SNIFF_BYTES]):
        return  # a YAML file that is not a manifest: not a target
    nul = data.find(b"\0", 0, 8192)
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        _skip_with_error(run, candidate, "binary file (a NUL byte)", line, column)
        return
    text = _decode(data, display, run.errors)
    handler = _HANDLERS.get(candidate.kind)
    if handler is None:
        run.targets.append(
            Target(candidate.kind, display, TargetStatus.SKIPPED,
                   f"recognised as {candidate.kind}; this version has no rules for it")
        )  # fmt: skip
        return
    run.targets.append(Target(candidate.kind, display))
    handler(run, display, text)


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


def _scan_dockerfile(run: _Run, display: str, text: str) -> None:
    from hullguard.sources.dockerfile import parse_dockerfile
    from hullguard.spec import image_spec_from_dockerfile

    dockerfile = parse_dockerfile(text, display, run.request.config.build_args)
    for error in dockerfile.errors:
        run.errors.append(ErrorEntry(display, error.message, line=error.line, column=error.column))
    models: list[tuple[str, Any]] = [(DOCKERFILE_MODEL, dockerfile)]
    spec = image_spec_from_dockerfile(dockerfile)
    if spec is not None:
        models.append((IMAGE, spec))
    starts = sorted(
        (i.location.line or 0, i.location.end_line or i.location.line or 0)
        for i in dockerfile.instructions
    )

    def statement_span(line: int) -> tuple[int, int] | None:
        for first, last in starts:
            if first >= line:
                return first, last
        return None

    _run_rules(run, DOCKERFILE, display, list(dockerfile.lines), models, statement_span)


def _run_rules(
    run: _Run,
    target_kind: str,
    display: str,
    lines: list[str],
    models: list[tuple[str, Any]],
    statement_span: Callable[[int], tuple[int, int] | None],
) -> None:
    config = run.request.config
    found: list[Finding] = []
    for rule in run.rules:
        for model_kind, model in models:
            if model_kind not in rule.targets:
                continue
            ctx = Context(rule, target_kind=target_kind, path=display,
                          options=run.options[rule.id], lines=lines)  # fmt: skip
            try:
                found.extend(rule.func(model, ctx))
            except Exception as exc:  # a buggy rule is reported, never fatal
                run.errors.append(
                    ErrorEntry(display, f"rule {rule.id} ({rule.name}) crashed: "
                               f"{type(exc).__name__}: {exc}",
                               kind=ErrorKind.RULE_CRASH, rule_id=rule.id)
                )  # fmt: skip
    suppressions = parse_suppressions(
        display, lines, statement_span, lambda token: bool(rules_matching(token))
    )
    run.errors.extend(suppressions.errors)
    occurrences: Counter[str] = Counter()
    for finding in found:
        if finding.rule_id in config.severity:
            finding = replace(finding, severity=config.severity[finding.rule_id])
        key = _fingerprint_key(finding)
        occurrences[key] += 1
        finding = replace(finding, fingerprint=_fingerprint(key, occurrences[key]))
        if suppressions.covers(finding):
            run.suppressed += 1
        elif finding.fingerprint in run.request.baseline:
            run.baselined += 1
        else:
            run.findings.append(finding)


def _fingerprint_key(finding: Finding) -> str:
    """What identifies a finding regardless of where unrelated edits move it."""
    anchor = " ".join((finding.snippet or "").split()) or finding.location.logical or ""
    parts = (finding.rule_id, finding.location.path or "", finding.resource or "", anchor)
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


_HANDLERS: dict[str, Callable[[_Run, str, str], None]] = {DOCKERFILE: _scan_dockerfile}
