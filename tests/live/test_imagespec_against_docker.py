"""Differential test: hullguard's Dockerfile projection against the image the real engine builds.

Each Dockerfile is built by a private Docker daemon (classic builder, `FROM scratch` with a static
busybox, no network); the image's Config is compared with `image_spec_from_dockerfile` of the same
file and build args. Only representation is normalised (a port range is each of its ports); any
difference in meaning fails the test with the differing fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from hullguard.sources.dockerfile import parse_dockerfile
from hullguard.spec import ImageSpec, image_spec_from_dockerfile
from tests.live.daemon import DockerDaemon

pytestmark = pytest.mark.live

# The PATH every Linux image built FROM scratch gets from the engine when no ENV sets it.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUSYBOX = 'COPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'


@dataclass(frozen=True)
class Case:
    id: str
    dockerfile: str
    build_args: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "scratch-busybox-no-user",
        "FROM scratch\n" + BUSYBOX + "RUN echo built > /built && test -x /bin/sh\n"
        'LABEL org.opencontainers.image.title="busybox demo"\n'
        'CMD ["sh"]\n',
    ),
    Case("user-numeric", "FROM scratch\nCOPY busybox /bin/busybox\nUSER 1000\nCMD id -u\n"),
    Case("user-name-group", "FROM scratch\nCOPY busybox /bin/busybox\nUSER app:app\n"),
    Case("user-zero", "FROM scratch\nCOPY busybox /bin/busybox\nUSER 1000\nUSER 0\n"),
    Case(
        "user-from-args",
        "FROM scratch\nARG UID=1000\nUSER ${UID}:${GID:-100}\n",
        {"UID": "2000"},
    ),
    Case(
        "multi-stage-builder-chain",
        "FROM scratch AS builder\n" + BUSYBOX + "ENV STAGE=builder\n"
        "USER 1000\n"
        "LABEL stage=builder\n"
        "EXPOSE 9000\n"
        'HEALTHCHECK --interval=30s CMD ["/bin/true"]\n'
        'CMD ["builder-cmd"]\n'
        "\n"
        "FROM builder AS middle\n"
        "ENV MIDDLE=1\n"
        'ENTRYPOINT ["/bin/sh", "-c"]\n'
        "\n"
        "FROM scratch AS unrelated\n"
        "USER 0\n"
        "ENV UNRELATED=1\n"
        "\n"
        "FROM middle\n"
        "LABEL final=yes\n",
    ),
    Case(
        "user-inherited-then-reset",
        'FROM scratch AS builder\nUSER 1000\nCMD ["a"]\n\nFROM builder\nUSER root\n',
    ),
    Case(
        "env-syntaxes-with-build-arg",
        "FROM scratch\n"
        "ARG VERSION\n"
        "ARG CHANNEL=stable\n"
        "ENV A=1 B=\"two words\" C='single $quoted' D=with\\ space\n"
        "ENV LEGACY value with  spaces\n"
        "ENV E=${VERSION:-0.0.1} F=${CHANNEL:-none} G=${MISSING:+alt} H=${CHANNEL:+set}\n"
        'ENV I=$A-${B} J=\\$literal K="$CHANNEL"\n',
        {"VERSION": "2.0"},
    ),
    Case(
        "env-arg-defaults",
        "FROM scratch\n"
        "ARG VERSION\n"
        "ARG CHANNEL=stable\n"
        "ENV E=${VERSION:-0.0.1} F=${CHANNEL:-none} G=${VERSION:+set}\n",
    ),
    Case(
        "global-arg-scope",
        "ARG GLOBAL=g\n"
        "FROM scratch\n"
        "ARG GLOBAL\n"
        "ARG LOCAL=l\n"
        "ENV FROM_GLOBAL=$GLOBAL FROM_LOCAL=$LOCAL\n"
        "\n"
        "FROM scratch\n"
        "ENV NOT_IN_SCOPE=${GLOBAL}x\n",
        {"GLOBAL": "override"},
    ),
    Case(
        "arg-and-env-through-from-stage",
        "FROM scratch AS builder\nARG X=1\nENV E=$X\n\nFROM builder\nENV F=${X} G=$E\n",
    ),
    Case(
        "expose-lists",
        "FROM scratch\n"
        "ARG PORT=8080\n"
        "EXPOSE 80 443/tcp 53/udp ${PORT}\n"
        "EXPOSE 8000-8002\n"
        "EXPOSE 9090/TCP\n",
    ),
    Case(
        "healthcheck-options-shell-form",
        "FROM scratch\n"
        "HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=3 "
        "CMD wget -q -O- http://127.0.0.1:8080/ || exit 1\n",
    ),
    Case(
        "healthcheck-none-overrides-parent",
        'FROM scratch AS builder\nHEALTHCHECK CMD ["/bin/true"]\n\n'
        "FROM builder\nHEALTHCHECK NONE\n",
    ),
    Case(
        "entrypoint-then-cmd-exec",
        'FROM scratch\nENTRYPOINT ["/bin/sh", "-c"]\nCMD ["echo hi"]\n',
    ),
    Case(
        "cmd-then-entrypoint-same-stage",
        'FROM scratch\nCMD ["--help"]\nENTRYPOINT /bin/app --flag\n',
    ),
    Case(
        "entrypoint-resets-inherited-cmd",
        'FROM scratch AS base\nCMD ["serve"]\n\nFROM base\nENTRYPOINT ["/bin/app"]\n',
    ),
    Case(
        "commands-are-not-expanded",
        "FROM scratch\n"
        "ENV GREETING=hi\n"
        'ENTRYPOINT ["echo", "$GREETING"]\n'
        "CMD echo $GREETING ${GREETING}\n",
    ),
    Case(
        "not-json-is-shell-form",
        "FROM scratch\nENTRYPOINT [not, json]\n",
    ),
    Case(
        "shell-instruction-changes-shell-form",
        'FROM scratch\nSHELL ["/bin/busybox", "sh", "-c"]\nCMD echo shell\n',
    ),
    Case(
        "label-forms",
        "FROM scratch\n"
        "ARG V=1.2\n"
        'LABEL a=b "c d"="e f" version=$V multi="x \\\n  y"\n'
        "LABEL legacy value words\n",
    ),
]


def _ports(ports: list[str]) -> list[str]:
    """`8080` is `8080/tcp`, `/TCP` is `/tcp`, a range `8000-8002` is each of its ports."""
    found = set()
    for port in ports:
        number, _, proto = port.partition("/")
        proto = (proto or "tcp").lower()
        low, _, high = number.partition("-")
        for n in range(int(low), int(high or low) + 1):
            found.add(f"{n}/{proto}")
    return sorted(found)


def from_spec(spec: ImageSpec) -> dict[str, Any]:
    env = {e.name: e.value for e in spec.env}
    env.setdefault("PATH", DEFAULT_PATH)  # the engine's default: every case builds FROM scratch
    return {
        "User": spec.user.value,
        "Env": env,
        "ExposedPorts": _ports([p.value for p in spec.exposed_ports]),
        "Healthcheck.Test": list(spec.healthcheck.value) if spec.healthcheck else None,
        "Cmd": list(spec.cmd.value) if spec.cmd else None,
        "Entrypoint": list(spec.entrypoint.value) if spec.entrypoint else None,
        "Labels": {label.name: label.value for label in spec.labels},
    }


def from_docker(config: dict[str, Any]) -> dict[str, Any]:
    healthcheck = config.get("Healthcheck") or {}
    return {
        "User": config.get("User") or "",
        "Env": dict(item.split("=", 1) for item in config.get("Env") or []),
        "ExposedPorts": sorted(config.get("ExposedPorts") or {}),
        "Healthcheck.Test": healthcheck.get("Test"),
        "Cmd": config.get("Cmd"),
        "Entrypoint": config.get("Entrypoint"),
        "Labels": dict(config.get("Labels") or {}),
    }


def differences(hullguard: dict[str, Any], docker: dict[str, Any]) -> list[str]:
    return [
        f"{key}:\n    docker:    {docker[key]!r}\n    hullguard: {hullguard[key]!r}"
        for key in docker
        if hullguard[key] != docker[key]
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_image_spec_matches_the_engine(docker_daemon: DockerDaemon, case: Case) -> None:
    tag = f"hullguard-live/{case.id}:latest"
    docker_daemon.build_busybox_image(tag, case.dockerfile, build_args=case.build_args)
    docker = from_docker(docker_daemon.inspect_image(tag)["Config"])

    dockerfile = parse_dockerfile(case.dockerfile, "Dockerfile", case.build_args)
    assert not dockerfile.errors, f"hullguard could not parse the file: {dockerfile.errors}"
    spec = image_spec_from_dockerfile(dockerfile)
    assert spec is not None
    hullguard = from_spec(spec)

    diff = differences(hullguard, docker)
    assert not diff, (
        f"hullguard's ImageSpec disagrees with the engine for {case.id}"
        f" (build args {case.build_args}):\n" + "\n".join(diff)
    )
