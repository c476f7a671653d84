"""HG103: a container engine's socket declared as a VOLUME or copied into the image."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.paths import normalise_path, socket_at, socket_named, sockets_under
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
        path = normalise_path(raw)
        if not path.startswith("/"):
            continue
        engine = socket_at(path)
        if engine:
            yield ctx.finding(
                at=instruction, message=f"VOLUME declares the {engine} socket `{path}`"
            )
            continue
        held = sockets_under(path)
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
        src = normalise_path(source)
        engine = socket_at(src) if src.startswith("/") else socket_named(src)
        if engine:
            yield ctx.finding(
                at=instruction,
                message=f"{instruction.keyword} copies the {engine} socket `{source}` "
                "into the image",
            )
            continue
        target = destination + "/" + posixpath.basename(src) if into_directory else destination
        engine = socket_at(normalise_path(target))
        if engine:
            yield ctx.finding(
                at=instruction,
                message=f"{instruction.keyword} writes `{source}` to the {engine} socket path "
                f"`{normalise_path(target)}`",
            )
