"""HG215: a container holds a complete path to host root: a way out, taken as root."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._capabilities import capability_name
from hullguard.rules.container._mounts import socket_mounts
from hullguard.rules.container._user import UserState, container_user
from hullguard.spec import ContainerSpec


@rule(
    id="HG215",
    name="host-takeover-path",
    pillar=2,
    severity=Severity.CRITICAL,
    targets=(CONTAINER,),
    references=("cis-docker:5.32", "cis-docker:5.5", "cis-docker:5.16", "cwe:250"),
    fix="break any link of the chain: run as a non-root user, and remove the socket mount, "
    "`privileged`, or the capability with the host PID namespace",
)
def host_takeover_path(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container whose settings add up to a complete path to root on the host: a way
    out of the container (an engine socket mounted, `privileged`, or `SYS_ADMIN`/`ALL` added
    together with the host's PID namespace) in a container that also runs as root. It is
    reported once, at the way out, and the message names every link, including the
    Dockerfile lines that left the user at root.

    ## Why is this bad?
    Each link alone is a weakness; together they are a finished exploit. Root that can talk
    to the Docker socket starts a privileged container with the host's `/` mounted; root in
    a privileged container mounts the host's disk or writes a cgroup release agent; root
    with `SYS_ADMIN` in the host's PID namespace enters PID 1's namespaces (`nsenter -t 1`).
    Any code execution in such a container is host root, with no kernel bug needed.

    ## Example
    ```yaml
    services:
      ci:
        build: ./ci          # ci/Dockerfile: FROM docker:27-cli, no USER
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock
    ```
    ```sh
    docker run --privileged --user 0 ci-runner:4
    ```
    Use instead: take away the way out, and the root user with it.
    ```yaml
    services:
      ci:
        build: ./ci          # ci/Dockerfile ends with USER 10001, and no socket is mounted
    ```

    ## How to fix
    Break at least one link, best all of them: remove the socket mount or `privileged`
    (HG101, HG201), drop `SYS_ADMIN` or the host PID namespace (HG207, HG209), and run as a
    non-root user (HG206), set in the image's final `USER` so every deployment gets it.

    ## Notes
    The user is resolved as HG206 does it: the effective user when the image or its
    Dockerfile is known, else the user written at run time. A container whose user is not
    known (left to an image outside the scanned tree) is not reported here; HG206 reports
    the unknown user and HG101/HG201 the way out.
    """
    user = container_user(spec)
    if user.state is not UserState.ROOT:
        return
    ways_out: list[tuple[Location, str]] = [
        (found.mount.location, f"{spec.resource} mounts {found.describe()}")
        for found in socket_mounts(spec)
    ]
    if spec.privileged is not None and spec.privileged.value is True:
        ways_out.append((spec.privileged.location, f"{spec.resource} runs privileged"))
    if spec.pid is not None and spec.pid.value.strip().lower() == "host":
        for cap in spec.cap_add:
            name = capability_name(cap.value)
            if name in ("SYS_ADMIN", "ALL"):
                ways_out.append(
                    (
                        cap.location,
                        f"{spec.resource} adds {name} and shares the host's PID namespace",
                    )
                )
                break
    if not ways_out:
        return
    root_link = f"runs as root ({user.how})"
    links = [text for _, text in ways_out] + [root_link]
    yield ctx.finding(
        at=ways_out[0][0],
        message=f"{spec.name} can take over the host: " + " + ".join(links),
        resource=spec.resource,
        chain=(*links[:-1], *(user.chain or (root_link,))),
    )
