"""The package-manager classification shared by the package rules."""

from __future__ import annotations

import pytest

from hullguard.rules.dockerfile._packages import (
    Action,
    Manager,
    PackageCommand,
    cache_mounted,
    family,
    is_full_upgrade,
    mount_targets,
    package_commands,
    package_name,
    removes_path,
    same_family,
)
from hullguard.sources.dockerfile import parse_dockerfile
from hullguard.sources.shell import parse_script


def only(text: str) -> PackageCommand:
    """The one package-manager command of `text`."""
    found = package_commands(parse_script(text))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "manager", "action", "subcommand"),
    [
        ("apt-get -y install curl", Manager.APT, Action.INSTALL, "install"),
        ("apt install -y curl", Manager.APT, Action.INSTALL, "install"),
        ("apt-get -qq update", Manager.APT, Action.UPDATE, "update"),
        ("apt-get dist-upgrade -y", Manager.APT, Action.UPGRADE, "dist-upgrade"),
        ("apt-get build-dep -y nginx", Manager.APT, Action.INSTALL, "build-dep"),
        ("apt-get purge -y --auto-remove gcc", Manager.APT, Action.REMOVE, "purge"),
        ("apt-get clean", Manager.APT, Action.CLEAN, "clean"),
        ("apk add --no-cache curl", Manager.APK, Action.INSTALL, "add"),
        ("apk update", Manager.APK, Action.UPDATE, "update"),
        ("apk upgrade --no-cache", Manager.APK, Action.UPGRADE, "upgrade"),
        ("apk del .build-deps", Manager.APK, Action.REMOVE, "del"),
        ("apk cache clean", Manager.APK, Action.CLEAN, "cache"),
        ("apk cache sync", Manager.APK, Action.OTHER, "cache"),
        ("yum install -y nginx", Manager.YUM, Action.INSTALL, "install"),
        ("yum update -y", Manager.YUM, Action.UPGRADE, "update"),
        ("yum makecache", Manager.YUM, Action.UPDATE, "makecache"),
        ("dnf --setopt=tsflags=nodocs install -y jq", Manager.DNF, Action.INSTALL, "install"),
        ("dnf group install -y 'Development Tools'", Manager.DNF, Action.INSTALL, "groupinstall"),
        ("tdnf clean all", Manager.DNF, Action.CLEAN, "clean"),
        ("microdnf upgrade -y", Manager.MICRODNF, Action.UPGRADE, "upgrade"),
        ("zypper --non-interactive in -y curl", Manager.ZYPPER, Action.INSTALL, "in"),
        ("zypper ref", Manager.ZYPPER, Action.UPDATE, "ref"),
        ("zypper patch", Manager.ZYPPER, Action.UPGRADE, "patch"),
        ("zypper cc -a", Manager.ZYPPER, Action.CLEAN, "cc"),
        ("pip install flask", Manager.PIP, Action.INSTALL, "install"),
        ("pip3.12 install --user flask", Manager.PIP, Action.INSTALL, "install"),
        ("python3 -m pip install -U pip", Manager.PIP, Action.INSTALL, "install"),
        ("python -m pip uninstall -y flask", Manager.PIP, Action.REMOVE, "uninstall"),
        ("pip cache purge", Manager.PIP, Action.CLEAN, "cache"),
        ("pip download flask", Manager.PIP, Action.OTHER, "download"),
    ],
)
def test_classify(text: str, manager: Manager, action: Action, subcommand: str) -> None:
    pc = only(text)
    assert (pc.manager, pc.action, pc.subcommand) == (manager, action, subcommand)


@pytest.mark.parametrize(
    "text", ["python3 app.py", "python3 -m venv /venv", "apt-cache policy curl", "echo apt-get"]
)
def test_not_a_package_manager(text: str) -> None:
    assert package_commands(parse_script(text)) == []


def test_options_and_their_values_are_not_packages() -> None:
    pc = only("apt-get -o Dpkg::Options::=--force-confold install -y -t bookworm-backports gcc")
    assert pc.option_values("-o") == ["Dpkg::Options::=--force-confold"]
    assert pc.option_values("-t") == ["bookworm-backports"]
    assert pc.package_names() == ["gcc"]
    attached = only("apt-get -oAPT::Install-Recommends=false install jq")
    assert attached.option_values("-o") == ["APT::Install-Recommends=false"]


def test_apk_virtual_group_and_short_flag_cluster() -> None:
    pc = only("apk add -Uq --virtual .build-deps gcc musl-dev")
    assert pc.option_values("--virtual") == [".build-deps"]
    assert pc.package_names() == ["gcc", "musl-dev"]
    assert pc.has_option("--update-cache", "-U")
    assert not pc.has_option("--no-cache")


