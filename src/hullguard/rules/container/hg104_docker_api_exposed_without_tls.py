"""HG104: the container reaches, or publishes, a Docker API over plain TCP."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.dockerhost import PLAINTEXT_PORT, plaintext_docker_host
from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import ContainerSpec, PortBinding

_LOOPBACK = ("127.", "::1", "[::1]", "localhost")


@rule(
    id="HG104",
    name="docker-api-exposed-without-tls",
    pillar=1,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=("cis-docker:2.7", "cwe:319", "cwe:306"),
    fix="serve and reach the daemon over TLS on port 2376 with client certificates "
    "(DOCKER_TLS_VERIFY=1), or over ssh://, and do not publish port 2375",
)
def docker_api_exposed_without_tls(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container whose environment sets `DOCKER_HOST` to a `tcp://` address without TLS
    (port 2375 always, any other port unless `DOCKER_TLS_VERIFY=1` is set beside it), and a
    container that publishes port 2375, the Docker daemon's plain-text port (a `docker:dind`
    service started without TLS, for example).

    ## Why is this bad?
    The Docker API is root on the daemon's host. Over plain TCP anyone on the network path
    can read and forge the traffic, and a daemon that listens on plain TCP serves anyone who
    can reach the port, with no certificate and no password. A published 2375 hands the
    daemon to every machine that can reach the host.

    ## Example
    ```yaml
    services:
      dind:
        image: docker:27-dind
        privileged: true
        environment:
          DOCKER_TLS_CERTDIR: ""
        ports:
          - "2375:2375"
      ci:
        image: docker:27-cli
        environment:
          DOCKER_HOST: tcp://dind:2375
    ```
    ```sh
    docker run -e DOCKER_HOST=tcp://10.0.0.5:2375 docker:27-cli docker ps
    ```
    Use instead:
    ```yaml
    services:
      dind:
        image: docker:27-dind
        privileged: true     # what dind needs; HG201 still reports it
        environment:
          DOCKER_TLS_CERTDIR: /certs
        volumes: [certs:/certs/client]
      ci:
        image: docker:27-cli
        environment:
          DOCKER_HOST: tcp://dind:2376
          DOCKER_TLS_VERIFY: "1"
          DOCKER_CERT_PATH: /certs/client
        volumes: [certs:/certs/client:ro]
    ```

    ## How to fix
    Make the daemon listen with `--tlsverify` and client-certificate authentication on port
    2376 (the `docker:dind` image does this when `DOCKER_TLS_CERTDIR` is set), set
    `DOCKER_TLS_VERIFY=1` in the clients, or use `ssh://`. Do not publish the daemon's port
    at all unless a remote client truly needs it.

    ## Notes
    The environment is read by the same code as HG102 reads an image's. `DOCKER_TLS=1`
    alone encrypts without verifying either side and so does not count as TLS. A port 2375
    published on loopback only is reported at medium severity: only the host's own users
    and processes can reach it.
    """
    env = {e.name: e for e in spec.env}
    issue = plaintext_docker_host({name: e.value for name, e in env.items()})
    if issue is not None:
        yield ctx.finding(
            at=env["DOCKER_HOST"],
            message=f"{spec.name} sets DOCKER_HOST={issue.value}, which {issue.reason()}",
            resource=spec.resource,
        )
    for port in spec.ports:
        if port.protocol.lower() != "tcp" or not _covers(port.container_port, PLAINTEXT_PORT):
            continue
        loopback = _is_loopback(port)
        where = f" on {port.host_ip} only" if loopback else ""
        yield ctx.finding(
            at=port,
            message=f"{spec.name} publishes port 2375, the Docker daemon's unencrypted and "
            f"unauthenticated port{where}",
            severity=Severity.MEDIUM if loopback else None,
            resource=spec.resource,
        )


def _covers(ports: str, port: str) -> bool:
    """`ports` (`2375` or a range `2370-2380`) includes `port`."""
    low, _, high = ports.strip().partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return False
    return int(low) <= int(port) <= int(high or low)


def _is_loopback(port: PortBinding) -> bool:
    return port.host_ip is not None and port.host_ip.strip().startswith(_LOOPBACK)
