"""Live: progress bars of work on a real daemon, on a pseudo-terminal. `hullguard image NAME`
streams the daemon's `docker save` export under a byte bar; `hullguard host` inspects many
containers under a bar. Neither shows one with `--quiet`, and the report is the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullguard.sources.daemon import MANY_CONTAINERS
from tests.live.daemon import DockerDaemon
from tests.test_terminal import run_cli, terminal_env

pytestmark = pytest.mark.live

IMAGE = 'FROM scratch\nCOPY busybox /bin/busybox\nUSER 1000\nCMD ["/bin/busybox", "true"]\n'


@pytest.fixture(scope="module")
def image(docker_daemon: DockerDaemon) -> str:
    docker_daemon.build_busybox_image("hg-terminal:1", IMAGE)
    return "hg-terminal:1"


def test_an_image_export_from_the_daemon_draws_a_byte_bar(
    docker_daemon: DockerDaemon, image: str, tmp_path: Path
) -> None:
    args = ["image", image, "--docker-host", docker_daemon.host, "--format", "json"]
    args += ["--fail-on", "never"]
    env = terminal_env(HOME=str(tmp_path))
    shown = run_cli(args, cwd=tmp_path, env=env, tty_stderr=True)
    assert shown.code == 0, shown.terminal
    assert f"Exporting {image}".encode() in shown.terminal
    assert b"MB" in shown.terminal or b"kB" in shown.terminal
    quiet = run_cli([*args, "-q"], cwd=tmp_path, env=env, tty_stderr=True)
    assert quiet.code == 0
    assert quiet.terminal == b""
    assert json.loads(quiet.stdout) == json.loads(shown.stdout)


def test_a_host_with_many_containers_draws_a_bar(
    docker_daemon: DockerDaemon, image: str, tmp_path: Path
) -> None:
    names = [f"hg-terminal-{index:03d}" for index in range(MANY_CONTAINERS)]
    for name in names:
        docker_daemon.docker("create", "--name", name, image)
    try:
        args = ["host", "--docker-host", docker_daemon.host, "--root", str(tmp_path)]
        args += ["--format", "json", "--fail-on", "never"]
        env = terminal_env(HOME=str(tmp_path))
        shown = run_cli(args, cwd=tmp_path, env=env, tty_stderr=True)
        assert b"Inspecting containers" in shown.terminal
        assert f"/{MANY_CONTAINERS}".encode() in shown.terminal
        quiet = run_cli(["-q", *args], cwd=tmp_path, env=env, tty_stderr=True)
        assert quiet.terminal == b""
        report = json.loads(quiet.stdout)
        containers = [t["path"] for t in report["targets"] if t["kind"] == "container"]
        assert sorted(containers) == [f"container/{name}" for name in names]
    finally:
        docker_daemon.docker("rm", "-f", *names, check=False)
