"""Projections: what an image will be, whatever described it.

`ImageSpec` is the image a Dockerfile's final stage builds (and, later, a real image's config):
its effective user with the chain of facts that decided it, environment, exposed ports,
healthcheck, entrypoint and command. Image rules are written once against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hullguard.imageref import ImageRef
from hullguard.model import Located, Location
from hullguard.predicates import nonroot_default_user
from hullguard.sources.dockerfile import Dockerfile, Instruction, Stage


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    value: str
    location: Location


DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")


@dataclass(frozen=True)
class ImageSpec:
    """What an image runs as and with, in the terms of an image configuration.

    `user` is the effective user: its value and the place that decided it (a USER instruction,
    or the FROM line when the base image's default applies). `user_explicit` is false when no
    USER was written anywhere in the chain. `user_chain` names every link, for messages.
    `entrypoint` and `cmd` are argument vectors as the engine stores them (a shell form becomes
    the SHELL plus the text); `healthcheck` is the engine's `Healthcheck.Test`: `("NONE",)`,
    `("CMD", arg, ...)` or `("CMD-SHELL", text)`. `exposed_ports` are `port[-port]/protocol`.
    `origin` says what described the image: `"dockerfile"` (a final stage) or `"image"` (a
    built image's configuration); `history` holds a built image's build history, the
    `created_by` line of each entry located `image/<ref>:history[i]` (empty for a Dockerfile).
    """

    name: str
    anchor: Location  # where to report a finding about the image as a whole
    user: Located[str]
    user_explicit: bool
    user_chain: tuple[str, ...]
    base: Located[str] | None = None
    base_ref: ImageRef | None = None
    env: tuple[EnvVar, ...] = ()
    exposed_ports: tuple[Located[str], ...] = ()
    healthcheck: Located[tuple[str, ...]] | None = None
    entrypoint: Located[tuple[str, ...]] | None = None
    cmd: Located[tuple[str, ...]] | None = None
    labels: tuple[EnvVar, ...] = ()
    shell: tuple[str, ...] = DEFAULT_SHELL
    origin: str = "dockerfile"
    history: tuple[Located[str], ...] = ()


def image_spec_from_dockerfile(dockerfile: Dockerfile) -> ImageSpec | None:
    """Project the final stage (with the stages it builds FROM) into an ImageSpec."""
    final = dockerfile.final_stage
    if final is None:
        return None
    chain = _stage_chain(dockerfile, final)
    root = chain[0]
    base_loc = root.from_instruction.location
    name = f"{dockerfile.path} ({final.label})"

    env: dict[str, EnvVar] = {}
    labels: dict[str, EnvVar] = {}
    ports: list[Located[str]] = []
    user_instr: Instruction | None = None
    healthcheck: Located[tuple[str, ...]] | None = None
    entrypoint: Located[tuple[str, ...]] | None = None
    cmd: Located[tuple[str, ...]] | None = None
    shell: tuple[str, ...] = DEFAULT_SHELL
    for stage in chain:
        cmd_set_here = False  # an ENTRYPOINT resets the CMD unless this stage set one
        for instr in stage.instructions:
            match instr.keyword:
                case "USER":
                    user_instr = instr
                case "ENV":
                    for pair in instr.pairs:
                        env[pair.key] = EnvVar(pair.key, pair.value or "", pair.location)
                case "LABEL":
                    for pair in instr.pairs:
                        labels[pair.key] = EnvVar(pair.key, pair.value or "", pair.location)
                case "EXPOSE":
                    ports.extend(Located(p, instr.location) for p in _ports(instr.expanded))
                case "SHELL":
                    if instr.exec_form:
                        shell = instr.exec_form
                case "HEALTHCHECK":
                    healthcheck = Located(_healthcheck_test(instr), instr.location)
                case "ENTRYPOINT":
                    entrypoint = Located(_argv(instr, shell), instr.location)
                    if not cmd_set_here:
                        cmd = None
                case "CMD":
                    cmd = Located(_argv(instr, shell), instr.location)
                    cmd_set_here = True

    links = [f"{dockerfile.path}:{s.from_instruction.line} FROM {s.base}" for s in chain]
    if user_instr is not None:
        user = Located(user_instr.expanded.strip(), user_instr.location)
        links.append(f"{dockerfile.path}:{user_instr.line} USER {user.value}")
        explicit = True
    else:
        explicit = False
        known = nonroot_default_user(root.base_ref) if root.base_ref else None
        if known:
            user = Located(known[0], base_loc)
            links.append(f"base image `{root.base}` defaults to user {known[0]} ({known[1]})")
        elif root.base == "scratch" or root.base_ref is not None:
            user = Located("", base_loc)
            links.append("no USER: the image runs as root")
        else:
            user = Located("", base_loc)
            links.append(f"no USER and the base `{root.base}` is unknown: assumed root")

    return ImageSpec(
        name=name,
        anchor=final.from_instruction.location,
        user=user,
        user_explicit=explicit,
        user_chain=tuple(links),
        base=Located(root.base, base_loc),
        base_ref=root.base_ref,
        env=tuple(env.values()),
        exposed_ports=tuple(ports),
        healthcheck=healthcheck,
        entrypoint=entrypoint,
        cmd=cmd,
        labels=tuple(labels.values()),
        shell=shell,
    )


def _argv(instr: Instruction, shell: tuple[str, ...]) -> tuple[str, ...]:
    """CMD/ENTRYPOINT as the engine stores it: variables are not expanded at build time."""
    if instr.exec_form is not None:
        return instr.exec_form
    return (*shell, instr.value) if instr.value else ()


def _healthcheck_test(instr: Instruction) -> tuple[str, ...]:
    keyword, _, rest = instr.value.strip().partition(" ")
    if keyword.upper() == "NONE":
        return ("NONE",)
    rest = rest.strip()
    if rest.startswith("["):
        try:
            parsed = json.loads(rest)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(a, str) for a in parsed):
            return ("CMD", *parsed)
    return ("CMD-SHELL", rest)


def _ports(text: str) -> list[str]:
    """EXPOSE arguments as `port[-port]/protocol`, the protocol lower-case, tcp by default."""
    ports = []
    for item in text.split():
        number, _, protocol = item.partition("/")
        ports.append(f"{number}/{(protocol or 'tcp').lower()}")
    return ports


def _stage_chain(dockerfile: Dockerfile, final: Stage) -> list[Stage]:
    """The final stage and the stages it is built FROM, the root first."""
    chain = [final]
    seen = {final.index}
    while chain[0].base_stage is not None and chain[0].base_stage not in seen:
        parent = dockerfile.stages[chain[0].base_stage]
        seen.add(parent.index)
        chain.insert(0, parent)
    return chain


# --- containers -------------------------------------------------------------------------------

# ContainerSpec.kind: where the container's settings were written.
COMPOSE = "compose"
KUBERNETES = "kubernetes"
DOCKER_CLI = "docker-cli"  # a `docker run`/`docker create`/`podman run` command line
CI = "ci"  # a CI job's container or service
LIVE = "container"  # a container inspected on a running engine


@dataclass(frozen=True, slots=True)
class Mount:
    """A filesystem mounted into the container.

    `type` is `bind` (a host path: compose bind mounts, `-v /host:/ctr`, Kubernetes hostPath),
    `volume` (a named or anonymous volume), `tmpfs`, or another engine type as written.
    `source` is the host path for binds, the volume name for volumes, None otherwise.
    """

    type: str
    source: str | None
    target: str
    read_only: bool
    location: Location


@dataclass(frozen=True, slots=True)
class PortBinding:
    """A published port: `host_ip` None means every interface."""

    container_port: str
    protocol: str
    host_port: str | None
    host_ip: str | None
    location: Location


@dataclass(frozen=True)
class ContainerSpec:
    """How a container runs, whatever described it (compose, Kubernetes, a `docker run` line,
    a CI job, a live container). The pillar 1 to 3 rules are written once against it.

    Every setting is `Located` (or None when not written, so the engine's default applies).
    Namespace modes hold what was written (`host`, `container:x`, `private`); Kubernetes'
    `hostPID: true` becomes `pid = host`. `no_new_privileges` is true for
    `security_opt: no-new-privileges` and Kubernetes' `allowPrivilegeEscalation: false`.
    `user` is the user the runtime configuration sets; `effective_user` is what the container
    really runs as once the image is taken into account (filled in by cross-file resolution,
    with `user_chain` naming every link), None when it cannot be known.
    """

    kind: str
    name: str  # for messages: `service \`api\``, `container \`web\` of Deployment/shop`
    resource: str  # Finding.resource: `services.api`, `Deployment/shop/containers/web`
    anchor: Location  # where the container is declared
    image: Located[str] | None = None
    build_context: Located[str] | None = None  # compose `build:`: the folder of its Dockerfile
    dockerfile: Located[str] | None = None  # compose `build.dockerfile`, relative to the context
    user: Located[str] | None = None
    run_as_non_root: Located[bool] | None = None  # Kubernetes runAsNonRoot
    privileged: Located[bool] | None = None
    cap_add: tuple[Located[str], ...] = ()
    cap_drop: tuple[Located[str], ...] = ()
    pid: Located[str] | None = None
    ipc: Located[str] | None = None
    network: Located[str] | None = None
    uts: Located[str] | None = None
    userns: Located[str] | None = None
    cgroup: Located[str] | None = None
    mounts: tuple[Mount, ...] = ()
    devices: tuple[Located[str], ...] = ()
    seccomp: Located[str] | None = None  # `unconfined`, a profile path, `RuntimeDefault`
    apparmor: Located[str] | None = None
    selinux: tuple[Located[str], ...] = ()  # `label=disable`, `type:spc_t`, ...
    no_new_privileges: Located[bool] | None = None
    read_only_rootfs: Located[bool] | None = None
    runtime: Located[str] | None = None
    memory_limit: Located[str] | None = None
    cpu_limit: Located[str] | None = None
    pids_limit: Located[str] | None = None
    env: tuple[EnvVar, ...] = ()
    ports: tuple[PortBinding, ...] = ()
    sysctls: tuple[EnvVar, ...] = ()
    effective_user: Located[str] | None = None
    user_chain: tuple[str, ...] = ()
    # Kubernetes: the `handler` of the RuntimeClass `runtime` names, when that RuntimeClass is
    # in the same manifest file; the pod's namespace (None: not written) and labels.
    runtime_handler: Located[str] | None = None
    namespace: str | None = None
    labels: tuple[EnvVar, ...] = ()
    # The signature policy's verdict on `image` (filled in before the rules when the policy is
    # on, at the image's location): `verified`, `invalid: <reason>`, `unverified: <reason>`,
    # `unreachable: <reason>`; None when not checked (not pinned, policy off).
    signature: Located[str] | None = None
