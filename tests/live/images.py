"""A real Debian image for live tests and benchmarks, built once into a cache folder.

`debian_rootfs()` runs `debootstrap --variant=minbase bookworm` into the cache folder
(`$HULLGUARD_TEST_CACHE`, else `~/.cache/hullguard-tests/`) and packs it into `rootfs.tar`;
`debian_image(daemon)` imports that tarball into a (private) test daemon with `docker import`,
saves it with `docker save` into the cache, and copies that archive to an OCI layout with
`skopeo copy docker-archive:... oci:DIR:bookworm`. Each piece is reused while present in the
folder of the current `RECIPE_VERSION`; a folder of another version is removed and rebuilt.
Pieces are built in a temporary name beside their final one and renamed when complete, under a
lock file, so that an interrupted build leaves nothing that looks finished.

Nothing is written outside the cache folder (and the daemon's own private directory). A piece
that cannot be built here raises `ImageUnavailable` saying why; the fixtures turn that into a
skip, or a failure with CI=true.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.live.daemon import DockerDaemon

RECIPE_VERSION = 1  # change when the recipe below changes: the cached pieces are rebuilt
SUITE = "bookworm"
VARIANT = "minbase"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBIAN_TAG = "hg-debian:bookworm"
OCI_TAG = "bookworm"
# The imported image gets a config of its own, so that every source with a config reports it.
IMAGE_USER = "nobody"
IMPORT_CHANGES = (f"USER {IMAGE_USER}", 'CMD ["/bin/bash"]')
DEBOOTSTRAP_TIMEOUT = 900


class ImageUnavailable(Exception):
    """A piece of the test image cannot be built here; the message says why."""


def cache_root() -> Path:
    configured = os.environ.get("HULLGUARD_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "hullguard-tests"


def recipe_folder() -> Path:
    return cache_root() / f"debian-{SUITE}-{VARIANT}-v{RECIPE_VERSION}"


@dataclass(frozen=True)
class DebianRootfs:
    folder: Path  # the recipe's cache folder
    rootfs: Path  # the unpacked root filesystem
    tarball: Path  # the same, as one tar (`./etc/...` members, numeric owners)
    build_seconds: float  # 0.0 when reused from the cache

    @property
    def admindir(self) -> Path:
        return self.rootfs / "var" / "lib" / "dpkg"


@dataclass(frozen=True)
class DebianImage:
    rootfs: DebianRootfs
    tag: str  # the name of the image in the daemon it was imported into
    archive: Path  # `docker save` output
    oci_layout: Path | None  # None without skopeo
    oci_missing: str | None  # why there is no OCI layout

    @property
    def oci_ref(self) -> str | None:
        return f"oci:{self.oci_layout}:{OCI_TAG}" if self.oci_layout else None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_other_versions(root: Path, keep: Path) -> None:
    prefix = f"debian-{SUITE}-{VARIANT}-v"
    for entry in root.glob(prefix + "*"):
        if entry != keep and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _fresh(path: Path) -> Path:
    """`path` with `.partial` appended, emptied of what an interrupted build left."""
    partial = path.with_name(path.name + ".partial")
    if partial.is_dir() and not partial.is_symlink():
        shutil.rmtree(partial)
    elif partial.exists() or partial.is_symlink():
        partial.unlink()
    return partial


def _run(args: list[str], what: str, timeout: float, **kwargs: object) -> str:
    try:
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )  # type: ignore[call-overload]
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ImageUnavailable(f"{what} failed: {exc}") from None
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
        raise ImageUnavailable(f"{what} exited {result.returncode}:\n{tail}")
    return str(result.stdout)


def debian_rootfs() -> DebianRootfs:
    """The Debian bookworm minbase root filesystem and its tarball, built once."""
    folder = recipe_folder()
    rootfs, tarball = folder / "rootfs", folder / "rootfs.tar"
    with _locked(folder):
        _remove_other_versions(folder.parent, folder)
        if rootfs.is_dir() and tarball.is_file():
            return DebianRootfs(folder, rootfs, tarball, 0.0)
        started = time.monotonic()
        if not rootfs.is_dir():
            _debootstrap(rootfs)
        partial = _fresh(tarball)
        _run(
            ["tar", "--numeric-owner", "--sort=name", "-C", str(rootfs), "-cf", str(partial), "."],
            "packing the root filesystem with tar",
            600,
        )
        partial.rename(tarball)
        return DebianRootfs(folder, rootfs, tarball, time.monotonic() - started)


def _debootstrap(rootfs: Path) -> None:
    debootstrap = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if os.access("/usr/sbin/debootstrap", os.X_OK) else None
    )
    if debootstrap is None:
        raise ImageUnavailable("debootstrap is not installed (Debian package debootstrap)")
    if os.geteuid() != 0:
        raise ImageUnavailable("debootstrap needs root to build the Debian root filesystem")
    mirror = os.environ.get("HULLGUARD_DEBIAN_MIRROR", DEFAULT_MIRROR)
    partial = _fresh(rootfs)
    try:
        _run(
            [debootstrap, f"--variant={VARIANT}", SUITE, str(partial), mirror],
            f"debootstrap --variant={VARIANT} {SUITE} from {mirror}",
            DEBOOTSTRAP_TIMEOUT,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"},
        )
        # debootstrap keeps the downloaded .debs in the root filesystem's apt cache only when
        # asked to; the apt lists it leaves are part of a real minbase image, kept as they are.
    except ImageUnavailable:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(rootfs)


def debian_image(daemon: DockerDaemon) -> DebianImage:
    """The Debian image in `daemon` (imported each time: the test daemon is private to a
    session), its `docker save` archive and its OCI layout (both cached)."""
    base = debian_rootfs()
    folder = base.folder
    archive, layout = folder / "image.tar", folder / "oci"
    changes = [arg for change in IMPORT_CHANGES for arg in ("--change", change)]
    with _locked(folder):
        daemon.docker("import", *changes, str(base.tarball), DEBIAN_TAG, timeout=600)
        if not archive.is_file():
            partial = _fresh(archive)
            daemon.docker("save", "-o", str(partial), DEBIAN_TAG, timeout=600)
            partial.rename(archive)
        missing = None
        if not (layout / "index.json").is_file():
            try:
                skopeo_copy(archive, layout, OCI_TAG)
            except ImageUnavailable as exc:
                missing = str(exc)
    return DebianImage(
        rootfs=base,
        tag=DEBIAN_TAG,
        archive=archive,
        oci_layout=None if missing else layout,
        oci_missing=missing,
    )


def skopeo_copy(archive: Path, layout: Path, tag: str) -> None:
    """`skopeo copy docker-archive:ARCHIVE oci:LAYOUT:TAG`, into a partial folder first."""
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise ImageUnavailable("skopeo is not installed (Debian package skopeo)")
    partial = _fresh(layout)
    _run(
        [
            skopeo,
            "--insecure-policy",
            "--tmpdir",
            str(layout.parent),
            "copy",
            "--quiet",
            f"docker-archive:{archive}",
            f"oci:{partial}:{tag}",
        ],
        "skopeo copy to an OCI layout",
        600,
    )
    partial.rename(layout)


def dpkg_query(rootfs: Path) -> dict[str, str]:
    """`dpkg-query -W` over the root filesystem's database: package name → version."""
    out = _run(
        [
            "dpkg-query",
            "-W",
            "-f",
            "${Package}\t${Version}\n",
            f"--admindir={rootfs / 'var' / 'lib' / 'dpkg'}",
        ],
        "dpkg-query",
        120,
    )
    packages: dict[str, str] = {}
    for line in out.splitlines():
        name, _, version = line.partition("\t")
        if name:
            packages[name] = version
    return packages


def describe(image: DebianImage) -> str:
    return json.dumps(
        {
            "rootfs": str(image.rootfs.rootfs),
            "archive": str(image.archive),
            "oci": str(image.oci_layout),
        }
    )
