"""`hullguard host` against a real Podman service socket, through the same Docker-compatible API."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hullguard.config import Config
from hullguard.host import HostRequest, audit_host
from hullguard.sources.daemon import read_daemon
from tests.live.conftest import unavailable
from tests.live.daemon import BUSYBOX

pytestmark = pytest.mark.live


@dataclass
class PodmanService:
    root: Path
    socket: Path

    def podman(self, *args: str) -> str:
        command = [
            "podman",
            "--root", str(self.root / "graph"),
            "--runroot", str(self.root / "run"),
            "--storage-driver", "vfs",
            *args,
        ]  # fmt: skip
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def podman_service() -> Iterator[PodmanService]:
    if shutil.which("podman") is None:
        unavailable("podman is not installed (make system-packages installs it)")
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is absent: install Debian's busybox-static")
    root = Path(tempfile.mkdtemp(prefix="hg-podman-"))
    service = PodmanService(root, root / "podman.sock")
    log = (root / "service.log").open("w")
    process = subprocess.Popen(
        [
            "podman",
            "--root", str(root / "graph"),
            "--runroot", str(root / "run"),
            "--storage-driver", "vfs",
            "system", "service", "--time=0", f"unix://{service.socket}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not service.socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (root / "service.log").read_text()[-400:]
                unavailable(f"podman system service did not start: {tail}")
            time.sleep(0.1)
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        subprocess.run(["umount", "-R", str(root / "run")], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _import_busybox(service: PodmanService) -> str:
    archive = service.root / "busybox.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(BUSYBOX, arcname="bin/busybox")
    service.podman("import", str(archive), "localhost/hg-busybox:1")
    return "localhost/hg-busybox:1"


def test_the_podman_socket_is_read_like_a_docker_one(podman_service: PodmanService) -> None:
    result = read_daemon(f"unix://{podman_service.socket}", env={})
    assert result.errors == ()
    assert result.state is not None
    assert result.state.version
    assert result.state.components


def test_podman_containers_are_judged_by_the_same_rules(podman_service: PodmanService) -> None:
    image = _import_busybox(podman_service)
    podman_service.podman(
        "create", "--name", "priv", "--privileged", "--user", "0", image, "/bin/busybox", "true"
    )
    podman_service.podman(
        "create", "--name", "plain", "--user", "1000", "--cap-drop", "ALL", "--read-only",
        "--security-opt", "no-new-privileges", image, "/bin/busybox", "true",
    )  # fmt: skip
    empty_root = podman_service.root / "hostroot"
    empty_root.mkdir()
    report = audit_host(
        HostRequest(
            docker_host=f"unix://{podman_service.socket}",
            root=empty_root,
            running_only=False,
            config=Config(select=("HG201", "HG206")),
            baseline=frozenset(),
        )
    )
    found = {(f.rule_id, f.resource) for f in report.findings}
    assert ("HG201", "container/priv") in found
    assert ("HG206", "container/priv") in found
    assert not {rule for rule, resource in found if resource == "container/plain"}
    assert os.path.exists(podman_service.socket)
