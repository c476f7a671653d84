"""Hand-built reports and rule metadata for the renderer tests.

The test rules are plain `Rule` values handed to the renderers through their `rules` lookup; they
are never registered, so they cannot leak into the registry that other tests walk. Their ids,
HG699 and HG698, are used by no rule under src/hullguard/rules/; HG299 and HG399 appear only in
findings and are deliberately unknown to the lookup, to exercise the renderers' fallback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hullguard.model import (
    ErrorEntry,
    ErrorKind,
    Finding,
    Location,
    Pillar,
    Report,
    Severity,
    Target,
    TargetStatus,
)
from hullguard.registry import Rule


def _no_findings(model: Any, ctx: Any) -> Iterator[Finding]:
    yield from ()


SOCKET_RULE = Rule(
    id="HG699",
    name="test-socket-exposed",
    pillar=Pillar.PIPELINE,
    severity=Severity.CRITICAL,
    targets=frozenset({"compose"}),
    references=("cis-docker:5.32", "cwe:250"),
    fix="use a socket proxy with a read-only allow-list, or remove the mount",
    func=_no_findings,
    doc="""## What it does
Flags a service that mounts the engine socket.

## Why is this bad?
Whoever can talk to the socket
owns the host.

A second paragraph that the text report leaves out.

## Example
`- /var/run/docker.sock:/var/run/docker.sock`

## How to fix
Remove the mount.""",
)

TOOL_RULE = Rule(
    id="HG698",
    name="test-unpinned-tool",
    pillar=Pillar.PIPELINE,
    severity=Severity.MEDIUM,
    targets=frozenset({"dockerfile"}),
    references=(),
    fix="pin the tool",
    func=_no_findings,
    doc="## What it does\nFlags a tool fetched without TLS checks.\n",
)

TEST_RULES = {r.id: r for r in (SOCKET_RULE, TOOL_RULE)}


def lookup(rule_id: str) -> Rule | None:
    return TEST_RULES.get(rule_id)


SOCKET_FINDING = Finding(
    rule_id="HG699",
    rule_name="test-socket-exposed",
    pillar=6,
    severity=Severity.CRITICAL,
    message="service `ci` mounts /var/run/docker.sock",
    target_kind="compose",
    location=Location(
        path="docker-compose.yml",
        line=12,
        column=7,
        end_line=12,
        end_column=40,
        logical="services.ci.volumes[0]",
    ),
    resource="services.ci",
    fix="use a socket proxy with a read-only allow-list, or remove the mount",
    references=("cis-docker:5.32", "cwe:250"),
    snippet="      - /var/run/docker.sock:/var/run/docker.sock",
    fingerprint="3f2a9c0d5e6b7a81",
)

ROOT_FINDING = Finding(
    rule_id="HG299",
    rule_name="test-runs-as-root",
    pillar=2,
    severity=Severity.HIGH,
    message="service `api` runs as root",
    target_kind="compose",
    location=Location(path="docker-compose.yml", line=5, column=3),
    resource="services.api",
    fix="set `user:` to a non-root user",
    snippet="  api:",
    chain=("docker-compose.yml:5 service `api` builds ./api", "api/Dockerfile:9 USER root"),
    fingerprint="0a1b2c3d4e5f6071",
)

TOOL_FINDING = Finding(
    rule_id="HG698",
    rule_name="test-unpinned-tool",
    pillar=6,
    severity=Severity.MEDIUM,
    message="curl fetches an installer with -k",
    target_kind="dockerfile",
    location=Location(path="api/Dockerfile", line=3),
    fix="pin the tool",
    snippet="RUN curl -k https://example.invalid/install.sh | sh",
    fingerprint="c0ffee0000000001",
)

LIVE_FINDING = Finding(
    rule_id="HG399",
    rule_name="test-host-path",
    pillar=3,
    severity=Severity.LOW,
    message="container `web` bind-mounts /srv",
    target_kind="container",
    location=Location(logical="container/web:HostConfig.Binds[0]"),
    fingerprint="feedface00000002",
)

ERRORS = (
    ErrorEntry(
        path="broken.yaml",
        line=3,
        column=9,
        message="mapping values are not allowed here",
        kind=ErrorKind.PARSE,
    ),
    ErrorEntry(
        path="api/Dockerfile",
        message="rule HG697 crashed: KeyError: 'stage'",
        kind=ErrorKind.RULE_CRASH,
        rule_id="HG697",
    ),
    ErrorEntry(
        path="docker-compose.yml",
        line=2,
        message="suppression names no known rule: HG999",
        kind=ErrorKind.SUPPRESSION,
    ),
)


def sample_report() -> Report:
    """Several files, a chain, a live finding with no line, errors, suppressed and baselined counts.

    The findings are deliberately out of file and line order.
    """
    return Report(
        version="0.1.0",
        targets=(
            Target(kind="compose", path="docker-compose.yml"),
            Target(kind="dockerfile", path="api/Dockerfile"),
            Target(kind="compose", path="broken.yaml", status=TargetStatus.ERROR),
            Target(kind="container", path="container/web"),
        ),
        findings=(TOOL_FINDING, LIVE_FINDING, SOCKET_FINDING, ROOT_FINDING),
        errors=ERRORS,
        suppressed=2,
        baselined=1,
    )
