"""HG101: a container engine's socket (or a directory holding it) is mounted into a container."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._mounts import socket_mounts
from hullguard.spec import ContainerSpec

READ_ONLY_NOTE = (
    "; read-only does not help: a socket is used by connecting to it, which a read-only "
    "mount allows"
)


@rule(
    id="HG101",
    name="docker-socket-mounted",
    pillar=1,
    severity=Severity.CRITICAL,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.32",
        "checkov:CKV_K8S_27",
        "kics:d6355c88-1e8d-49e9-b2f2-f8a1ca12c75b",
        "pss:baseline/hostPathVolumes",
        "cwe:250",
    ),
    fix="remove the mount; if the workload must drive an engine, give it a socket proxy with a "
    "read-only allow-list of API calls, or a rootless engine of its own",
)
def docker_socket_mounted(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container that mounts the control socket of a container engine (Docker,
    containerd, CRI-O, Podman, BuildKit, cri-dockerd), whatever the path is written like
    (`/var/run/docker.sock`, `/run/docker.sock`, `//var/run/docker.sock`, a trailing `/`), or a
    host directory that holds such a socket: `/run`, `/var/run`, `/run/containerd`, and the
    host's root filesystem `/`.

    ## Why is this bad?
    Whoever can talk to an engine's socket can ask it for a new container that is privileged,
    shares the host's namespaces and mounts the host's `/`: the socket is root on the host.
    Any code execution in the container (a vulnerable dependency, a malicious build step, a
    poisoned image) becomes host root in one API call. A read-only mount does not help: a
    process uses a socket by connecting to it, which a read-only mount still allows.

    ## Example
    ```yaml
    services:
      ci:
        image: docker:27-cli
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock:ro
    ```
    ```sh
    docker run -v /var/run/docker.sock:/var/run/docker.sock portainer/portainer-ce
    ```
    Use instead a builder that needs no engine at all:
    ```yaml
    services:
      ci:
        image: gcr.io/kaniko-project/executor:v1.23.2
        command: ["--context=/workspace", "--destination=registry.example.com/app:1.0"]
        volumes:
          - ./:/workspace:ro
    ```

    ## How to fix
    Remove the mount. A tool that only reads (a dashboard, a log shipper) can go through a
    socket proxy with a read-only allow-list; a CI job that builds images can use a
    daemonless builder (BuildKit rootless, kaniko, buildah) or a rootless engine of its own.

    ## Notes
    Socket paths live in `data/container_sockets.toml` and are matched on whole components
    after normalisation (`//`, `/./`, `..` and a trailing `/`); `/var/run` and `/run` count
    as the same directory. A socket elsewhere (a rootless `$XDG_RUNTIME_DIR/docker.sock`,
    Docker Desktop's `~/.docker/run/docker.sock`) is recognised by its file name, and Docker's
    Windows named pipe `//./pipe/docker_engine` counts too. `/var` is left to HG301: its
    `run` is a symlink that resolves inside the container. The host-mount rule HG301 does not
    report the socket itself again; HG215 reports the socket together with a root user.
    """
    for found in socket_mounts(spec):
        note = READ_ONLY_NOTE if found.mount.read_only else ""
        yield ctx.finding(
            at=found.mount,
            message=f"{spec.name} mounts {found.describe()}{note}",
            resource=spec.resource,
        )
