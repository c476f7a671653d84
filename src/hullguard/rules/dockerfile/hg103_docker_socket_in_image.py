"""HG103: a container engine's socket declared as a VOLUME or copied into the image."""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from collections.abc import Iterator

from hullguard.data import load
from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile, Instruction


@rule(
    id="HG103",
    name="docker-socket-in-image",
    pillar=1,
    severity=Severity.HIGH,
    targets=(DOCKERFILE,),
    references=("cis-docker:5.32", "cwe:250"),
    fix="drop the VOLUME or COPY; if the workload must drive an engine, give it a socket proxy "
    "with a read-only allow-list at run time",
)
def docker_socket_in_image(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a `VOLUME` that declares the socket of a container engine (Docker, containerd,
    CRI-O, Podman, BuildKit, cri-dockerd) or a directory that holds it (`/run`, `/var/run`,
    `/run/containerd`...), and a `COPY`/`ADD` whose source or destination is such a socket.

    ## Why is this bad?
    Whoever can talk to an engine's socket can start a privileged container with the host's
    root filesystem mounted: the socket is root on the host. An image that declares it as a
    volume is built to have it mounted, and invites every deployment to do so; copying a
    socket path into an image means the image expects to drive an engine.

    ## Example
    ```dockerfile
    FROM docker:27-cli
    VOLUME /var/run/docker.sock
    ```
    Use instead:
    ```dockerfile
    FROM docker:27-cli
    USER 10001
    ```
    and give the container, at run time, a `DOCKER_HOST` that points at a socket proxy allowing
    only the API calls the tool needs.

    ## How to fix
    Remove the `VOLUME` or `COPY`. If the workload really must talk to an engine, run a socket
    proxy that exposes a read-only allow-list of endpoints, or use a rootless engine, or
    build with a daemonless builder (BuildKit rootless, kaniko, buildah) instead of the host's.

    ## Notes
    Looks at the stages that end up in the final image: a VOLUME of a builder stage does not
    ship. Paths are matched on whole components (`/run` holds `/run/docker.sock`, `/running`
    and `/run/app` do not), `/var/run` and `/run` count as the same directory, and `/` and
    `/var` are left to the host-mount rules. The socket paths live in
    `data/container_sockets.toml`.
    """
    for instruction in dockerfile.shipped_instructions("VOLUME", "COPY", "ADD"):
        if instruction.keyword == "VOLUME":
            yield from _volume(instruction, ctx)
        else:
            yield from _copy(instruction, ctx)


def _volume(instruction: Instruction, ctx: Context) -> Iterator[Finding]:
    for raw in instruction.arguments:
        path = _normalise(raw)
        if not path.startswith("/"):
            continue
        engine = _socket_at(path)
        if engine:
            yield ctx.finding(
                at=instruction, message=f"VOLUME declares the {engine} socket `{path}`"
            )
            continue
        held = _sockets_under(path)
        if held:
            yield ctx.finding(
                at=instruction,
                message=f"VOLUME `{path}` declares the directory of the {', '.join(held)} "
                f"socket{'s' if len(held) > 1 else ''}",
            )


def _copy(instruction: Instruction, ctx: Context) -> Iterator[Finding]:
    paths = [a for a in instruction.arguments if not a.startswith("<<")]
    if len(paths) < 2:
        return
    *sources, destination = paths
    into_directory = destination.endswith("/") or len(sources) > 1
    for source in sources:
        src = _normalise(source)
        engine = _socket_at(src) if src.startswith("/") else _socket_named(src)
        if engine:
            yield ctx.finding(
                at=instruction,
                message=f"{instruction.keyword} copies the {engine} socket `{source}` "
                "into the image",
            )
            continue
        target = destination + "/" + posixpath.basename(src) if into_directory else destination
        engine = _socket_at(_normalise(target))
        if engine:
            yield ctx.finding(
                at=instruction,
                message=f"{instruction.keyword} writes `{source}` to the {engine} socket path "
                f"`{_normalise(target)}`",
            )


def _normalise(path: str) -> str:
    cleaned = re.sub(r"/+", "/", path.strip().strip("'\""))
    if cleaned in ("", "/"):
        return cleaned
    return posixpath.normpath(cleaned)


@functools.cache
def _socket_paths() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Every socket path as components, under `/run` and under `/var/run`."""
    entries: list[tuple[tuple[str, ...], str]] = []
    for socket in load("container_sockets")["socket"]:
        parts = tuple(socket["path"].strip("/").split("/"))
        entries.append((parts, socket["engine"]))
        if parts[0] == "run":
            entries.append((("var", *parts), socket["engine"]))
    return tuple(entries)


def _components(path: str) -> tuple[str, ...]:
    return tuple(p for p in path.strip("/").split("/") if p)


def _socket_at(path: str) -> str | None:
    parts = _components(path)
    for socket, engine in _socket_paths():
        if len(parts) == len(socket) and all(
            fnmatch.fnmatchcase(p, s) for p, s in zip(parts, socket, strict=True)
        ):
            return engine
    return None


def _socket_named(path: str) -> str | None:
    name = posixpath.basename(path)
    for socket, engine in _socket_paths():
        if socket[-1] == name:
            return engine
    return None


def _sockets_under(directory: str) -> list[str]:
    if directory in load("container_sockets")["directories"]["too_broad"]:
        return []
    parts = _components(directory)
    engines: list[str] = []
    for socket, engine in _socket_paths():
        if len(parts) < len(socket) and all(
            fnmatch.fnmatchcase(p, s) for p, s in zip(parts, socket, strict=False)
        ):
            name = engine.split(" (")[0]
            if name not in engines:
                engines.append(name)
    return engines
