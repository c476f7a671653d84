"""Host paths a container mounts, and which of them reach a container engine's socket.

Shared by the socket rule (HG101), the host-mount rule (HG301) and the host-takeover rule
(HG215), so that all three see the same mounts the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hullguard.paths import normalise_path, socket_at, socket_named, sockets_under
from hullguard.spec import ContainerSpec, Mount

_HOME = re.compile(r"^(?:~|\$HOME|\$\{HOME\})(?=/|$)")
_NAMED_PIPE = re.compile(r"^(?:\\\\|//)\.[\\/]pipe[\\/]docker_engine$", re.I)


def host_path(mount: Mount) -> str | None:
    """The normalised host path of a bind mount: absolute, or under `~` for the home folder of
    whoever starts the container. None for volumes, tmpfs, relative paths (inside the
    project) and paths that hold other variables."""
    if mount.source is None:
        return None
    text = _HOME.sub("~", mount.source.strip().strip("'\""))
    if mount.type != "bind" and not text.startswith(("/", "~")):
        return None
    if "$" in text:
        return None
    if text == "~" or text.startswith("~/"):
        return "~" + normalise_path(text[1:]).rstrip("/")
    if not text.startswith("/"):
        return None
    return normalise_path(text)


@dataclass(frozen=True, slots=True)
class SocketMount:
    """A mount that gives the container an engine's socket: the socket itself, or a directory
    (up to the root filesystem) that holds it."""

    mount: Mount
    path: str
    engines: tuple[str, ...]
    is_socket: bool

    def describe(self) -> str:
        if self.is_socket:
            return f"the {self.engines[0]} socket `{self.path}`"
        if self.path == "/":
            return "the host's root filesystem `/`, which holds every container engine's socket"
        plural = "s" if len(self.engines) > 1 else ""
        return f"`{self.path}`, the directory of the {', '.join(self.engines)} socket{plural}"


def socket_mount(mount: Mount) -> SocketMount | None:
    """What engine socket `mount` gives the container, if any.

    A socket is matched at its default path (under `/run` or `/var/run`) or, anywhere else (a
    rootless `$XDG_RUNTIME_DIR`, Docker Desktop's `~/.docker/run`), by its file name; Docker's
    Windows named pipe counts too.
    """
    source = (mount.source or "").strip()
    if _NAMED_PIPE.match(source):
        return SocketMount(mount, source, ("Docker (Windows named pipe)",), is_socket=True)
    path = host_path(mount)
    if path is None:
        engine = socket_named(source) if mount.type == "bind" and "$" in source else None
        return SocketMount(mount, source, (engine,), is_socket=True) if engine else None
    if path.startswith("/"):
        engine = socket_at(path)
        if engine:
            return SocketMount(mount, path, (engine,), is_socket=True)
        held = sockets_under(path, include_root=True)
        if held:
            return SocketMount(mount, path, tuple(held), is_socket=False)
    engine = socket_named(path)
    if engine:
        return SocketMount(mount, path, (engine,), is_socket=True)
    return None


def socket_mounts(spec: ContainerSpec) -> list[SocketMount]:
    return [found for mount in spec.mounts if (found := socket_mount(mount)) is not None]
