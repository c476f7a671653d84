"""The rule registry: rules declare their metadata beside their code; discovered, never listed.

A rule is a function `(model, ctx) -> Iterator[Finding]` decorated with `@rule(...)`. Its docstring
is its documentation page and must hold the sections in `DOC_SECTIONS`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hullguard.model import Finding, Located, Location, Pillar, Severity

RULE_ID = re.compile(r"^HG([1-6])(\d{2})$")
RULE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "How to fix")
REFERENCE = re.compile(r"^[a-z][a-z0-9-]*:\S+$")

# Target kinds: what model a rule receives.
DOCKERFILE = "dockerfile"  # sources.dockerfile.Dockerfile
IMAGE = "image"  # spec.ImageSpec (a Dockerfile's final stage, later a real image config)
CONTAINER = "container"  # spec.ContainerSpec (compose, Kubernetes, docker run, CI, live)
WORKLOAD = "k8s-workload"  # sources.kubernetes.Workload: Pod Security Standards controls
HOST = "host"  # hostaudit.HostAudit: a machine's daemon, files and component versions
IMAGE_FILES = "image-files"  # image.model.ImageContents: the merged files of a built image
PIPELINE = "ci-pipeline"  # sources.ci.Pipeline: a CI file's jobs, steps and scripts
VULNERABILITIES = "vulnerabilities"  # vuln.scan.VulnerablePackages: matched packages

RuleFunc = Callable[[Any, "Context"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    pillar: Pillar
    severity: Severity
    targets: frozenset[str]
    references: tuple[str, ...]
    fix: str
    func: RuleFunc = field(compare=False, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)
    doc: str = field(default="", compare=False, repr=False)

    @property
    def summary(self) -> str:
        """The first paragraph of the 'What it does' section."""
        body = self.section("What it does")
        return " ".join(body.split("\n\n")[0].split()) if body else ""

    def section(self, title: str) -> str:
        return doc_sections(self.doc).get(title, "")

    def reference_ids(self, scheme: str) -> list[str]:
        prefix = scheme + ":"
        return [r[len(prefix) :] for r in self.references if r.startswith(prefix)]


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its `## Title` sections."""
    sections: dict[str, str] = {}
    title: str | None = None
    lines: list[str] = []
    for line in doc.splitlines():
        if line.startswith("## "):
            if title is not None:
                sections[title] = "\n".join(lines).strip()
            title, lines = line[3:].strip(), []
        elif title is not None:
            lines.append(line)
    if title is not None:
        sections[title] = "\n".join(lines).strip()
    return sections


_RULES: dict[str, Rule] = {}


def rule(
    *,
    id: str,
    name: str,
    pillar: int,
    severity: Severity,
    targets: Iterable[str],
    references: Iterable[str],
    fix: str,
    options: Mapping[str, Any] | None = None,
) -> Callable[[RuleFunc], RuleFunc]:
    """Declare a rule. The metadata is checked at import time so a bad declaration fails loudly."""

    def register(func: RuleFunc) -> RuleFunc:
        match = RULE_ID.match(id)
        if not match or int(match.group(1)) != pillar:
            raise ValueError(f"rule id {id!r} must be HG<pillar><nn> with pillar {pillar}")
        if not RULE_NAME.match(name):
            raise ValueError(f"rule name {name!r} must be kebab-case")
        if id in _RULES and _RULES[id].func is not func:
            raise ValueError(f"rule id {id} declared twice")
        bad = [r for r in references if not REFERENCE.match(r)]
        if bad:
            raise ValueError(f"{id}: references must look like 'tool:id', got {bad}")
        _RULES[id] = Rule(
            id=id,
            name=name,
            pillar=Pillar(pillar),
            severity=severity,
            targets=frozenset(targets),
            references=tuple(references),
            fix=fix,
            func=func,
            options=dict(options or {}),
            doc=inspect.cleandoc(func.__doc__ or ""),
        )
        return func

    return register


_loaded = False


def all_rules() -> list[Rule]:
    """Every rule in the package, discovered by importing each module under `hullguard.rules`."""
    global _loaded
    if not _loaded:
        import hullguard.rules as package

        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
        _loaded = True
    return sorted(_RULES.values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> Rule | None:
    all_rules()
    return _RULES.get(rule_id.upper())


def rules_matching(prefix: str) -> list[Rule]:
    """Rules whose id starts with `prefix` (`HG4`: pillar 4) or whose name is `prefix`."""
    prefix_upper = prefix.upper()
    return [r for r in all_rules() if r.id.startswith(prefix_upper) or r.name == prefix]


class Context:
    """What a rule may use: its options and a factory for findings; nothing else."""

    def __init__(
        self,
        rule: Rule,
        *,
        target_kind: str,
        path: str,
        options: Mapping[str, Any],
        lines: Sequence[str] | None = None,
        source_lines: Callable[[str], Sequence[str] | None] | None = None,
    ) -> None:
        self.rule = rule
        self.target_kind = target_kind
        self.path = path
        self.options = options
        self._lines = lines
        self._source_lines = source_lines  # the lines of another file a finding points into

    def finding(
        self,
        *,
        at: Location | Located[Any] | Any,
        message: str,
        severity: Severity | None = None,
        fix: str | None = None,
        resource: str | None = None,
        chain: Iterable[str] = (),
        vulnerability: Mapping[str, Any] | None = None,
    ) -> Finding:
        location = _location_of(at)
        snippet = None
        if location.line is not None and location.path is not None:
            lines = self._lines if location.path == self.path else None
            if lines is None and self._source_lines is not None:
                lines = self._source_lines(location.path)
            if lines is not None and 0 < location.line <= len(lines):
                snippet = lines[location.line - 1].rstrip("\r\n")
        return Finding(
            rule_id=self.rule.id,
            rule_name=self.rule.name,
            pillar=int(self.rule.pillar),
            severity=severity or self.rule.severity,
            message=message,
            target_kind=self.target_kind,
            location=location,
            resource=resource,
            fix=fix or self.rule.fix,
            references=self.rule.references,
            snippet=snippet,
            chain=tuple(chain),
            vulnerability=vulnerability,
        )


def _location_of(at: Any) -> Location:
    if isinstance(at, Location):
        return at
    if isinstance(at, Located):
        return at.location
    location = getattr(at, "location", None)
    if isinstance(location, Location):
        return location
    raise TypeError(f"cannot locate a finding at {at!r}")


def run_rule(rule: Rule, model: Any, ctx: Context) -> Iterator[Finding]:
    yield from rule.func(model, ctx)
