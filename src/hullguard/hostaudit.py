"""What `hullguard host` learns about one machine, as one model for the host rules.

Three sources fill it, each optional so that one failing never hides the others: the Engine API
(`sources.daemon`, None when the daemon cannot be reached), the files of the root filesystem
under `--root` (`sources.host`), and the host's component versions and package database
(`sources.host_packages`). Containers found on the daemon are ContainerSpecs judged by the same
rules as compose files; they are not part of this model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hullguard.model import Location

if TYPE_CHECKING:
    from hullguard.sources.daemon import DaemonState
    from hullguard.sources.host import HostFiles
    from hullguard.sources.host_packages import HostPackages


@dataclass(frozen=True)
class HostAudit:
    root: str  # the root filesystem audited (`/`, or a mounted image)
    location: Location  # logical `host`, for findings about the machine as a whole
    daemon: DaemonState | None = None
    files: HostFiles | None = None
    packages: HostPackages | None = None
