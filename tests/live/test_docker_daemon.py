"""The private daemon itself: vfs storage, both builders offline, containers that run."""

from __future__ import annotations

import pytest

from tests.live.daemon import DockerDaemon

pytestmark = pytest.mark.live

DOCKERFILE = (
    "FROM scratch\n"
    "COPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    "COPY greeting /greeting\n"
    "RUN test -x /bin/sh && cat /greeting > /built\n"
    "USER 1000\n"
    'CMD ["sh", "-c", "id -u; cat /built"]\n'
)


def test_daemon_is_private(docker_daemon: DockerDaemon) -> None:
    info = docker_daemon.docker("info", "--format", "{{.Driver}} {{.DockerRootDir}}").stdout
    assert info.split() == ["vfs", str(docker_daemon.root / "data")]


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
def test_busybox_image_builds_offline_and_runs(docker_daemon: DockerDaemon, builder: str) -> None:
    tag = f"hullguard-live/smoke-{builder}:latest"
    docker_daemon.build_busybox_image(
        tag, DOCKERFILE, {"greeting": f"hello from {builder}\n"}, builder=builder
    )
    run = docker_daemon.docker("run", "--rm", "--network=none", tag)
    assert run.stdout.splitlines() == ["1000", f"hello from {builder}"]
