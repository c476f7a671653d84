"""HG403: daemons sent to the background at start, or services started in RUN."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._process import instruction_script, start_instructions
from hullguard.sources.dockerfile import Dockerfile
from hullguard.sources.shell import Command, Script

_SERVICE_VERBS = frozenset({"start", "restart", "reload", "force-reload"})
_INIT_SCRIPT_DIRS = ("/etc/init.d/", "/etc/rc.d/init.d/")


@rule(
    id="HG403",
    name="background-process",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("hadolint:DL3001",),
    fix="run the one program in the foreground from CMD/ENTRYPOINT; put other services in "
    "their own containers",
)
def background_process(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a CMD or ENTRYPOINT that sends daemons to the background: `a & b`, `nohup`,
    `service x start && ...`, `/etc/init.d/x start`, `systemctl start`, `start-stop-daemon
    --background`. Also flags a RUN that starts or enables a service (`service x start`,
    `/etc/init.d/x start`, `systemctl start|enable x`), which does nothing for the image.

    ## Why is this bad?
    The container lives as long as its main process. A daemon started in the background is
    invisible to it: when the daemon dies nobody notices or restarts it, its logs do not reach
    `docker logs`, it receives no SIGTERM on `docker stop` and is killed mid-write, and it
    leaves zombies behind. It is also a second program in the container, against the one
    application per container rule.

    A service started in a RUN lives only for that build step: the image stores files, not
    processes. `systemctl` needs systemd running as PID 1, which a build never has.

    ## Example
    ```dockerfile
    CMD service mysql start && node server.js
    ```
    Use instead:
    ```dockerfile
    CMD ["node", "server.js"]
    ```
    with MySQL in its own container (a compose service, or a managed database).

    ## How to fix
    Start one program in the foreground, in exec form, from CMD or ENTRYPOINT. Run every other
    service in its own container. Remove `service ... start` and `systemctl` from RUN steps.

    ## Notes
    Starts are checked in the ENTRYPOINT and CMD in effect in the final image, including the
    string of `sh -c`. RUN steps are checked in every stage (a service started in a builder does
    nothing either), at severity low, except a `service x start` followed by more commands in
    the same RUN: starting a database to load a schema during the build is legitimate.
    """
    for instruction in start_instructions(dockerfile):
        reasons = _background_starts(instruction_script(instruction))
        if reasons:
            yield ctx.finding(
                at=instruction,
                message=f"{instruction.keyword} starts daemons in the background: "
                + ", ".join(reasons),
            )
    for instruction in dockerfile.instructions:
        if instruction.keyword != "RUN" or instruction.script is None:
            continue
        commands = [c for c in instruction.script.commands if c.wrapped_by is None]
        for index, command in enumerate(commands):
            message = _useless_start(command, is_last=index == len(commands) - 1)
            if message:
                yield ctx.finding(
                    at=Location(path=ctx.path, line=command.line, column=command.column),
                    message=message,
                    severity=Severity.LOW,
                )


def _background_starts(script: Script) -> list[str]:
    reasons: list[str] = []
    for command in script.commands:
        if command.wrapped_by is not None:
            continue
        if command.background:
            reasons.append(f"`{' '.join(command.argv)} &`")
        elif _detaches(command):
            reasons.append(f"`{' '.join(command.argv)}`")
        elif command.name == "start-stop-daemon" and {"-b", "--background"} & set(command.args):
            reasons.append(f"`{' '.join(command.argv[:3])} ...`")
    return reasons


def _detaches(command: Command) -> bool:
    return (
        command.name == "nohup" or _service_start(command) or _systemctl(command) in _SERVICE_VERBS
    )


def _useless_start(command: Command, *, is_last: bool) -> str | None:
    verb = _systemctl(command)
    if verb in ("enable", "start", "restart"):
        return (
            f"`{' '.join(command.argv)}` in a RUN: systemctl needs systemd as PID 1, which "
            f"neither the build nor a normal container has"
        )
    if _service_start(command) and is_last:
        return (
            f"`{' '.join(command.argv)}` in a RUN: the service stops with the build step and "
            f"nothing of it reaches the image"
        )
    return None


def _service_start(command: Command) -> bool:
    argv = command.argv
    if command.name == "service" and len(argv) >= 3:
        return argv[2] in _SERVICE_VERBS
    if argv and argv[0].startswith(_INIT_SCRIPT_DIRS) and len(argv) >= 2:
        return argv[1] in _SERVICE_VERBS
    return False


def _systemctl(command: Command) -> str | None:
    """The verb of a `systemctl` command (`start`, `enable`, ...), options skipped."""
    if command.name != "systemctl":
        return None
    verbs = [a for a in command.args if not a.startswith("-")]
    return verbs[0] if verbs else None
