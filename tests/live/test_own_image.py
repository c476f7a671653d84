"""Live: hullguard's own image, built from the repository's Dockerfile by the private daemon.

The daemon has no network, so the test gives the build what it would otherwise download:
- the base: Debian bookworm with python3 and python3-venv (debootstrap, cached by
  tests/live/images.py), imported into the daemon and passed as `--build-arg PYTHON_IMAGE`;
- the Python packages: wheels of hullguard and its dependencies, and of setuptools to build it,
  made on this host by pip (from its cache or the package index) into `wheels/` of the build
  context, used through `--build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/src/wheels`.
The image must print hullguard's version, scan a mounted folder as the host's hullguard scans it,
run as a non-root user and pass `hullguard image` without a finding that says otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hullguard import __version__
from hullguard.cli import main
from hullguard.image.model import FileType
from hullguard.image.sources import open_image
from tests.live import images
from tests.live.conftest import unavailable
from tests.live.daemon import DockerDaemon

pytestmark = pytest.mark.live

REPO = Path(__file__).resolve().parents[2]
# What the Dockerfile's build context needs; .dockerignore keeps the rest out in any case.
CONTEXT_FILES = ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md", "LICENSE")
TAG = "hg-own-image:test"
EXPECTED_USER = "10001:10001"
PIP_TIMEOUT = 900


@pytest.fixture(scope="module")
def python_base(docker_daemon: DockerDaemon) -> str:
    try:
        return images.debian_python_image(docker_daemon)
    except images.ImageUnavailable as exc:
        reason = str(exc)
    unavailable(f"cannot build the Debian base with Python: {reason}")


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        unavailable(f"`pip {' '.join(args)}` did not finish in {PIP_TIMEOUT}s")
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-10:])
        unavailable(
            f"`pip {' '.join(args)}` exited {result.returncode} (no package index?):\n{tail}"
        )


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's Dockerfile, .dockerignore and package sources, with `wheels/`."""
    context = tmp_path_factory.mktemp("own-image") / "context"
    context.mkdir()
    for name in CONTEXT_FILES:
        shutil.copy2(REPO / name, context / name)
    shutil.copytree(
        REPO / "src",
        context / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    wheels = context / "wheels"
    # From the copy, so that building the wheel writes nothing into the checkout.
    _pip("wheel", "--wheel-dir", str(wheels), str(context))
    _pip("download", "--only-binary=:all:", "--dest", str(wheels), "setuptools>=68")
    return context


@pytest.fixture(scope="module")
def own_image(docker_daemon: DockerDaemon, python_base: str, build_context: Path) -> Iterator[str]:
    docker_daemon.docker(
        "build",
        "--quiet",
        "--network=none",
        "--build-arg",
        f"PYTHON_IMAGE={python_base}",
        "--build-arg",
        "PIP_NO_INDEX=1",
        "--build-arg",
        "PIP_FIND_LINKS=/src/wheels",
        "--tag",
        TAG,
        str(build_context),
        env={"DOCKER_BUILDKIT": "1"},
        timeout=1800,
    )
    yield TAG
    docker_daemon.docker("image", "rm", "--force", TAG, check=False)


def run(daemon: DockerDaemon, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return daemon.docker("run", "--rm", "--network=none", *args, check=check, timeout=600)


def test_image_config(docker_daemon: DockerDaemon, own_image: str, python_base: str) -> None:
    config = docker_daemon.inspect_image(own_image)["Config"]
    assert isinstance(config, dict)
    assert config["User"] == EXPECTED_USER
    assert config["Entrypoint"] == ["hullguard"]
    assert config["WorkingDir"] == "/work"
    assert config["Healthcheck"]["Test"] == ["CMD", "hullguard", "--version"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.title"] == "hullguard"
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.base.name"] == python_base


def test_version(docker_daemon: DockerDaemon, own_image: str) -> None:
    assert run(docker_daemon, own_image, "--version").stdout == f"hullguard {__version__}\n"


def test_final_stage_holds_the_environment_and_nothing_of_the_builder(
    docker_daemon: DockerDaemon, own_image: str, python_base: str
) -> None:
    """Read with hullguard's own image reader: the environment, owned by root so that its user
    cannot change it, linked to an interpreter the final stage has; no pip in it, and none of
    the builder's sources and wheels."""
    result = open_image(own_image, docker_host=docker_daemon.host)
    assert result.errors == () and result.contents is not None
    files = result.contents.files
    entry_point = files["/opt/hullguard/bin/hullguard"]
    assert (entry_point.type, entry_point.uid, entry_point.mode & 0o022) == (
        FileType.REGULAR,
        0,
        0,
    )
    python = files["/opt/hullguard/bin/python3"]
    assert python.type is FileType.SYMLINK and python.linkname is not None
    interpreter = files[python.linkname]
    assert interpreter.type in (FileType.REGULAR, FileType.SYMLINK)
    site = "/opt/hullguard/lib/python3.11/site-packages"
    assert f"{site}/hullguard/cli.py" in files
    assert not [path for path in files if path.startswith(f"{site}/pip/")]
    assert not [path for path in files if path.startswith(("/src/", "/dist/"))]
    # Nothing the container's user may write outside its home and the temporary folders.
    owned = [
        path
        for path, file in files.items()
        if file.uid == 10001 and not path.startswith(("/home/hullguard", "/work"))
    ]
    assert owned == []


def _readable_copy(source: Path, target: Path) -> Path:
    """A copy of `source` that every user may read (the container's user is not the owner)."""
    shutil.copytree(source, target)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            path = Path(folder) / name
            path.chmod(path.stat().st_mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    target.parent.chmod(0o755)
    return target


def _findings(report: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    """Rule, file and line of each finding, leaving out known vulnerabilities: they depend on
    the database each side has."""
    return sorted(
        (f["rule_id"], f["location"]["path"], f["location"]["line"])
        for f in report["findings"]
        if not f.get("vulnerability")
    )


def test_scan_of_a_mounted_folder(
    docker_daemon: DockerDaemon,
    own_image: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = _readable_copy(REPO / "examples", tmp_path / "share" / "examples")
    inside = run(
        docker_daemon,
        "--volume",
        f"{examples}:/work:ro",
        own_image,
        "scan",
        ".",
        "--format",
        "json",
        "--quiet",
        check=False,
    )
    assert inside.returncode == 1, inside.stderr  # the examples hold findings at medium and above
    report = json.loads(inside.stdout)
    # The image ships no vulnerability database (`hullguard db update` fetches one): the scan
    # says so, and that is its only complaint.
    assert [e for e in report["errors"] if not e["path"].endswith("/vuln.db")] == []
    assert report["targets"] and all(t["status"] == "ok" for t in report["targets"])

    monkeypatch.chdir(examples)
    assert main(["scan", ".", "--format", "json", "--quiet"]) == 1
    on_host = json.loads(capsys.readouterr().out)
    assert _findings(report) == _findings(on_host)
    assert ("HG101", "shop/k8s/deployment.yaml", 23) in _findings(report)


def test_image_audit_finds_it_non_root(
    docker_daemon: DockerDaemon, own_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "image",
            own_image,
            "--docker-host",
            docker_daemon.host,
            "--format",
            "json",
            "--fail-on",
            "never",
            "--quiet",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(t["kind"], t["status"]) for t in report["targets"]][:1] == [("image", "ok")], report
    rule_ids = {f["rule_id"] for f in report["findings"]}
    assert not rule_ids & {"HG202", "HG206", "HG215"}, report["findings"]  # root user rules
    critical = [f for f in report["findings"] if f["severity"] == "critical"]
    assert critical == []
