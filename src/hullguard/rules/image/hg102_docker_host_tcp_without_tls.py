"""HG102: the image points DOCKER_HOST at a daemon over TCP without TLS."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.dockerhost import plaintext_docker_host
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE, Context, rule
from hullguard.spec import ImageSpec


@rule(
    id="HG102",
    name="docker-host-tcp-without-tls",
    pillar=1,
    severity=Severity.HIGH,
    targets=(IMAGE,),
    references=("cis-docker:2.7", "cwe:319", "cwe:306"),
    fix="reach the daemon over TLS on port 2376 with DOCKER_TLS_VERIFY=1 and client "
    "certificates, or over ssh://",
)
def docker_host_tcp_without_tls(spec: ImageSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags an image whose environment sets `DOCKER_HOST` to a `tcp://` address without TLS:
    port 2375 (the daemon's plain-text port) always, any other port unless
    `DOCKER_TLS_VERIFY=1` is set beside it.

    ## Why is this bad?
    The Docker API is root on the daemon's host. Over plain TCP anyone on the network path
    can read and forge its traffic, and a daemon that accepts plain TCP accepts it from anyone
    who can reach the port: no client certificate, no password. An image that ships such a
    `DOCKER_HOST` both depends on that unauthenticated daemon and tells every reader where it
    is.

    ## Example
    ```dockerfile
    FROM docker:27-cli
    ENV DOCKER_HOST=tcp://docker:2375
    ```
    Use instead:
    ```dockerfile
    FROM docker:27-cli
    ENV DOCKER_HOST=tcp://docker:2376 \\
        DOCKER_TLS_VERIFY=1 \\
        DOCKER_CERT_PATH=/certs/client
    ```

    ## How to fix
    Make the daemon listen with `--tlsverify` and client-certificate authentication on port
    2376, set `DOCKER_TLS_VERIFY=1` and mount the client certificates at run time (never bake
    them into the image), or use `ssh://user@host` which rides on SSH authentication.

    ## Notes
    Looks at the environment of the final image (the final stage and the stages it is built
    FROM), since that is what runs. `DOCKER_TLS=1` alone encrypts without verifying the daemon
    or authenticating the client, so it does not count as TLS here. `unix://`, `ssh://` and
    `npipe://` hosts are not reported.
    """
    env = {e.name: e for e in spec.env}
    issue = plaintext_docker_host({name: e.value for name, e in env.items()})
    if issue is not None:
        yield ctx.finding(
            at=env["DOCKER_HOST"], message=f"ENV DOCKER_HOST={issue.value} {issue.reason()}"
        )
