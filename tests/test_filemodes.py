"""File modes: octal and symbolic modes, and the commands that set them."""

from __future__ import annotations

import pytest

from hullguard.filemodes import ModeBits, command_mode_change, parse_mode
from hullguard.sources.shell import parse_script

SETUID = ModeBits(setuid=True)
SETGID = ModeBits(setgid=True)
BOTH = ModeBits(setuid=True, setgid=True)
WORLD = ModeBits(world_writable=True)
NONE = ModeBits()


@pytest.mark.parametrize(
    ("mode", "bits"),
    [
        ("4755", SETUID), ("04755", SETUID), ("2755", SETGID), ("6755", BOTH), ("755", NONE),
        ("0755", NONE), ("777", WORLD), ("0666", WORLD), ("775", NONE), ("2", WORLD),
        ("1777", ModeBits(sticky=True, world_writable=True)),
        ("u+s", SETUID), ("g+s", SETGID), ("+s", BOTH), ("ug+s", BOTH), ("u-s", NONE),
        ("-s", NONE), ("u=rwxs,go=rx", SETUID), ("a+w", WORLD), ("o+w", WORLD), ("ugo+rwx", WORLD),
        ("a=rwx", WORLD), ("+w", NONE), ("o-w", NONE), ("a+w,o-w", NONE), ("u+x,g+x", NONE),
        ("o+t", ModeBits(sticky=True)),
    ],
)  # fmt: skip
def test_parse_mode(mode: str, bits: ModeBits) -> None:
    assert parse_mode(mode) == bits


@pytest.mark.parametrize("text", ["$MODE", "${MODE}", "", "rwx", "u+q", "8755", "--reference=x"])
def test_not_a_mode(text: str) -> None:
    assert parse_mode(text) is None


def change(script: str):  # type: ignore[no-untyped-def]
    (command,) = [c for c in parse_script(script).commands if c.wrapped_by is None]
    return command_mode_change(command)


def test_chmod_options_and_targets() -> None:
    result = change("chmod -R 777 /app /data")
    assert result is not None
    assert (result.tool, result.mode, result.recursive, result.targets) == (
        "chmod",
        "777",
        True,
        ("/app", "/data"),
    )
    assert result.bits == WORLD
    assert change("chmod --reference=/etc/passwd /app") is None
    assert change("chmod $MODE /app") is None
    removal = change("chmod -s /usr/bin/chfn")
    assert removal is not None and removal.bits == NONE


def test_install_and_mkdir_modes() -> None:
    installed = change("install -Dm4755 build/tool /usr/local/bin/tool")
    assert installed is not None
    assert (installed.mode, installed.bits, installed.targets) == (
        "4755",
        SETUID,
        ("/usr/local/bin/tool",),
    )
    made = change("mkdir -p --mode=1777 /srv/drop")
    assert made is not None and made.bits.sticky and made.targets == ("/srv/drop",)
    assert change("mkdir -p /srv/data") is None
    assert change("install -o root -g root tool /usr/local/bin/") is None


def test_other_commands_set_no_mode() -> None:
    assert change("chown -R app /app") is None


def test_find_exec_chmod() -> None:
    found = change("find /app /data -type f -name '*.sh' -exec chmod 777 {} +")
    assert found is not None
    assert (found.tool, found.mode, found.targets, found.recursive) == (
        "find -exec chmod",
        "777",
        ("/app", "/data"),
        True,
    )
    removal = change("find / -xdev -perm /6000 -type f -exec chmod a-s {} \\;")
    assert removal is not None and removal.bits == NONE
    assert change("find /app -type f -exec chown app {} +") is None
