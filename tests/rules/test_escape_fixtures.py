"""Host escape rules (HG540-HG543) on fixtures that describe a host's facts in TOML.

Host rules read no files, so their fixtures are not run by the file fixture runner: each
`tests/rules/fixtures/HG54x/{bad,good}_*.host.toml` gives the distribution, the kernel, dpkg
status entries and the Engine API's component versions, plus an `expect` list of
`[rule id, CVE, severity?]`. The test builds the HostPackages (and a DaemonState through the
daemon source's own projection) and checks that the rule fires exactly for the expected CVEs.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Location
from hullguard.registry import HOST, Context, Rule, get_rule, run_rule
from hullguard.sources.daemon import DaemonState, daemon_state_from_api
from hullguard.sources.host_packages import (
    PACKAGE_COMPONENTS,
    Component,
    ComponentVersion,
    Distribution,
    FactSource,
    HostPackages,
    api_facts,
)
from tests.rules.harness import FIXTURES

HOST_FIXTURES = sorted(FIXTURES.glob("HG54*/*.host.toml"))
_CVE = re.compile(r"CVE-\d{4}-\d+")


def host_from_fixture(data: dict[str, Any]) -> HostAudit:
    distribution = None
    if "distribution" in data:
        d = data["distribution"]
        distribution = Distribution(
            d["id"],
            d.get("version_id"),
            d.get("codename"),
            tuple(d.get("id_like", ())),
            Location(path="/etc/os-release"),
        )
    versions: list[ComponentVersion] = []
    if "kernel" in data:
        k = data["kernel"]
        versions.append(
            ComponentVersion(
                Component.KERNEL,
                k["release"],
                FactSource(k.get("source", "uname")),
                Location(logical="host:uname"),
                package=k.get("package"),
                source_package=k.get("source_package"),
                package_version=k.get("package_version"),
            )
        )
    for number, entry in enumerate(data.get("dpkg", ()), start=1):
        name = entry["package"]
        versions.append(
            ComponentVersion(
                PACKAGE_COMPONENTS[name],
                entry["version"],
                FactSource.DPKG,
                Location(path="/var/lib/dpkg/status", line=number),
                package=name,
                source_package=entry.get("source", name),
                package_version=entry["version"],
            )
        )
    daemon = None
    if "api" in data:
        api = data["api"]
        daemon = daemon_with(api)
        versions.extend(api_facts(daemon))
    packages = HostPackages("/", distribution, tuple(versions), "dpkg" if "dpkg" in data else None)
    return HostAudit(root="/", location=Location(logical="host"), daemon=daemon, packages=packages)


def daemon_with(api: dict[str, Any]) -> DaemonState:
    version = {
        "Components": [{"Name": n, "Version": v} for n, v in api.get("components", {}).items()],
        "KernelVersion": api.get("kernel_version"),
    }
    info = {"Plugins": {"Authorization": api.get("authorization_plugins", [])}}
    return daemon_state_from_api("unix:///run/docker.sock", version, info, None)


def run_host_rule(rule: Rule, host: HostAudit) -> list[Finding]:
    ctx = Context(rule, target_kind=HOST, path="host", options=dict(rule.options))
    return list(run_rule(rule, host, ctx))


@pytest.mark.parametrize("path", HOST_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_host_fixture(path: Path) -> None:
    rule = get_rule(path.parent.name)
    assert rule is not None
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    findings = run_host_rule(rule, host_from_fixture(data))
    expected = data["expect"]
    if path.name.startswith("bad_"):
        assert expected, f"{path}: a bad_ fixture needs an `expect` list"
    else:
        assert expected == [], f"{path}: a good_ fixture expects nothing"
    got = {(f.rule_id, _CVE.search(f.message).group(0)) for f in findings}  # type: ignore[union-attr]
    assert got == {(e[0], e[1]) for e in expected}, [f.message for f in findings]
    severities = {_CVE.search(f.message).group(0): f.severity.value for f in findings}  # type: ignore[union-attr]
    for entry in expected:
        if len(entry) > 2:
            assert severities[entry[1]] == entry[2], (entry, severities)
    for finding in findings:
        assert "fixed" in finding.message or "no fix" in finding.message, finding.message
        assert finding.location.path or finding.location.logical
