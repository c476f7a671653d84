"""Host rules against root filesystems described by `*.hostroot.toml` fixtures.

A fixture (tests/rules/fixtures/<RULE>/bad_*.hostroot.toml, good_*.hostroot.toml) lists files
to build under a temporary root and, optionally, what the Engine API reports:

    [[file]]
    path = "/run/docker.sock"
    type = "socket"          # file (the default, with `content`), dir, socket or symlink (`target`)
    mode = "0666"
    owner = 0                # uid and gid; root when not given
    group = 999

    [daemon]                 # DaemonState fields; absent: the daemon could not be reached
    icc = true

    [[expect]]               # each finding of the fixture's rule, matched on the keys given
    logical = "file:/run/docker.sock"
    severity = "critical"

A `bad_` fixture must produce exactly its expected findings; a `good_` one none.
"""

from __future__ import annotations

import os
import socket
import tomllib
from pathlib import Path
from typing import Any

import pytest

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Location
from hullguard.registry import HOST, Context, Rule, all_rules, get_rule, run_rule
from hullguard.sources.daemon import DaemonState
from hullguard.sources.host import read_host_files
from tests.rules.harness import FIXTURES, check_expectations

HOST_RULES = {r.id for r in all_rules() if HOST in r.targets}
CASES = sorted(p for p in FIXTURES.glob("*/*.hostroot.toml") if p.parent.name in HOST_RULES)

_DAEMON_DEFAULTS: dict[str, Any] = {
    "endpoint": "unix:///var/run/docker.sock",
    "version": "27.3.1",
    "api_version": "1.47",
    "os": "linux",
    "kernel_version": "6.1.0",
    "components": {},
    "security_options": ("name=seccomp,profile=builtin",),
    "rootless": False,
    "userns": False,
    "runtimes": ("runc",),
    "default_runtime": "runc",
    "live_restore": False,
    "icc": True,
    "insecure_registries": ("127.0.0.0/8",),
    "authorization_plugins": (),
    "logging_driver": "json-file",
    "experimental": False,
    "cgroup_version": "2",
}


def build_root(spec: dict[str, Any], root: Path) -> None:
    """Create the fixture's files under `root` (as root, with their owners)."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in spec.get("file", []):
        path = root / entry["path"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        kind = entry.get("type", "file")
        if kind == "dir":
            path.mkdir(exist_ok=True)
        elif kind == "symlink":
            path.symlink_to(entry["target"])
            continue
        elif kind == "socket":
            _make_socket(path)
        else:
            path.write_text(entry.get("content", ""), encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(path, entry.get("owner", 0), entry.get("group", 0))
        os.chmod(path, int(entry.get("mode", "0755" if kind == "dir" else "0644"), 8))


def _make_socket(path: Path) -> None:
    here = Path.cwd()
    os.chdir(path.parent)  # a short relative name: unix socket paths are limited in length
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(path.name)
    finally:
        os.chdir(here)


def daemon_state(fields: dict[str, Any] | None) -> DaemonState | None:
    if fields is None:
        return None
    values = {**_DAEMON_DEFAULTS, **fields}
    for name, value in values.items():
        if isinstance(value, list):
            values[name] = tuple(value)
    return DaemonState(**values)


def run_fixture(path: Path, root: Path) -> tuple[Rule, list[Finding], dict[str, Any]]:
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    needs_owner = any("owner" in f or "group" in f for f in spec.get("file", []))
    if needs_owner and os.geteuid() != 0:
        pytest.skip("the fixture sets file owners, which needs root")
    build_root(spec, root)
    rule = get_rule(path.parent.name)
    assert rule is not None
    result = read_host_files(root)
    audit = HostAudit(
        root=str(root),
        location=Location(logical="host"),
        daemon=daemon_state(spec.get("daemon")),
        files=result.files,
    )
    ctx = Context(rule, target_kind=HOST, path="host", options=rule.options)
    return rule, list(run_rule(rule, audit, ctx)), spec


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_host_fixture(path: Path, tmp_path: Path) -> None:
    rule, findings, spec = run_fixture(path, tmp_path / "root")
    check_expectations(path, rule.id, findings, spec.get("expect", []))


def _judges_host_files(rule_id: str) -> bool:
    """The host rules on files and daemon settings (HG105-HG119, HG501-HG529, HG601)."""
    number = int(rule_id[2:])
    return 105 <= number <= 119 or 501 <= number <= 529 or number == 601


def test_every_host_rule_has_root_fixtures() -> None:
    for rule_id in filter(_judges_host_files, HOST_RULES):
        names = [p.name for p in (FIXTURES / rule_id).glob("*.hostroot.toml")]
        assert any(n.startswith("bad_") for n in names), rule_id
        assert any(n.startswith("good_") for n in names), rule_id