def test_pip_options_with_values() -> None:
    pc = only("pip install --no-cache-dir -r requirements.txt --index-url https://x/simple Django")
    assert pc.has_option("--no-cache-dir")
    assert pc.option_values("-r") == ["requirements.txt"]
    assert pc.package_names() == ["django"]
    assert only("python3 -m pip install flask").text == "python3 -m pip install"
    assert only("pip install --trusted-host=pypi.example flask").has_option("--trusted-host")


def test_variables_are_not_package_names() -> None:
    assert only('apt-get install -y $PACKAGES "${EXTRA}" curl').package_names() == ["curl"]


def test_sudo_is_seen_through_once() -> None:
    found = package_commands(parse_script("sudo apt-get update && sudo -E apt-get install -y jq"))
    assert [(pc.action, pc.command.wrapped_by) for pc in found] == [
        (Action.UPDATE, "sudo"),
        (Action.INSTALL, "sudo"),
    ]


def test_commands_come_in_source_order() -> None:
    text = "apt-get update &&\n  apt-get install -y curl &&\n  apt-get clean"
    script = parse_script(text, line=3)
    assert [(pc.action, pc.command.line) for pc in package_commands(script)] == [
        (Action.UPDATE, 3),
        (Action.INSTALL, 4),
        (Action.CLEAN, 5),
    ]
    assert package_commands(None) == []


@pytest.mark.parametrize(
    ("manager", "text", "name"),
    [
        (Manager.APT, "gcc=4:12.2.0-3", "gcc"),
        (Manager.APT, "libc6:amd64", "libc6"),
        (Manager.APT, "nginx/bookworm-backports", "nginx"),
        (Manager.APK, "curl=8.5.0-r0", "curl"),
        (Manager.APK, "py3-pip>=23", "py3-pip"),
        (Manager.APK, "ruby~3.2", "ruby"),
        (Manager.ZYPPER, "nginx>=1.21", "nginx"),
        (Manager.PIP, "Django[bcrypt]>=4.2", "django"),
        (Manager.PIP, "requests==2.32.3", "requests"),
        (Manager.DNF, "Development Tools", "development tools"),
    ],
)
def test_package_name(manager: Manager, text: str, name: str) -> None:
    assert package_name(manager, text) == name


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("apt-get upgrade -y", True),
        ("apt-get dist-upgrade -y", True),
        ("apk upgrade --no-cache", True),
        ("dnf upgrade -y", True),
        ("yum update -y", True),
        ("yum update -y openssl", False),
        ("zypper --non-interactive patch", True),
        ("apt-get install --only-upgrade openssl", False),
        ("pip install -U pip", False),
    ],
)
def test_is_full_upgrade(text: str, full: bool) -> None:
    assert is_full_upgrade(only(text)) is full


def test_families() -> None:
    assert family(Manager.YUM) is family(Manager.MICRODNF) is Manager.DNF
    assert same_family(Manager.YUM, Manager.DNF)
    assert not same_family(Manager.APT, Manager.APK)


def test_removes_path() -> None:
    script = parse_script("apt-get update && rm -rf /var/lib/apt/lists/* /tmp/x")
    assert removes_path(script, "/var/lib/apt/lists")
    assert not removes_path(script, "/var/cache/apk")
    assert removes_path(parse_script("rm -rf /var/cache/apk"), "/var/cache/apk")
    assert not removes_path(parse_script("rm -rf /var/lib/apt"), "/var/lib/apt/lists")
    assert not removes_path(None, "/var/lib/apt/lists")


def test_cache_mounts() -> None:
    dockerfile = parse_dockerfile(
        "FROM debian\n"
        "RUN --mount=type=cache,target=/var/cache/apt --mount=type=tmpfs,dst=/var/lib/apt/ "
        "--mount=type=bind,target=/src apt-get update\n"
        "RUN --mount=type=cache,id=pip,target=/root/.cache/pip pip install flask\n"
        "RUN --mount=type=secret,id=token,target=/var/cache/dnf dnf install -y jq\n",
        "Dockerfile",
    )
    apt_run, pip_run, dnf_run = dockerfile.stages[0].each("RUN")
    assert mount_targets(apt_run) == ["/var/cache/apt", "/var/lib/apt"]
    assert cache_mounted(apt_run, Manager.APT)
    assert not cache_mounted(apt_run, Manager.APK)
    assert cache_mounted(pip_run, Manager.PIP)
    assert not cache_mounted(dnf_run, Manager.DNF)
