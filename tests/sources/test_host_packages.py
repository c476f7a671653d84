"""The host packages source on root filesystems built in temporary folders, and on this machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hullguard.model import Location
from hullguard.sources.daemon import daemon_state_from_api
from hullguard.sources.host_packages import (
    Component,
    FactSource,
    read_host_packages,
)

STATUS = """\
Package: runc
Status: install ok installed
Priority: optional
Version: 1.1.5+ds1-1+deb12u1
Description: Open Container Project - runtime
 a continuation line
 Version: 9.9 is not a field

Package: containerd
Status: deinstall ok config-files
Version: 1.6.20~ds1-1+deb12u1

Package: docker.io
Status: install ok installed
Source: docker.io (20.10.24+dfsg1-1+deb12u1)
Version: 20.10.24+dfsg1-1+deb12u1+b6

Package: linux-image-6.1.0-18-amd64
Status: install ok installed
Source: linux-signed-amd64 (6.1.76+1)
Version: 6.1.76-1

Package: linux-image-6.1.0-13-amd64
Status: install ok installed
Source: linux-signed-amd64 (6.1.55+1)
Version: 6.1.55-1

Package: bash
Status: install ok installed
Version: 5.2.15-2+b2
"""

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' \
    "VERSION_CODENAME=bookworm\n"  # fmt: skip


def make_root(base: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = base / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return base


def test_debian_root(tmp_path: Path) -> None:
    root = make_root(tmp_path, {
        "/etc/os-release": OS_RELEASE,
        "/var/lib/dpkg/status": STATUS,
        "/boot/vmlinuz-6.1.0-13-amd64": "",
        "/boot/vmlinuz-6.1.0-18-amd64": "",
        "/lib/modules/6.1.0-9-amd64/modules.dep": "",
    })  # fmt: skip
    result = read_host_packages(root, None)
    assert result.errors == ()
    packages = result.packages
    assert packages is not None and packages.package_database == "dpkg"
    assert packages.distribution is not None
    assert (packages.distribution.id, packages.distribution.codename) == ("debian", "bookworm")
    assert packages.distribution.location == Location(path="/etc/os-release", line=2)
    (kernel,) = packages.of(Component.KERNEL)
    assert kernel.version == "6.1.0-18-amd64"
    assert kernel.source is FactSource.BOOT
    assert (kernel.package, kernel.source_package, kernel.package_version) == (
        "linux-image-6.1.0-18-amd64", "linux", "6.1.76-1")  # fmt: skip
    assert kernel.location == Location(path="/boot/vmlinuz-6.1.0-18-amd64")
    (runc,) = packages.of(Component.RUNC)
    assert (runc.version, runc.source) == ("1.1.5+ds1-1+deb12u1", FactSource.DPKG)
    assert runc.location == Location(path="/var/lib/dpkg/status", line=4)
    assert packages.of(Component.CONTAINERD) == ()  # removed, configuration files only
    (engine,) = packages.of(Component.ENGINE)
    assert (engine.package, engine.source_package) == ("docker.io", "docker.io")
    assert engine.location.line == 16


def test_api_components_are_facts(tmp_path: Path) -> None:
    daemon = daemon_state_from_api(
        "unix:///run/docker.sock",
        {"Version": "26.1.4", "KernelVersion": "6.1.0-18-amd64",
         "Components": [{"Name": "Engine", "Version": "26.1.4"},
                        {"Name": "containerd", "Version": "1.6.33"},
                        {"Name": "runc", "Version": "1.1.12"},
                        {"Name": "docker-init", "Version": "0.19.0"}]},
        {}, None,
    )  # fmt: skip
    packages = read_host_packages(tmp_path, daemon).packages
    assert packages is not None and packages.package_database is None
    found = {(v.component, v.version, v.source, v.location.logical) for v in packages.versions}
    assert found == {
        (Component.ENGINE, "26.1.4", FactSource.API, "daemon:Components.Engine"),
        (Component.CONTAINERD, "1.6.33", FactSource.API, "daemon:Components.containerd"),
        (Component.RUNC, "1.1.12", FactSource.API, "daemon:Components.runc"),
        (Component.DOCKER_INIT, "0.19.0", FactSource.API, "daemon:Components.docker-init"),
        (Component.KERNEL, "6.1.0-18-amd64", FactSource.API, "daemon:KernelVersion"),
    }


def test_rpm_host_says_the_database_is_not_read(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"/etc/os-release": "ID=rocky\nID_LIKE=\"rhel centos fedora\"\n",
                                "/var/lib/rpm/rpmdb.sqlite": "",
                                "/lib/modules/4.18.0-513.el8.x86_64/modules.dep": ""})  # fmt: skip
    result = read_host_packages(root, None)
    assert [e.path for e in result.errors] == ["/var/lib/rpm"]
    assert "rpm database found but not read" in result.errors[0].message
    assert result.packages is not None
    assert result.packages.distribution is not None
    assert result.packages.distribution.id_like == ("rhel", "centos", "fedora")
    (kernel,) = result.packages.of(Component.KERNEL)
    assert kernel.version == "4.18.0-513.el8.x86_64"


def test_symlink_out_of_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_root(outside, {"status": STATUS})
    root = tmp_path / "root"
    (root / "var/lib/dpkg").mkdir(parents=True)
    os.symlink("../../../../outside/status", root / "var/lib/dpkg/status")
    result = read_host_packages(root, None)
    assert result.packages is not None and result.packages.versions == ()
    assert [e.path for e in result.errors] == ["/var/lib/dpkg/status"]
    assert "leads out of the audited root" in result.errors[0].message


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    result = read_host_packages(tmp_path / "absent", None)
    assert result.packages is None
    assert len(result.errors) == 1


def test_empty_root(tmp_path: Path) -> None:
    result = read_host_packages(tmp_path, None)
    assert result.errors == ()
    assert result.packages is not None
    assert (result.packages.distribution, result.packages.versions) == (None, ())


def test_this_machine() -> None:
    result = read_host_packages(Path("/"), None)
    assert result.packages is not None
    kernel = result.packages.of(Component.KERNEL)
    assert [(k.version, k.source) for k in kernel] == [(os.uname().release, FactSource.UNAME)]
    if shutil.which("dpkg-query") and Path("/var/lib/dpkg/status").is_file():
        assert result.packages.package_database == "dpkg"
        for fact in result.packages.versions:
            if fact.source is FactSource.DPKG:
                assert fact.location.path == "/var/lib/dpkg/status" and fact.location.line
