"""`hullguard host`: this machine's daemon, files, component versions and every container on it.

Three sources are read, each on its own so that one failing never hides the others: the Engine
API (`sources.daemon`), the root filesystem under `--root` (`sources.host`) and the host's
package database (`sources.host_packages`). The host rules judge them together as one
`HostAudit`; each container is a `ContainerSpec`, judged by the same rules as a compose file.
When HG530 runs, every package of the root's package database is matched against the
vulnerability database before the rules.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullguard.config import Config
from hullguard.engine import Unit, judge, select_rules
from hullguard.hostaudit import HostAudit
from hullguard.model import ErrorEntry, Location, Report, Target, TargetStatus
from hullguard.registry import CONTAINER, HOST
from hullguard.sources.daemon import DAEMON, DaemonResult, TLSSettings, read_daemon
from hullguard.vuln.packages import host_inventory
from hullguard.vuln.scan import PENDING, Subject, host_package_set, wanted_subjects

HOST_KIND = "host"  # Unit.kind and Target.kind of the machine itself


class NoSuchRoot(ValueError):
    """`--root` names no directory: a usage error."""


@dataclass(frozen=True)
class HostRequest:
    docker_host: str | None = None
    root: Path = Path("/")
    running_only: bool = False
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()
    tls: TLSSettings | None = None
    timeout: float = 10
    daemon: bool = True  # False: `--no-daemon`, the host's files and packages only


# `--no-daemon`: the engine is not asked; said as a skipped target, so nothing is silently left out.
_NOT_ASKED = DaemonResult(
    state=None,
    containers=(),
    targets=(Target(DAEMON, "daemon", TargetStatus.SKIPPED, "not audited: --no-daemon"),),
    errors=(),
)


def audit_host(request: HostRequest) -> Report:
    """Read everything there is to read about the host, then judge it; raises only
    NoSuchRoot."""
    from hullguard.sources.host import read_host_files
    from hullguard.sources.host_packages import read_host_packages

    root = request.root
    if not root.is_dir():
        raise NoSuchRoot(f"--root {root}: no such directory")
    with ThreadPoolExecutor(max_workers=1) as pool:
        files_future = pool.submit(read_host_files, root)
        daemon = (
            read_daemon(
                request.docker_host,
                running_only=request.running_only,
                tls=request.tls,
                timeout=request.timeout,
            )
            if request.daemon
            else _NOT_ASKED
        )
        files = files_future.result()
    packages = read_host_packages(root, daemon.state)
    audit = HostAudit(
        root=str(root),
        location=Location(logical=HOST_KIND),
        daemon=daemon.state,
        files=files.files,
        packages=packages.packages,
    )
    models: list[tuple[str, Any]] = [(HOST, audit)]
    inventory_errors: list[ErrorEntry] = []
    if Subject.HOST in wanted_subjects(r.id for r in select_rules(request.config)):
        installed, inventory_errors = host_inventory(root)
        models.append((PENDING, host_package_set(str(root), installed)))
    units = [Unit(HOST_KIND, HOST_KIND, models)]
    units.extend(
        Unit("container", spec.resource, [(CONTAINER, spec)]) for spec in daemon.containers
    )
    return judge(
        units,
        config=request.config,
        baseline=request.baseline,
        targets=[Target(HOST_KIND, str(root)), *daemon.targets],
        errors=[*daemon.errors, *files.errors, *packages.errors, *inventory_errors],
    )
