"""Live: a real Debian bookworm minbase image, read from every source kind.

The root filesystem comes from `debootstrap` (tests/live/images.py, cached between sessions);
the image is that tree imported into the private test daemon, saved with `docker save`, and
copied to an OCI layout with skopeo, and that layout pushed with skopeo to a real
docker-registry on loopback (tests/live/registry.py). Every source kind (daemon, docker-archive,
OCI layout, registry, `dir:`, `rootfs:` tar) must give the files of the tree as `lstat` sees
them (paths, types, modes, owners, sizes), the config user of the image where there is a
config, and, once the inventory reader exists, the packages and versions `dpkg-query -W` lists
for the same tree.
"""

from __future__ import annotations

import importlib
import os
import stat
from pathlib import Path
from types import ModuleType

import pytest

from hullguard.image.model import FileType, ImageFile
from hullguard.image.registry import RegistryOptions
from hullguard.image.sources import NO_CONFIG_NOTE, ImageResult, open_image
from tests.live import images
from tests.live.conftest import unavailable
from tests.live.conftest_images import debian_image, debian_rootfs
from tests.live.registry import Registry, insecure, registry

__all__ = ["debian_image", "debian_rootfs", "registry"]  # the fixtures this module uses

pytestmark = pytest.mark.live

KINDS = ["daemon", "docker-archive", "oci", "registry", "dir", "rootfs"]
WITH_CONFIG = {"daemon", "docker-archive", "oci", "registry"}
REGISTRY_NAME = "debian:bookworm"  # the repository and tag pushed to the loopback registry

Entry = tuple[str, int, int, int, int]  # type, mode, uid, gid, size


@pytest.fixture(scope="module")
def tree_files(debian_rootfs: images.DebianRootfs) -> dict[str, Entry]:
    """The root filesystem as `lstat` sees it, without the image sources' code."""
    root = str(debian_rootfs.rootfs)
    found: dict[str, Entry] = {}
    for folder, dirs, names in os.walk(root):
        for name in [*dirs, *names]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            kind = _kind(info.st_mode)
            size = info.st_size if kind == "file" else 0
            entry = (kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, size)
            found["/" + os.path.relpath(path, root)] = entry
    return found


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISREG, FileType.REGULAR),
        (stat.S_ISDIR, FileType.DIRECTORY),
        (stat.S_ISLNK, FileType.SYMLINK),
        (stat.S_ISCHR, FileType.CHARDEV),
        (stat.S_ISBLK, FileType.BLOCKDEV),
        (stat.S_ISFIFO, FileType.FIFO),
    ):
        if test(mode):
            return kind.value
    return "other"


def _entry(file: ImageFile) -> Entry:
    kind = FileType.REGULAR if file.type is FileType.HARDLINK else file.type
    return (kind.value, file.mode, file.uid, file.gid, file.size)


@pytest.fixture(scope="module", params=KINDS)
def source(
    request: pytest.FixtureRequest, debian_rootfs: images.DebianRootfs
) -> tuple[str, str, ImageResult]:
    """(kind, ref, what `open_image` read) for each source kind available here."""
    kind = str(request.param)
    host, options = None, None
    if kind == "dir":
        ref = f"dir:{debian_rootfs.rootfs}"
    elif kind == "rootfs":
        ref = f"rootfs:{debian_rootfs.tarball}"
    else:
        image: images.DebianImage = request.getfixturevalue("debian_image")
        if kind == "daemon":
            ref, host = image.tag, request.getfixturevalue("docker_daemon").host
        elif kind == "docker-archive":
            ref = f"docker-archive:{image.archive}"
        elif kind == "registry":
            ref, options = _pushed(image, request.getfixturevalue("registry"))
        elif image.oci_ref is None:
            unavailable(f"no OCI layout of the Debian image: {image.oci_missing}")
        else:
            ref = image.oci_ref
    return kind, ref, open_image(ref, docker_host=host, registry=options)


def _pushed(image: images.DebianImage, registry: Registry) -> tuple[str, RegistryOptions]:
    """Push the cached OCI layout (the `docker save` archive without skopeo's layout) to the
    loopback registry: `registry:127.0.0.1:PORT/debian:bookworm` and the options to read it."""
    source = image.oci_ref or f"docker-archive:{image.archive}"
    pushed = registry.push(source, REGISTRY_NAME)
    assert pushed == f"127.0.0.1:{registry.port}/{REGISTRY_NAME}"
    return f"registry:{pushed}", insecure(registry)


def test_every_source_gives_the_files_of_the_tree(
    source: tuple[str, str, ImageResult], tree_files: dict[str, Entry]
) -> None:
    kind, ref, result = source
    assert result.errors == (), ref
    assert result.contents is not None
    files = {path: _entry(file) for path, file in result.contents.files.items()}
    missing = sorted(set(tree_files) - set(files))
    extra = sorted(set(files) - set(tree_files))
    assert (missing[:10], extra[:10]) == ([], []), kind
    differ = {p: (files[p], tree_files[p]) for p in tree_files if files[p] != tree_files[p]}
    assert dict(list(differ.items())[:10]) == {}, kind
    assert len(files) > 3000  # a real minbase tree, not a stub
    assert "/var/lib/dpkg/status" in files


def test_the_config_user_where_there_is_a_config(source: tuple[str, str, ImageResult]) -> None:
    kind, ref, result = source
    if kind in WITH_CONFIG:
        assert result.spec is not None, ref
        assert result.spec.user.value == images.IMAGE_USER
        assert result.spec.cmd is not None
        assert result.contents is not None and len(result.contents.layers) == 1
    else:
        assert result.spec is None
        assert [t.note for t in result.targets] == [NO_CONFIG_NOTE]


def _inventory_module() -> ModuleType:
    try:
        return importlib.import_module("hullguard.image.inventory")
    except ModuleNotFoundError as exc:
        if exc.name != "hullguard.image.inventory":
            raise
        pytest.skip("hullguard.image.inventory does not exist yet: no dpkg inventory to compare")


@pytest.fixture(scope="module")
def dpkg_packages(debian_rootfs: images.DebianRootfs) -> dict[str, str]:
    try:
        packages = images.dpkg_query(debian_rootfs.rootfs)
    except images.ImageUnavailable as exc:
        unavailable(str(exc))
    assert "base-files" in packages and "dpkg" in packages
    return packages


def test_the_dpkg_inventory_equals_dpkg_query(
    source: tuple[str, str, ImageResult], dpkg_packages: dict[str, str], debian_rootfs: object
) -> None:
    module = _inventory_module()
    kind, ref, result = source
    assert result.contents is not None
    inventory, errors = module.inventory(result.contents)
    assert list(errors) == [], ref
    found: dict[str, str] = {}
    for package in inventory.packages:
        if package.ecosystem.value == "deb":
            assert package.name not in found, f"{kind}: {package.name} listed twice"
            found[package.name] = package.version
    assert found == dpkg_packages, kind
    assert inventory.os is not None and inventory.os.id == "debian"
    assert inventory.os.version_id == "12"


def test_the_cache_folder_is_the_only_place_written(
    debian_rootfs: images.DebianRootfs,
) -> None:
    assert debian_rootfs.rootfs.is_relative_to(images.cache_root())
    assert debian_rootfs.tarball.is_relative_to(images.cache_root())
    assert Path(debian_rootfs.admindir, "status").is_file()
