"""Package-manager commands classified once for every package rule.

`classify(command)` tells which package manager a shell command runs, what it does (install,
refresh the index, upgrade, clean, remove), with which options and which packages. The rules about
packages (HG404-HG406, HG430-HG434, HG442) all read commands through it, so they agree on what
`apt-get -y install`, `python3 -m pip install` or `dnf group install` mean.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass

from hullguard.memo import by_identity
from hullguard.sources.dockerfile import Instruction
from hullguard.sources.shell import Command, Script, Word


class Manager(enum.Enum):
    """A package manager; `family` groups the front ends that share one package database."""

    APT = "apt"
    APK = "apk"
    YUM = "yum"
    DNF = "dnf"
    MICRODNF = "microdnf"
    ZYPPER = "zypper"
    PIP = "pip"

    @property
    def is_os(self) -> bool:
        return self is not Manager.PIP


class Action(enum.Enum):
    INSTALL = "install"
    UPDATE = "update"  # refresh the package index only
    UPGRADE = "upgrade"  # upgrade installed packages
    CLEAN = "clean"
    REMOVE = "remove"
    OTHER = "other"


_EXECUTABLES: dict[str, Manager] = {
    "apt-get": Manager.APT,
    "apt": Manager.APT,
    "aptitude": Manager.APT,
    "apk": Manager.APK,
    "yum": Manager.YUM,
    "tdnf": Manager.DNF,
    "dnf": Manager.DNF,
    "dnf5": Manager.DNF,
    "microdnf": Manager.MICRODNF,
    "zypper": Manager.ZYPPER,
}
_PIP = re.compile(r"^pip(\d+(\.\d+)*)?$")
_PYTHON = re.compile(r"^python(\d+(\.\d+)*)?$")

_ACTIONS: dict[Manager, dict[str, Action]] = {
    Manager.APT: {
        "install": Action.INSTALL,
        "reinstall": Action.INSTALL,
        "build-dep": Action.INSTALL,
        "update": Action.UPDATE,
        "upgrade": Action.UPGRADE,
        "dist-upgrade": Action.UPGRADE,
        "full-upgrade": Action.UPGRADE,
        "safe-upgrade": Action.UPGRADE,
        "clean": Action.CLEAN,
        "autoclean": Action.CLEAN,
        "remove": Action.REMOVE,
        "purge": Action.REMOVE,
        "autoremove": Action.REMOVE,
        "autopurge": Action.REMOVE,
    },
    Manager.APK: {
        "add": Action.INSTALL,
        "update": Action.UPDATE,
        "upgrade": Action.UPGRADE,
        "del": Action.REMOVE,
        "cache": Action.CLEAN,
    },
    Manager.ZYPPER: {
        "install": Action.INSTALL,
        "in": Action.INSTALL,
        "source-install": Action.INSTALL,
        "si": Action.INSTALL,
        "refresh": Action.UPDATE,
        "ref": Action.UPDATE,
        "update": Action.UPGRADE,
        "up": Action.UPGRADE,
        "patch": Action.UPGRADE,
        "dist-upgrade": Action.UPGRADE,
        "dup": Action.UPGRADE,
        "clean": Action.CLEAN,
        "cc": Action.CLEAN,
        "remove": Action.REMOVE,
        "rm": Action.REMOVE,
    },
    Manager.PIP: {
        "install": Action.INSTALL,
        "uninstall": Action.REMOVE,
        "cache": Action.CLEAN,
    },
}
_RPM_ACTIONS = {
    "install": Action.INSTALL,
    "reinstall": Action.INSTALL,
    "localinstall": Action.INSTALL,
    "groupinstall": Action.INSTALL,
    "makecache": Action.UPDATE,
    "check-update": Action.UPDATE,
    "update": Action.UPGRADE,
    "upgrade": Action.UPGRADE,
    "distro-sync": Action.UPGRADE,
    "update-minimal": Action.UPGRADE,
    "upgrade-minimal": Action.UPGRADE,
    "clean": Action.CLEAN,
    "remove": Action.REMOVE,
    "erase": Action.REMOVE,
    "autoremove": Action.REMOVE,
    "groupremove": Action.REMOVE,
}
for _manager in (Manager.YUM, Manager.DNF, Manager.MICRODNF):
    _ACTIONS[_manager] = _RPM_ACTIONS

# Options that take the next word as their value (when not written `--name=value`).
_VALUE_OPTIONS: dict[Manager, frozenset[str]] = {
    Manager.APT: frozenset({"-o", "--option", "-c", "--config-file", "-t", "--target-release",
                            "--default-release", "-a", "--host-architecture"}),
    Manager.APK: frozenset({"-X", "--repository", "-t", "--virtual", "-p", "--root", "--arch",
                            "--keys-dir", "--repositories-file", "--cache-dir", "--cache-max-age",
                            "--timeout"}),
    Manager.YUM: frozenset({"-c", "--config", "-x", "--exclude", "--installroot", "--releasever",
                            "--enablerepo", "--disablerepo", "--repo", "--repoid", "--setopt",
                            "--downloaddir", "-d", "--debuglevel", "-e", "--errorlevel",
                            "--forcearch", "--color"}),
    Manager.ZYPPER: frozenset({"-r", "--repo", "--from", "-t", "--type", "-R", "--root",
                               "--reposd-dir", "-C", "--cache-dir", "-c", "--config"}),
    Manager.PIP: frozenset({"-r", "--requirement", "-c", "--constraint", "-i", "--index-url",
                            "--extra-index-url", "--trusted-host", "-f", "--find-links", "-t",
                            "--target", "--prefix", "--root", "--platform", "--python-version",
                            "--implementation", "--abi", "--src", "--upgrade-strategy",
                            "--progress-bar", "--cache-dir", "--log", "--proxy", "--retries",
                            "--timeout", "--exists-action", "--cert", "--client-cert",
                            "--no-binary", "--only-binary", "--config-settings", "-C",
                            "--global-option", "--report", "--python"}),
}  # fmt: skip
_VALUE_OPTIONS[Manager.DNF] = _VALUE_OPTIONS[Manager.YUM]
_VALUE_OPTIONS[Manager.MICRODNF] = _VALUE_OPTIONS[Manager.YUM]


@dataclass(frozen=True, slots=True)
class Option:
    """One option as written: `name` with its dashes, `value` when it takes one."""

    name: str
    value: str | None
    word: Word


@dataclass(frozen=True)
class PackageCommand:
    """A shell command that runs a package manager, taken apart."""

    command: Command
    manager: Manager
    action: Action
    subcommand: str
    options: tuple[Option, ...]
    operands: tuple[Word, ...]  # what follows the subcommand that is neither option nor value

    @property
    def executable(self) -> str:
        return self.command.name

    @property
    def text(self) -> str:
        """How to name the command in a message: `apt-get install`, `python3 -m pip install`."""
        executable = self.executable
        if self.manager is Manager.PIP and _PYTHON.match(executable):
            executable += " -m pip"
        return f"{executable} {self.subcommand}".strip()

    def has_option(self, *names: str) -> bool:
        """True when any of `names` was given (`--no-cache`, or a short `-U` inside `-Uq`)."""
        for option in self.options:
            if option.name in names:
                return True
            if _in_cluster(option.name, names):
                return True
        return False

    def option_values(self, *names: str) -> list[str]:
        return [o.value for o in self.options if o.name in names and o.value is not None]

    @property
    def packages(self) -> list[Word]:
        """The operands that name packages (for INSTALL and REMOVE), variables left out."""
        if self.action not in (Action.INSTALL, Action.REMOVE):
            return []
        return [w for w in self.operands if w.text and "$" not in w.text]

    def package_names(self) -> list[str]:
        return [package_name(self.manager, w.text) for w in self.packages]


_VERSION_SPLIT: dict[Manager, re.Pattern[str]] = {
    Manager.APT: re.compile(r"[=/]"),
    Manager.APK: re.compile(r"[=<>~@]"),
    Manager.ZYPPER: re.compile(r"[=<>]"),
    Manager.PIP: re.compile(r"[=<>~!\[;@ ]"),
}


def _in_cluster(cluster: str, names: tuple[str, ...]) -> bool:
    """True when a cluster of short flags (`-Uq`) holds one of the short `names` (`-U`)."""
    if not cluster.startswith("-") or cluster.startswith("--") or len(cluster) <= 2:
        return False
    return any(len(n) == 2 and n[0] == "-" and n[1] in cluster[1:] for n in names)


def package_name(manager: Manager, text: str) -> str:
    """The package name of an operand, without version or release: `gcc=4:12` -> `gcc`."""
    splitter = _VERSION_SPLIT.get(manager)
    name = splitter.split(text, maxsplit=1)[0] if splitter else text
    if manager is Manager.APT and ":" in name:
        name = name.split(":", 1)[0]  # `libc6:amd64`
    return name.strip().lower()


def classify(command: Command) -> PackageCommand | None:
    """The package-manager meaning of a command, or None when it runs no package manager."""
    name = command.name
    words = command.words
    manager = _EXECUTABLES.get(name)
    start = 1
    if manager is None:
        if _PIP.match(name):
            manager = Manager.PIP
        elif _PYTHON.match(name):
            start = _python_module_pip(words)
            if start < 0:
                return None
            manager = Manager.PIP
        else:
            return None
    return _parse(command, manager, words, start)


def _python_module_pip(words: tuple[Word, ...]) -> int:
    """For `python -m pip ...` the index of the first word after `pip`, else -1."""
    for index in range(1, len(words) - 1):
        if words[index].text == "-m":
            return index + 2 if _PIP.match(words[index + 1].text) else -1
        if not words[index].text.startswith("-"):
            return -1
    return -1


def _parse(
    command: Command, manager: Manager, words: tuple[Word, ...], start: int
) -> PackageCommand:
    value_options = _VALUE_OPTIONS.get(manager, frozenset())
    actions = _ACTIONS[manager]
    options: list[Option] = []
    operands: list[Word] = []
    subcommand = ""
    index = start
    while index < len(words):
        word = words[index]
        text = word.text
        index += 1
        if text == "--":
            operands.extend(words[index:])
            break
        if text.startswith("-") and len(text) > 1:
            if text.startswith("--") and "=" in text:
                name, value = text.split("=", 1)
                options.append(Option(name, value, word))
            elif text in value_options and index < len(words):
                options.append(Option(text, words[index].text, word))
                index += 1
            elif not text.startswith("--") and text[:2] in value_options and len(text) > 2:
                options.append(Option(text[:2], text[2:], word))  # `-oAPT::...=false`
            else:
                options.append(Option(text, None, word))
            continue
        if not subcommand:
            subcommand = text
            if _is_group_command(manager, words, index):
                subcommand = f"group{words[index].text}"  # `dnf group install` = `groupinstall`
                index += 1
            continue
        operands.append(word)
    action = actions.get(subcommand, Action.OTHER)
    if (
        manager is Manager.APK
        and subcommand == "cache"
        and not (operands and operands[0].text in ("clean", "purge"))
    ):
        action = Action.OTHER
    if (
        manager is Manager.PIP
        and subcommand == "cache"
        and not (operands and operands[0].text in ("purge", "remove"))
    ):
        action = Action.OTHER
    return PackageCommand(
        command=command,
        manager=manager,
        action=action,
        subcommand=subcommand,
        options=tuple(options),
        operands=tuple(operands),
    )


def _is_group_command(manager: Manager, words: tuple[Word, ...], index: int) -> bool:
    return (
        manager in (Manager.DNF, Manager.YUM, Manager.MICRODNF)
        and words[index - 1].text == "group"
        and index < len(words)
        and words[index].text in ("install", "remove")
    )


def package_commands(script: Script | None) -> list[PackageCommand]:
    """Every package-manager command of a script, in source order."""
    if script is None:
        return []
    return _package_commands(script)


@by_identity
def _package_commands(script: Script) -> list[PackageCommand]:
    found = [pc for c in script.commands if (pc := classify(c)) is not None]
    return sorted(found, key=lambda pc: (pc.command.line, pc.command.column))


def family(manager: Manager) -> Manager:
    """The manager that stands for all front ends of one package database (yum/dnf/microdnf)."""
    return Manager.DNF if manager in (Manager.YUM, Manager.MICRODNF) else manager


def same_family(a: Manager, b: Manager) -> bool:
    return family(a) is family(b)


def is_full_upgrade(pc: PackageCommand) -> bool:
    """An upgrade of every installed package (`apt-get upgrade`, `apk upgrade`, `dnf upgrade`)."""
    if pc.action is not Action.UPGRADE or not pc.manager.is_os:
        return False
    return pc.manager is Manager.APT or not [w for w in pc.operands if "$" not in w.text]


def is_before(a: Command, b: Command) -> bool:
    return (a.line, a.column) < (b.line, b.column)


def removes_path(script: Script | None, *prefixes: str) -> bool:
    """True when the script runs `rm` on a path under one of `prefixes` (`/var/lib/apt/lists/*`)."""
    if script is None:
        return False
    for command in script.named("rm"):
        for arg in command.args:
            if arg.startswith("-"):
                continue
            path = arg.rstrip("*").rstrip("/")
            if any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in prefixes):
                return True
    return False


# Where each package manager keeps what it downloads; a cache or tmpfs mount there keeps it
# out of the image. For apt that is the lists: Debian and Ubuntu images already delete the
# downloaded .deb files after each install.
CACHE_DIRS: dict[Manager, tuple[str, ...]] = {
    Manager.APT: ("/var/lib/apt", "/var/lib/apt/lists"),
    Manager.APK: ("/var/cache/apk", "/etc/apk/cache"),
    Manager.YUM: ("/var/cache/yum",),
    Manager.DNF: ("/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum"),
    Manager.MICRODNF: ("/var/cache/dnf", "/var/cache/yum"),
    Manager.ZYPPER: ("/var/cache/zypp",),
    Manager.PIP: ("/root/.cache", "/root/.cache/pip", "~/.cache", "~/.cache/pip",
                  "$HOME/.cache", "$HOME/.cache/pip", "${HOME}/.cache", "${HOME}/.cache/pip"),
}  # fmt: skip


def mount_targets(instruction: Instruction) -> list[str]:
    """Targets of the `--mount=type=cache|tmpfs` flags of a RUN: what the layer will not keep."""
    targets: list[str] = []
    for spec in instruction.flag_values("mount"):
        fields = dict(_mount_fields(spec))
        if fields.get("type") in ("cache", "tmpfs"):
            target = fields.get("target") or fields.get("dst") or fields.get("destination")
            if target:
                targets.append(target.rstrip("/") or "/")
    return targets


def _mount_fields(spec: str) -> Iterator[tuple[str, str]]:
    for part in spec.split(","):
        key, _, value = part.partition("=")
        yield key.strip().lower(), value.strip()


def cache_mounted(instruction: Instruction, manager: Manager) -> bool:
    """True when the RUN mounts a cache or tmpfs over `manager`'s cache directory."""
    dirs = CACHE_DIRS.get(manager, ())
    targets = mount_targets(instruction)
    if manager is Manager.PIP:
        return any(t in dirs or t.endswith(("/.cache", "/.cache/pip", "/pip")) for t in targets)
    return any(t in dirs for t in targets)
