"""Session fixtures for the real Debian image (tests/live/images.py); a test module imports
the fixtures it needs: `from tests.live.conftest_images import debian_image, debian_rootfs`.

A piece that cannot be built here skips with the reason, or fails with CI=true.
"""

from __future__ import annotations

import pytest

from tests.live import images
from tests.live.conftest import unavailable
from tests.live.daemon import DockerDaemon


@pytest.fixture(scope="session")
def debian_rootfs() -> images.DebianRootfs:
    """The Debian bookworm minbase root filesystem and its tarball, from the cache folder."""
    try:
        return images.debian_rootfs()
    except images.ImageUnavailable as exc:
        reason = str(exc)
    unavailable(f"cannot build the Debian test root filesystem: {reason}")


@pytest.fixture(scope="session")
def debian_image(
    docker_daemon: DockerDaemon, debian_rootfs: images.DebianRootfs
) -> images.DebianImage:
    """That root filesystem imported into the test daemon, saved, and copied to OCI."""
    try:
        return images.debian_image(docker_daemon)
    except images.ImageUnavailable as exc:
        reason = str(exc)
    unavailable(f"cannot build the Debian test image: {reason}")
