"""HG402: a process supervisor or init system runs or is installed in the final image."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hullguard.data import load
from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import Action, Manager, package_commands
from hullguard.rules.dockerfile._process import instruction_script, start_instructions
from hullguard.sources.dockerfile import Dockerfile
from hullguard.sources.shell import Command

_TABLE_KEY = {
    Manager.APT: "apt",
    Manager.APK: "apk",
    Manager.YUM: "rpm",
    Manager.DNF: "rpm",
    Manager.MICRODNF: "rpm",
    Manager.ZYPPER: "rpm",
    Manager.PIP: "pip",
}
# A pm2 process file names several applications: `ecosystem.config.js`, `process.yml`, ...
_PM2_PROCESS_FILE = re.compile(r"(ecosystem|process)[^/]*\.(c?js|json|ya?ml)$|\.config\.c?js$")
_DOWNLOADERS = ("curl", "wget")


@dataclass(frozen=True)
class _Supervisor:
    name: str
    executables: frozenset[str]
    init_paths: frozenset[str]
    packages: dict[str, frozenset[str]]
    urls: tuple[str, ...]
    several_apps_only: bool


@functools.cache
def _supervisors() -> list[_Supervisor]:
    entries: list[dict[str, Any]] = load("supervisors")["supervisor"]
    return [
        _Supervisor(
            name=e["name"],
            executables=frozenset(e.get("executables", ())),
            init_paths=frozenset(e.get("init_paths", ())),
            packages={k: frozenset(e.get(k, ())) for k in ("apt", "apk", "rpm", "pip")},
            urls=tuple(e.get("urls", ())),
            several_apps_only=bool(e.get("several_apps_only", False)),
        )
        for e in entries
    ]


@rule(
    id="HG402",
    name="process-supervisor",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("cis-docker:4.3",),
    fix="run one application per container, started directly by CMD/ENTRYPOINT",
)
def process_supervisor(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a process supervisor or init system that the final image starts as its main process
    (supervisord, s6-overlay's `/init`, runit, monit, circus, systemd's `/sbin/init`, OpenRC,
    daemontools, pm2 with several applications) or that the stages that ship install
    (by apt, apk, yum/dnf/microdnf, zypper or pip, or by downloading s6-overlay).

    ## Why is this bad?
    A supervisor is there to run several programs in one container. The container then has one
    health status, one log stream and one restart policy for all of them: a crashed program is
    restarted (or not) behind the orchestrator's back, scaling one part scales them all, and an
    update of one rebuilds and restarts everything. An init system such as systemd also needs
    privileges (cgroups, `/sys/fs/cgroup` mounted, often `--privileged`) that a container should
    not have.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends supervisor nginx php-fpm
    CMD ["/usr/bin/supervisord", "-n"]
    ```
    Use instead, one image (or one command) per program:
    ```dockerfile
    FROM nginx:1.27-alpine
    COPY site.conf /etc/nginx/conf.d/default.conf
    ```
    and run php-fpm from `php:8.3-fpm-alpine` in a second container beside it.

    ## How to fix
    Split the programs into separate containers (compose services, or containers of one pod)
    and start each one directly from CMD/ENTRYPOINT. When only zombie reaping and signal
    forwarding are needed, use `docker run --init` or a minimal init such as tini.

    ## Notes
    The main process is the ENTRYPOINT and CMD in effect in the final image, including a CMD
    run through a wrapper (`tini -- supervisord`) or `sh -c`. Installations are checked in the
    stages that end up in the final image only; a builder stage's packages do not ship. pm2
    runs a single Node.js application well too: it is reported only when started with a
    process file (`ecosystem.config.js`, `process.yml`) or several scripts, and its
    installation is not reported. tini, dumb-init and `docker run --init` only reap zombies and
    forward signals; they are not reported. The supervisors are listed in
    `hullguard/data/supervisors.toml`. No other scanner has an equivalent check; the CIS
    reference is to its advice against unnecessary packages.
    """
    supervisors = _supervisors()
    for instruction in start_instructions(dockerfile):
        script = instruction_script(instruction)
        for command in script.commands:
            found = _as_main_process(command, supervisors)
            if found:
                yield ctx.finding(
                    at=instruction,
                    message=f"{instruction.keyword} starts {found} as the main process: "
                    f"several programs in one container",
                )
                break
    for instruction in dockerfile.shipped_instructions("RUN", "ADD"):
        if instruction.keyword == "ADD":
            for source in instruction.arguments[:-1]:
                sup = _downloaded(source, supervisors)
                if sup:
                    yield ctx.finding(at=instruction, message=f"ADD downloads {sup.name}")
            continue
        if instruction.script is None:
            continue
        for pc in package_commands(instruction.script):
            if pc.action is not Action.INSTALL:
                continue
            key = _TABLE_KEY[pc.manager]
            for name in pc.package_names():
                sup = next((s for s in supervisors if name in s.packages[key]), None)
                if sup:
                    cmd = pc.command
                    yield ctx.finding(
                        at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
                        message=f"`{pc.text}` installs {sup.name} ({name}) in the final image",
                    )
        for command in instruction.script.named(*_DOWNLOADERS):
            for arg in command.args:
                sup = _downloaded(arg, supervisors)
                if sup:
                    yield ctx.finding(
                        at=Location(path=ctx.path, line=command.line, column=command.column),
                        message=f"`{command.name}` downloads {sup.name} into the final image",
                    )
                    break


def _as_main_process(command: Command, supervisors: list[_Supervisor]) -> str | None:
    path = command.words[0].text if command.words else ""
    for sup in supervisors:
        if path in sup.init_paths:
            return f"{sup.name} (`{path}`)"
        if command.name not in sup.executables:
            continue
        if sup.several_apps_only and not _several_apps(command):
            continue
        return sup.name if command.name == sup.name else f"{sup.name} (`{command.name}`)"
    return None


def _several_apps(command: Command) -> bool:
    scripts = [a for a in command.args if not a.startswith("-") and a not in ("start", "--")]
    if any(_PM2_PROCESS_FILE.search(a) for a in scripts):
        return True
    return len([a for a in scripts if a.endswith((".js", ".cjs", ".mjs", ".ts"))]) > 1


def _downloaded(url: str, supervisors: list[_Supervisor]) -> _Supervisor | None:
    if "://" not in url:
        return None
    return next((s for s in supervisors if any(u in url for u in s.urls)), None)
