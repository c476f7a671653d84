"""Live: images built by a private daemon, read from `docker save` archives and from the daemon.

Both sources must give the same files and the same ImageSpec; `inspect_image` reports HG202 for
the image without USER and not for the one with `USER 1000`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hullguard.image.model import FileType
from hullguard.image.run import ImageRequest, inspect_image
from hullguard.image.sources import ImageResult, open_image
from hullguard.model import Location
from tests.live.daemon import DockerDaemon

pytestmark = pytest.mark.live

BUSYBOX = 'COPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
ROOT_IMAGE = "FROM scratch\n" + BUSYBOX + 'CMD ["sh"]\n'
USER_IMAGE = (
    "FROM scratch\n" + BUSYBOX + "COPY --chown=1000:1000 .env /app/.env\n"
    "USER 1000\n"
    "EXPOSE 8080\n"
    'CMD ["sh"]\n'
)
FAKE_TOKEN = "TOKEN=ghp_" + "0123456789abcdefghij0123456789abcdef\n"


@pytest.fixture(scope="module")
def images(
    docker_daemon: DockerDaemon, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("saved")
    docker_daemon.build_busybox_image("hg-root:1", ROOT_IMAGE)
    docker_daemon.build_busybox_image("hg-user:1", USER_IMAGE, {".env": FAKE_TOKEN})
    saved = {}
    for tag in ("hg-root:1", "hg-user:1"):
        path = folder / (tag.replace(":", "-") + ".tar")
        docker_daemon.docker("save", "-o", str(path), tag)
        saved[tag] = path
    yield saved


def _comparable(result: ImageResult, ref: str) -> tuple[object, object]:
    """Files and spec with the ref-dependent locations taken out."""
    assert result.contents is not None and result.spec is not None
    spec = result.spec
    return (
        dict(result.contents.files),
        (
            spec.user.value,
            spec.user_explicit,
            [(e.name, e.value) for e in spec.env],
            [p.value for p in spec.exposed_ports],
            spec.cmd.value if spec.cmd else None,
            spec.entrypoint,
            spec.healthcheck,
            [(label.name, label.value) for label in spec.labels],
            [link.replace(ref, "REF") for link in spec.user_chain],
        ),
    )


@pytest.mark.parametrize("tag", ["hg-root:1", "hg-user:1"])
def test_archive_and_daemon_give_the_same_image(
    docker_daemon: DockerDaemon, images: dict[str, Path], tag: str
) -> None:
    archive_ref = f"docker-archive:{images[tag]}"
    from_archive = open_image(archive_ref)
    from_daemon = open_image(tag, docker_host=docker_daemon.host)
    assert from_archive.errors == ()
    assert from_daemon.errors == ()
    assert _comparable(from_archive, archive_ref) == _comparable(from_daemon, tag)
    contents = from_daemon.contents
    assert contents is not None
    busybox = contents.files["/bin/busybox"]
    assert busybox.type is FileType.REGULAR
    assert busybox.size == Path("/bin/busybox").stat().st_size
    assert contents.files["/bin/sh"].type is FileType.SYMLINK
    inspected = docker_daemon.inspect_image(tag)
    rootfs = inspected["RootFS"]
    assert isinstance(rootfs, dict)
    assert [layer.digest for layer in contents.layers] == rootfs["Layers"]
    spec = from_daemon.spec
    assert spec is not None
    assert spec.user.location == Location(logical=f"image/{tag}:Config.User")
    if tag == "hg-user:1":
        env = contents.files["/app/.env"]
        assert env.content == FAKE_TOKEN.encode()
        assert env.uid == 1000
        assert spec.user.value == "1000"
        assert [p.value for p in spec.exposed_ports] == ["8080/tcp"]
        layer = contents.layer_of(env)
        assert layer is not None and layer.created_by is not None
        assert "/app/.env" in layer.created_by
    else:
        assert spec.user.value == ""


def test_inspect_image_reports_root_only_for_the_image_without_user(
    docker_daemon: DockerDaemon, images: dict[str, Path]
) -> None:
    root_ref = f"docker-archive:{images['hg-root:1']}"
    root_report = inspect_image(ImageRequest(root_ref))
    assert [
        (f.rule_id, f.location.logical) for f in root_report.findings if f.rule_id == "HG202"
    ] == [("HG202", f"image/{root_ref}:Config.User")]
    user_report = inspect_image(ImageRequest("hg-user:1", docker_host=docker_daemon.host))
    assert [f for f in user_report.findings if f.rule_id == "HG202"] == []
    assert user_report.errors == ()
    assert "HG450" in {f.rule_id for f in user_report.findings}


def test_a_name_the_daemon_does_not_know(docker_daemon: DockerDaemon) -> None:
    ref = "127.0.0.1:1/hg-absent:9"  # falls back to a registry that is not there
    result = open_image(ref, docker_host=docker_daemon.host)
    assert result.contents is None
    assert len(result.errors) == 1
    assert f"no image `{ref}` on the daemon" in result.errors[0].message
    assert "from a registry: cannot reach 127.0.0.1:1" in result.errors[0].message
    assert replace(result.targets[0], note=None).path == ref
