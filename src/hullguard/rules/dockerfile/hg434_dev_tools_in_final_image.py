"""HG434: compilers, debuggers, editors or an SSH server installed in the final image."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from hullguard.data import load
from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import (
    Action,
    Manager,
    PackageCommand,
    family,
    package_commands,
)
from hullguard.sources.dockerfile import Dockerfile
from hullguard.sources.shell import Script


@dataclass
class _Install:
    pc: PackageCommand
    tools: list[tuple[str, str]]  # (package, kind)
    virtual: str | None  # apk `--virtual NAME`
    removed: set[str] = field(default_factory=set)


@rule(
    id="HG434",
    name="dev-tools-in-final-image",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("cis-docker:4.3",),
    fix="build in a separate stage and copy only the result into the final one",
    options={"allow": []},
)
def dev_tools_in_final_image(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags OS packages installed in the stages that ship that build, debug or break into
    software rather than run it: compilers and build tools (gcc, g++, clang, build-essential,
    make, cmake, ...), `-dev`/`-devel` header packages, debuggers and tracers (gdb, strace,
    ltrace, valgrind), editors (vim, nano, emacs), an SSH server (openssh-server, dropbear) and
    network sniffing or relay tools (tcpdump, nmap, netcat, socat, telnet).

    ## Why is this bad?
    Everything in the final image is attack surface. An attacker who gets code execution in the
    container finds a compiler to build exploits with, a debugger to read other processes'
    memory, netcat to open a reverse shell, an SSH server to come back through. These packages
    are also large and pull in many dependencies, each a source of vulnerability reports.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends gcc libpq-dev \\
     && rm -rf /var/lib/apt/lists/*
    RUN pip install --no-cache-dir psycopg2
    ```
    Use instead:
    ```dockerfile
    FROM python:3.12-slim AS build
    RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
    RUN pip wheel --no-cache-dir --wheel-dir /wheels psycopg2

    FROM python:3.12-slim
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends libpq5 \\
     && rm -rf /var/lib/apt/lists/*
    COPY --from=build /wheels /wheels
    RUN pip install --no-cache-dir /wheels/*
    ```

    ## How to fix
    Use a multi-stage build: compile in a builder stage, copy the artefacts into a final stage
    that installs only the runtime libraries. Debug a running container with `docker debug` or
    an ephemeral debug container instead of shipping the tools.

    ## Options
    `allow`: package names (fnmatch patterns) to accept, for a tool the application really
    runs (say `make` for an image whose job is to run make).

    ## Notes
    Only the stages that end up in the final image are checked; builder stages are where these
    tools belong. A package removed again later in those stages is not reported:
    `apt-get purge`/`apk del`/`dnf remove` of it, `apk del` of the `--virtual` group it was
    installed in, or the `apt-mark auto` ... `apt-get purge --auto-remove` pattern of the
    official images. `apt-get build-dep` is reported as installing build dependencies. The
    package lists are in `hullguard/data/dev_packages.toml`.
    """
    allow = [str(p).lower() for p in ctx.options.get("allow", [])]
    installs: list[_Install] = []
    for instruction in dockerfile.shipped_instructions("RUN"):
        commands = [pc for pc in package_commands(instruction.script) if pc.manager.is_os]
        in_this_run: list[_Install] = []
        for pc in commands:
            if pc.action is Action.INSTALL:
                tools = _dev_tools(pc, allow)
                if tools:
                    virtual = next(iter(pc.option_values("--virtual", "-t")), None)
                    in_this_run.append(_Install(pc, tools, virtual))
            elif pc.action is Action.REMOVE:
                for install in [*installs, *in_this_run]:
                    _apply_removal(install, pc)
        if _auto_purged(instruction.script):
            for install in in_this_run:
                install.removed.update(name for name, _ in install.tools)
        installs.extend(in_this_run)
    for install in installs:
        left = [(name, kind) for name, kind in install.tools if name not in install.removed]
        if not left:
            continue
        cmd = install.pc.command
        listed = ", ".join(f"{name} ({kind})" for name, kind in left)
        yield ctx.finding(
            at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
            message=f"`{install.pc.text}` puts build, debug or admin tools in the final image: "
            f"{listed}",
        )


def _dev_tools(pc: PackageCommand, allow: list[str]) -> list[tuple[str, str]]:
    if pc.manager is Manager.APT and pc.subcommand == "build-dep":
        return [(w.text, "build dependencies") for w in pc.packages]
    found: list[tuple[str, str]] = []
    for name in pc.package_names():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in allow):
            continue
        kind = _kind_of(name)
        if kind:
            found.append((name, kind))
    return found


@functools.lru_cache(maxsize=8192)
def _kind_of(name: str) -> str | None:
    table = load("dev_packages")
    for group in table["group"]:
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in group["names"]):
            return str(group["kind"])
    if name.endswith(tuple(table["suffixes"])):
        return "development package"
    return None


def _apply_removal(install: _Install, removal: PackageCommand) -> None:
    if family(install.pc.manager) is not family(removal.manager):
        return
    names = set(removal.package_names())
    if install.virtual and install.virtual.lower() in names:
        install.removed.update(name for name, _ in install.tools)
    install.removed.update(name for name, _ in install.tools if name in names)


def _auto_purged(script: Script | None) -> bool:
    """`apt-mark auto ...` then `apt-get purge --auto-remove` / `autoremove` in one RUN."""
    marked = False
    for command in script.commands if script is not None else ():
        if command.name == "apt-mark" and "auto" in command.args:
            marked = True
        elif marked and command.name in ("apt-get", "apt"):
            args = command.args
            if "autoremove" in args or ("purge" in args and "--auto-remove" in args):
                return True
    return False
