"""Live: Python and Node packages installed by pip and npm, in layers of a real image.

A few pinned pure-Python wheels are fetched once from PyPI and `pip install --target`ed into a
site-packages folder, and two npm packages (one scoped) are `npm install`ed into a node_modules
folder, both in the test cache (tests/live/images.py). The private daemon builds, offline, the
Debian bookworm image with the first folder COPYied to /usr/local/lib/python3.11/site-packages
and the second to /srv/app/node_modules. Read from the daemon, from its `docker save` archive
and from a loopback registry, the inventory must list exactly those distributions and packages
(names, versions, purls), each with the layer of the COPY that added it, beside the Debian
packages of the base layer. Without PyPI or the npm registry the tests skip (fail with CI=true).
"""

from __future__ import annotations

import pytest

from hullguard.image.inventory import inventory
from hullguard.image.packages import Ecosystem, Inventory
from hullguard.image.registry import RegistryOptions
from hullguard.image.sources import ImageResult, open_image
from tests.live import images
from tests.live.conftest import unavailable
from tests.live.conftest_images import debian_image, debian_rootfs
from tests.live.daemon import DockerDaemon
from tests.live.registry import Registry, insecure, registry

__all__ = ["debian_image", "debian_rootfs", "registry"]  # the fixtures this module uses

pytestmark = pytest.mark.live

KINDS = ["daemon", "docker-archive", "registry"]
# What pip and npm were asked to install, as the inventory must report it: name → (version, purl).
EXPECTED_PYPI = {
    "six": ("1.16.0", "pkg:pypi/six@1.16.0"),
    "idna": ("3.7", "pkg:pypi/idna@3.7"),
    "tomli": ("2.0.1", "pkg:pypi/tomli@2.0.1"),
}
EXPECTED_NPM = {
    "ms": ("2.1.3", "pkg:npm/ms@2.1.3"),
    "@isaacs/string-locale-compare": (
        "1.1.0",
        "pkg:npm/%40isaacs/string-locale-compare@1.1.0",
    ),
}
PYTHON_LAYER, NODE_LAYER = 1, 2  # layer 0 is the Debian root filesystem


def test_the_expectations_are_the_pins() -> None:
    assert {name: version for name, (version, _) in EXPECTED_PYPI.items()} == images.PYPI_PINS
    assert {name: version for name, (version, _) in EXPECTED_NPM.items()} == images.NPM_PINS


@pytest.fixture(scope="session")
def language_layers() -> images.LanguageLayers:
    try:
        return images.language_layers()
    except images.ImageUnavailable as exc:
        reason = str(exc)
    unavailable(f"cannot install the Python and Node test packages: {reason}")


@pytest.fixture(scope="module")
def language_image(
    docker_daemon: DockerDaemon,
    debian_image: images.DebianImage,
    language_layers: images.LanguageLayers,
    tmp_path_factory: pytest.TempPathFactory,
) -> images.LanguageImage:
    folder = tmp_path_factory.mktemp("language-image")
    try:
        return images.language_image(docker_daemon, debian_image, folder)
    except images.ImageUnavailable as exc:
        reason = str(exc)
    unavailable(f"cannot build the image with Python and Node packages: {reason}")


def test_the_cached_folders_hold_what_was_pinned(language_layers: images.LanguageLayers) -> None:
    dist_infos = {p.name for p in language_layers.site_packages.glob("*.dist-info")}
    assert dist_infos == {
        f"{name}-{version}.dist-info" for name, version in images.PYPI_PINS.items()
    }
    manifests = {
        str(p.parent.relative_to(language_layers.node_modules))
        for p in language_layers.node_modules.glob("**/package.json")
    }
    assert manifests == set(images.NPM_PINS)
    assert language_layers.folder.is_relative_to(images.cache_root())


@pytest.fixture(scope="module", params=KINDS)
def source(
    request: pytest.FixtureRequest,
    language_image: images.LanguageImage,
    docker_daemon: DockerDaemon,
) -> tuple[str, ImageResult, Inventory]:
    """(kind, what `open_image` read, its inventory) for each source kind."""
    kind = str(request.param)
    host: str | None = None
    options: RegistryOptions | None = None
    if kind == "daemon":
        ref, host = language_image.tag, docker_daemon.host
    elif kind == "docker-archive":
        ref = f"docker-archive:{language_image.archive}"
    else:
        started: Registry = request.getfixturevalue("registry")
        pushed = started.push(f"docker-archive:{language_image.archive}", "langs:bookworm")
        ref, options = f"registry:{pushed}", insecure(started)
    result = open_image(ref, docker_host=host, registry=options)
    assert result.errors == (), ref
    assert result.contents is not None
    found, errors = inventory(result.contents)
    assert list(errors) == [], ref
    return kind, result, found


def _by_name(found: Inventory, ecosystem: Ecosystem) -> dict[str, tuple[str, str]]:
    listed: dict[str, tuple[str, str]] = {}
    for package in found.packages:
        if package.ecosystem is ecosystem:
            assert package.name not in listed, f"{package.name} listed twice"
            listed[package.name] = (package.version, package.purl)
    return listed


def test_the_layers_are_the_base_and_one_copy_each(
    source: tuple[str, ImageResult, Inventory],
) -> None:
    kind, result, _ = source
    assert result.contents is not None
    layers = result.contents.layers
    assert len(layers) == 3, kind
    assert [layer.index for layer in layers] == [0, 1, 2]
    assert images.SITE_PACKAGES in str(layers[PYTHON_LAYER].created_by), kind
    assert images.NODE_MODULES in str(layers[NODE_LAYER].created_by), kind


def test_exactly_the_pip_installed_distributions(
    source: tuple[str, ImageResult, Inventory],
) -> None:
    kind, _, found = source
    assert _by_name(found, Ecosystem.PYPI) == EXPECTED_PYPI, kind
    for package in found.packages:
        if package.ecosystem is Ecosystem.PYPI:
            assert package.layer == PYTHON_LAYER, (kind, package)
            assert (
                package.path == f"{images.SITE_PACKAGES}/{package.name}-{package.version}.dist-info"
            )


def test_exactly_the_npm_installed_packages(source: tuple[str, ImageResult, Inventory]) -> None:
    kind, _, found = source
    assert _by_name(found, Ecosystem.NPM) == EXPECTED_NPM, kind
    for package in found.packages:
        if package.ecosystem is Ecosystem.NPM:
            assert package.layer == NODE_LAYER, (kind, package)
            assert package.path == f"{images.NODE_MODULES}/{package.name}"


def test_the_debian_packages_stay_in_the_base_layer(
    source: tuple[str, ImageResult, Inventory], debian_rootfs: images.DebianRootfs
) -> None:
    kind, _, found = source
    debs = {p.name: p.version for p in found.packages if p.ecosystem is Ecosystem.DEB}
    try:
        assert debs == images.dpkg_query(debian_rootfs.rootfs), kind
    except images.ImageUnavailable as exc:
        unavailable(str(exc))
    assert {p.layer for p in found.packages if p.ecosystem is Ecosystem.DEB} == {0}
    assert found.os is not None and found.os.id == "debian"
