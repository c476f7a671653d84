"""A real registry (Debian's docker-registry) on loopback for live tests, and pushing to it.

`start_registry(root)` serves `root/data` on a free loopback port (with htpasswd basic auth
when given credentials) and waits for `/v2/` to answer; `Registry.push` copies an image there
with skopeo. The `registry` fixture gives one such registry to a test module that imports it
(`from tests.live.registry import registry`); `insecure(registry)` are the `RegistryOptions`
that let `open_image` talk plain HTTP to it. A registry that cannot start here skips with the
reason, or fails with CI=true.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullguard.image.registry import RegistryOptions
from tests.live.conftest import unavailable

REGISTRY = Path("/usr/bin/docker-registry")
SKOPEO = shutil.which("skopeo")
HTPASSWD = shutil.which("htpasswd")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Registry:
    def __init__(self, root: Path, auth: tuple[str, str] | None = None) -> None:
        self.port = _free_port()
        self.host = f"127.0.0.1:{self.port}"
        config = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {root / 'data'}",
            "http:",
            f"  addr: {self.host}",
            "  secret: hullguard-test",
        ]
        if auth is not None:
            hashed = subprocess.run(
                [str(HTPASSWD), "-Bbn", auth[0], auth[1]],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            (root / "htpasswd").write_text(hashed + "\n", encoding="utf-8")
            config += [
                "auth:",
                "  htpasswd:",
                "    realm: hullguard-test",
                f"    path: {root / 'htpasswd'}",
            ]
        (root / "config.yml").write_text("\n".join(config) + "\n", encoding="utf-8")
        self.log = (root / "registry.log").open("wb")
        self.process = subprocess.Popen(
            [str(REGISTRY), "serve", str(root / "config.yml")],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.root = root

    def wait(self) -> str:
        """'' once /v2/ answers, else the reason it does not."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2).close()
                return ""
            except urllib.error.HTTPError:
                return ""  # 401 from an auth registry: it is up
            except OSError:
                time.sleep(0.1)
        self.stop()
        return (
            "docker-registry did not start: "
            + (self.root / "registry.log").read_text(errors="replace")[-2000:]
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def push(self, source: str, name: str, *extra: str) -> str:
        ref = f"{self.host}/{name}"
        result = subprocess.run(
            [str(SKOPEO), "copy", "--dest-tls-verify=false", *extra, source, f"docker://{ref}"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return ref


def start_registry(root: Path, auth: tuple[str, str] | None = None) -> Registry:
    if not REGISTRY.is_file():
        unavailable(f"{REGISTRY} is absent: install Debian's docker-registry")
    if SKOPEO is None:
        unavailable("skopeo is absent: install Debian's skopeo")
    registry = Registry(root, auth)
    reason = registry.wait()
    if reason:
        unavailable(reason)
    return registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    started = start_registry(tmp_path_factory.mktemp("registry"))
    try:
        yield started
    finally:
        started.stop()


def insecure(registry: Registry, **more: object) -> RegistryOptions:
    return RegistryOptions(insecure_registries=frozenset({registry.host}), **more)  # type: ignore[arg-type]
