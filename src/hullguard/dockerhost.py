"""Whether a `DOCKER_HOST` reaches a Docker daemon over plain TCP, shared by image and container
rules so that both read an environment the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLAINTEXT_PORT = "2375"
_TCP_HOST = re.compile(r"^(?:tcp|http)://(?P<host>\[[^\]]*\]|[^:/]*)(?::(?P<port>\d+))?", re.I)
_OFF = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class PlaintextDockerHost:
    """A `DOCKER_HOST` without TLS: `plaintext_port` when it names port 2375 (plain text
    whatever else is set), otherwise a TCP address without `DOCKER_TLS_VERIFY` turned on."""

    value: str
    plaintext_port: bool

    def reason(self) -> str:
        if self.plaintext_port:
            return "uses port 2375, the Docker daemon's unencrypted and unauthenticated port"
        return (
            "reaches the Docker daemon over TCP without DOCKER_TLS_VERIFY=1: no TLS, "
            "no client authentication"
        )


def plaintext_docker_host(env: Mapping[str, str]) -> PlaintextDockerHost | None:
    """The environment's `DOCKER_HOST` when it reaches a daemon over TCP without TLS.

    `unix://`, `ssh://` and `npipe://` hosts are fine; `DOCKER_TLS=1` alone encrypts without
    verifying either side and so does not count as TLS.
    """
    host = env.get("DOCKER_HOST")
    if host is None:
        return None
    value = host.strip()
    match = _TCP_HOST.match(value)
    if match is None:
        return None
    verify = env.get("DOCKER_TLS_VERIFY")
    tls_verified = verify is not None and verify.strip().lower() not in _OFF
    if match.group("port") == PLAINTEXT_PORT:
        return PlaintextDockerHost(value, plaintext_port=True)
    if not tls_verified:
        return PlaintextDockerHost(value, plaintext_port=False)
    return None
