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

`debian_python_rootfs()` is a second cached variant, the same minbase with python3 and
python3-venv and without apt's lists, documentation and translations, standing in for the
official Python image; `debian_python_image(daemon)` imports it (tests/live/test_own_image.py).

`language_layers()` fetches, once, a few pinned wheels from PyPI and npm packages from the npm
registry into a cache folder of their own and installs them there (`pip install --target`,
`npm install`); `language_image(daemon, base, folder)` builds, offline, the Debian image with
those folders COPYied in.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
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


def _debootstrap(rootfs: Path, include: tuple[str, ...] = ()) -> None:
    debootstrap = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if os.access("/usr/sbin/debootstrap", os.X_OK) else None
    )
    if debootstrap is None:
        raise ImageUnavailable("debootstrap is not installed (Debian package debootstrap)")
    if os.geteuid() != 0:
        raise ImageUnavailable("debootstrap needs root to build the Debian root filesystem")
    mirror = os.environ.get("HULLGUARD_DEBIAN_MIRROR", DEFAULT_MIRROR)
    partial = _fresh(rootfs)
    extra = [f"--include={','.join(include)}"] if include else []
    try:
        _run(
            [debootstrap, f"--variant={VARIANT}", *extra, SUITE, str(partial), mirror],
            f"{' '.join(['debootstrap', f'--variant={VARIANT}', *extra, SUITE])} from {mirror}",
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


# --- Python and Node packages in layers --------------------------------------------------------

LANGUAGE_RECIPE_VERSION = 1  # change when the pins or the layout below change
# Small pure-Python wheels without dependencies: distribution name → version.
PYPI_PINS = {"six": "1.16.0", "idna": "3.7", "tomli": "2.0.1"}
# Small npm packages without dependencies, one of them scoped: name → version.
NPM_PINS = {"ms": "2.1.3", "@isaacs/string-locale-compare": "1.1.0"}
SITE_PACKAGES = "/usr/local/lib/python3.11/site-packages"
NODE_MODULES = "/srv/app/node_modules"
LANGUAGE_TAG = "hg-debian-langs:bookworm"
NETWORK_TIMEOUT = 300


@dataclass(frozen=True)
class LanguageLayers:
    folder: Path  # the cache folder of this recipe
    wheels: Path  # the wheels `pip download` fetched from PyPI
    site_packages: Path  # `pip install --target` of those wheels, for SITE_PACKAGES
    node_modules: Path  # `npm install` of NPM_PINS, for NODE_MODULES


@dataclass(frozen=True)
class LanguageImage:
    layers: LanguageLayers
    tag: str  # in the daemon: the Debian image plus one COPY layer for each folder
    archive: Path  # its `docker save` output


def language_folder() -> Path:
    return cache_root() / f"language-packages-v{LANGUAGE_RECIPE_VERSION}"


def language_layers() -> LanguageLayers:
    """The wheels of PYPI_PINS installed into a site-packages folder and NPM_PINS installed into
    a node_modules folder, built once into the cache folder (PyPI and npm are reached only then;
    their caches stay inside the folder too)."""
    folder = language_folder()
    wheels, python, node = folder / "wheels", folder / "site-packages", folder / "node"
    with _locked(folder):
        for entry in folder.parent.glob("language-packages-v*"):
            if entry != folder and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
        if not wheels.is_dir():
            _pip_download(wheels)
        if not python.is_dir():
            _pip_install(wheels, python)
        if not (node / "node_modules").is_dir():
            _npm_install(node, folder / "npm-cache")
    return LanguageLayers(folder, wheels, python, node / "node_modules")


def _pip(*args: str) -> list[str]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir", *args]


def _pip_download(wheels: Path) -> None:
    partial = _fresh(wheels)
    pins = [f"{name}=={version}" for name, version in PYPI_PINS.items()]
    try:
        _run(
            _pip("download", "--only-binary=:all:", "--no-deps", "--dest", str(partial), *pins),
            f"pip download {' '.join(pins)} (is PyPI reachable?)",
            NETWORK_TIMEOUT,
        )
    except ImageUnavailable:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(wheels)


def _pip_install(wheels: Path, target: Path) -> None:
    partial = _fresh(target)
    pins = [f"{name}=={version}" for name, version in PYPI_PINS.items()]
    _run(
        _pip(
            "install",
            "--no-index",
            "--find-links",
            str(wheels),
            "--no-deps",
            "--no-compile",
            "--target",
            str(partial),
            *pins,
        ),
        "pip install --target from the downloaded wheels",
        NETWORK_TIMEOUT,
    )
    partial.rename(target)


def _npm_install(node: Path, npm_cache: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ImageUnavailable("npm is not installed (Debian package npm)")
    partial = _fresh(node)
    partial.mkdir(parents=True)
    manifest = {"name": "hg-test-app", "version": "1.0.0", "private": True}
    (partial / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    pins = [f"{name}@{version}" for name, version in NPM_PINS.items()]
    try:
        _run(
            [
                npm,
                "install",
                "--save-exact",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--no-update-notifier",
                *pins,
            ],
            f"npm install {' '.join(pins)} (is the npm registry reachable?)",
            NETWORK_TIMEOUT,
            cwd=partial,
            env={**os.environ, "npm_config_cache": str(npm_cache)},
        )
    except ImageUnavailable:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(node)


def language_image(daemon: DockerDaemon, base: DebianImage, archive_folder: Path) -> LanguageImage:
    """The Debian image `base` (in `daemon`) with the site-packages folder, then the
    node_modules folder, COPYied in (one layer each), built offline by `daemon`, and its
    `docker save` in `archive_folder`."""
    layers = language_layers()
    context = Path(tempfile.mkdtemp(prefix="langs-", dir=archive_folder))
    shutil.copytree(layers.site_packages, context / "site-packages", symlinks=True)
    shutil.copytree(layers.node_modules, context / "node_modules", symlinks=True)
    (context / "Dockerfile").write_text(
        f"FROM {base.tag}\nCOPY site-packages {SITE_PACKAGES}\nCOPY node_modules {NODE_MODULES}\n",
        encoding="utf-8",
    )
    daemon.docker("build", "--quiet", "--network=none", "--tag", LANGUAGE_TAG, str(context))
    shutil.rmtree(context, ignore_errors=True)
    archive = archive_folder / "langs.tar"
    daemon.docker("save", "-o", str(archive), LANGUAGE_TAG, timeout=600)
    return LanguageImage(layers, LANGUAGE_TAG, archive)


# --- Debian with Python: a stand-in for python:3.11-slim-bookworm -------------------------------

PYTHON_RECIPE_VERSION = 2  # change when the packages, the trimming or the import below change
# bookworm's python3 is 3.11; python3-venv brings ensurepip and the pip and setuptools wheels.
PYTHON_PACKAGES = ("python3", "python3-venv")
# Left out, as the slim images leave them out: apt's lists and caches, documentation, manual
# pages, translations. Half the size, and every layer the vfs test daemon makes is a full copy.
PYTHON_TRIMMED = (
    "var/lib/apt/lists",
    "var/cache/apt",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
)
PYTHON_TAG = "hg-debian-python:bookworm"
# The official Python images set these; an imported root filesystem has no config at all.
PYTHON_IMPORT_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)


def python_recipe_folder() -> Path:
    return cache_root() / f"debian-{SUITE}-python-v{PYTHON_RECIPE_VERSION}"


def debian_python_rootfs() -> DebianRootfs:
    """The Debian bookworm minbase root filesystem with PYTHON_PACKAGES, and its tarball, built
    once into a cache folder of its own (the plain minbase folder is left as it is)."""
    folder = python_recipe_folder()
    rootfs, tarball = folder / "rootfs", folder / "rootfs.tar"
    with _locked(folder):
        for entry in folder.parent.glob(f"debian-{SUITE}-python-v*"):
            if entry != folder and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
        if rootfs.is_dir() and tarball.is_file():
            return DebianRootfs(folder, rootfs, tarball, 0.0)
        started = time.monotonic()
        if not rootfs.is_dir():
            _debootstrap(rootfs, include=PYTHON_PACKAGES)
        _trim(rootfs, PYTHON_TRIMMED)
        partial = _fresh(tarball)
        _run(
            ["tar", "--numeric-owner", "--sort=name", "-C", str(rootfs), "-cf", str(partial), "."],
            "packing the root filesystem with tar",
            600,
        )
        partial.rename(tarball)
        return DebianRootfs(folder, rootfs, tarball, time.monotonic() - started)


def _trim(rootfs: Path, folders: tuple[str, ...]) -> None:
    """Empty each of `folders` (relative to `rootfs`), keeping the folder itself."""
    for relative in folders:
        folder = rootfs / relative
        if folder.is_symlink() or not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def debian_python_image(daemon: DockerDaemon) -> str:
    """The Debian root filesystem with Python imported into `daemon` as PYTHON_TAG, with the
    environment and command of the official Python images; returns the tag."""
    base = debian_python_rootfs()
    changes = [arg for change in PYTHON_IMPORT_CHANGES for arg in ("--change", change)]
    with _locked(base.folder):
        daemon.docker("import", *changes, str(base.tarball), PYTHON_TAG, timeout=600)
    return PYTHON_TAG
