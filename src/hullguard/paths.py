"""Host paths compared the way the kernel sees them, and the container-engine sockets among them.

Paths are compared on whole components (`/etc` holds `/etc/ssl` but not `/etcd`) after
normalisation (`//`, `/./`, `..` and a trailing `/` removed). A table component `*` stands for
any one component. The socket table is `data/container_sockets.toml`; `/var/run` is a symlink to
`/run` on every current distribution, so each socket path is matched under both prefixes.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re

from hullguard.data import load

_SLASHES = re.compile(r"/+")


def normalise_path(path: str) -> str:
    """`path` without quotes, repeated or trailing slashes, `.` and `..` components.

    A relative path stays relative; `..` above the root stays at the root, as the kernel does.
    """
    cleaned = _SLASHES.sub("/", path.strip().strip("'\""))
    if cleaned in ("", "/"):
        return cleaned
    return posixpath.normpath(cleaned)


def components(path: str) -> tuple[str, ...]:
    """The components of a path: `/var/run/` is `("var", "run")`, `/` is `()`."""
    return tuple(p for p in path.strip("/").split("/") if p)


def matches(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """`parts` is exactly `pattern`, whose components may be `*` or other globs."""
    return len(parts) == len(pattern) and all(
        fnmatch.fnmatchcase(p, s) for p, s in zip(parts, pattern, strict=True)
    )


def is_within(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """`parts` is `pattern` or lies under it, compared on whole components."""
    return len(parts) >= len(pattern) and all(
        fnmatch.fnmatchcase(p, s) for p, s in zip(parts, pattern, strict=False)
    )


def holds(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """`parts` is a directory strictly above `pattern`: `/run` holds `/run/docker.sock`."""
    return len(parts) < len(pattern) and all(
        fnmatch.fnmatchcase(p, s) for p, s in zip(parts, pattern, strict=False)
    )


@functools.cache
def socket_paths() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Every engine socket as (components, engine), under `/run` and under `/var/run`."""
    entries: list[tuple[tuple[str, ...], str]] = []
    for socket in load("container_sockets")["socket"]:
        parts = components(socket["path"])
        entries.append((parts, socket["engine"]))
        if parts[0] == "run":
            entries.append((("var", *parts), socket["engine"]))
    return tuple(entries)


def socket_at(path: str) -> str | None:
    """The engine whose control socket lives at the absolute, normalised `path`."""
    parts = components(path)
    for socket, engine in socket_paths():
        if matches(parts, socket):
            return engine
    return None


def socket_named(path: str) -> str | None:
    """The engine whose socket file has the base name of `path` (`docker.sock`)."""
    name = posixpath.basename(path)
    for socket, engine in socket_paths():
        if socket[-1] == name:
            return engine
    return None


def sockets_under(directory: str, *, include_root: bool = False) -> list[str]:
    """The engines (without a rootless or distribution qualifier) whose socket `directory`
    holds, in table order.

    Directories listed as too broad (`/`, `/var`) hold none, so that a rule about sockets
    leaves them to the host-mount rules; `include_root=True` lets `/` hold every socket, for a
    rule that must name what a mount of the whole root filesystem exposes.
    """
    too_broad = load("container_sockets")["directories"]["too_broad"]
    if directory in too_broad and not (include_root and directory == "/"):
        return []
    parts = components(directory)
    engines: list[str] = []
    for socket, engine in socket_paths():
        if holds(parts, socket):
            name = engine.split(" (")[0]
            if name not in engines:
                engines.append(name)
    return engines
