"""A daemon setting judged from the Engine API when it reports it, else from the files.

Host rules share this so that each says the same thing about where a verdict came from: the
running engine, a line of a configuration file, or Docker's default when nothing sets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from hullguard.hostaudit import HostAudit
from hullguard.model import Located, Location
from hullguard.sources.host import DAEMON_JSON, DaemonSettings

T = TypeVar("T")

API = "the Engine API"
DEFAULT = "Docker's default: nothing sets it"


@dataclass(frozen=True, slots=True)
class Judged(Generic[T]):
    """A setting's value, where it was found and, in words, which source said so."""

    value: T
    location: Location
    source: str


def where(location: Location) -> str:
    if location.path and location.line is not None:
        return f"{location.path}:{location.line}"
    return location.path or location.logical or "?"


def docker_present(audit: HostAudit) -> bool:
    """The host runs, or is configured to run, a Docker daemon."""
    if audit.daemon is not None:
        return True
    files = audit.files
    return files is not None and bool(
        files.daemon_json_found or files.units or files.dockerd_pid is not None
        or files.settings != DaemonSettings()
    )  # fmt: skip


def file_settings(audit: HostAudit) -> DaemonSettings:
    return audit.files.settings if audit.files is not None else DaemonSettings()


def api_location(audit: HostAudit, field: str) -> Location:
    base = audit.daemon.location.logical if audit.daemon is not None else None
    return Location(logical=f"{base or 'daemon'}:{field}")


def unset_location(audit: HostAudit) -> Location:
    """Where to point for a setting nobody made: the engine, else daemon.json, else the host."""
    if audit.daemon is not None:
        return audit.daemon.location
    if audit.files is not None and audit.files.daemon_json_found:
        return Location(path=DAEMON_JSON, logical="daemon.json")
    return audit.location


def judge(
    audit: HostAudit,
    api_field: str | None,
    from_files: Callable[[DaemonSettings], Located[T] | None],
    default: T | None = None,
) -> Judged[T] | None:
    """The setting from the API when it reports it (not None), else from the files, else the
    default (None when there is no default and nothing sets it)."""
    if api_field is not None and audit.daemon is not None:
        value = getattr(audit.daemon, api_field)
        if value is not None:
            return Judged(value, api_location(audit, api_field), API)
    found = from_files(file_settings(audit))
    if found is not None:
        return Judged(found.value, found.location, f"set in {where(found.location)}")
    if default is None:
        return None
    return Judged(default, unset_location(audit), DEFAULT)
