"""Projections: what an image will be, whatever described it.

`ImageSpec` is the image a Dockerfile's final stage builds (and, later, a real image's config):
its effective user with the chain of facts that decided it, environment, exposed ports,
healthcheck, entrypoint and command. Image rules are written once against it.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class ImageSpec:
    """What an image runs as and with.

    `user` is the effective user: its value and the place that decided it (a USER instruction,
    or the FROM line when the base image's default applies). `user_explicit` is false when no
    USER was written anywhere in the chain. `user_chain` names every link, for messages.
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
    healthcheck: Located[str] | None = None  # the HEALTHCHECK argument; `NONE` disables it
    entrypoint: Located[str] | None = None
    cmd: Located[str] | None = None
    labels: tuple[EnvVar, ...] = ()


def image_spec_from_dockerfile(dockerfile: Dockerfile) -> ImageSpec | None:
    """Project the final stage (with the stages it builds FROM) into an ImageSpec."""
    final = dockerfile.final_stage
    if final is None:
        return None
    chain = _stage_chain(dockerfile, final)
    instructions = [i for stage in chain for i in stage.instructions]
    root = chain[0]
    base_loc = root.from_instruction.location
    name = f"{dockerfile.path} ({final.label})"

    env: dict[str, EnvVar] = {}
    labels: dict[str, EnvVar] = {}
    ports: list[Located[str]] = []
    user_instr: Instruction | None = None
    healthcheck = entrypoint = cmd = None
    for instr in instructions:
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
                ports.extend(Located(p, instr.location) for p in instr.expanded.split())
            case "HEALTHCHECK":
                healthcheck = Located(instr.expanded, instr.location)
            case "ENTRYPOINT":
                entrypoint = Located(instr.expanded, instr.location)
                cmd = None  # Docker resets CMD when ENTRYPOINT is set
            case "CMD":
                cmd = Located(instr.expanded, instr.location)

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
    )


def _stage_chain(dockerfile: Dockerfile, final: Stage) -> list[Stage]:
    """The final stage and the stages it is built FROM, the root first."""
    chain = [final]
    seen = {final.index}
    while chain[0].base_stage is not None and chain[0].base_stage not in seen:
        parent = dockerfile.stages[chain[0].base_stage]
        seen.add(parent.index)
        chain.insert(0, parent)
    return chain
