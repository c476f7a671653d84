"""Live tests: real components (a private Docker daemon) started and stopped by the tests.

A live test skips only when its component cannot start here, with the reason; with CI=true it
must run, so the same condition fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.live.daemon import BUSYBOX, DaemonUnavailable, DockerDaemon, start_docker_daemon


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: starts real components (a Docker daemon); skips where they cannot run"
    )


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip with the reason; in CI, fail: there the component must run."""
    if in_ci():
        pytest.fail(f"CI=true and a live component cannot start: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_daemon() -> Iterator[DockerDaemon]:
    """A private dockerd (vfs, no host networking) for the whole session, stopped at its end."""
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is absent: install Debian's busybox-static (make system-packages)")
    try:
        daemon = start_docker_daemon()
    except DaemonUnavailable as exc:
        reason = str(exc)
    else:
        reason = ""
    if reason:
        unavailable(f"cannot start a private Docker daemon: {reason}")
    try:
        yield daemon
    finally:
        daemon.stop()
