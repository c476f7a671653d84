"""HG405: packages installed from an index that the same RUN did not refresh."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import (
    Action,
    Manager,
    PackageCommand,
    is_before,
    package_commands,
)
from hullguard.sources.dockerfile import Dockerfile
from hullguard.sources.shell import Command, Script

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})


@rule(
    id="HG405",
    name="package-install-without-update",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("cis-docker:4.7",),
    fix="refresh the index in the same RUN: `apt-get update && apt-get install ...`, "
    "`apk add --no-cache ...`",
)
def package_install_without_update(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `apt-get install` (or `apt install`) in a RUN with no `apt-get update` before it in
    that RUN, and `apk add` without `--no-cache`, `--update`/`-U` or an `apk update` before it in
    that RUN.

    ## Why is this bad?
    Without a refresh in the same RUN the install works from whatever index an earlier layer left
    behind: the base image's (often none, and the build fails with "Unable to locate package"),
    or one cached by an earlier RUN, weeks old. Packages then come in outdated versions with
    known vulnerabilities, and rebuilding does not fix it until the cache is dropped.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update
    RUN apt-get install -y --no-install-recommends ca-certificates
    FROM alpine:3.20
    RUN apk add curl
    ```
    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends ca-certificates \\
     && rm -rf /var/lib/apt/lists/*
    FROM alpine:3.20
    RUN apk add --no-cache curl
    ```

    ## How to fix
    Start the RUN with `apt-get update &&`; give `apk add` the `--no-cache` option (it fetches a
    fresh index and keeps none).

    ## Notes
    Every stage is checked. yum, dnf, microdnf and zypper refresh expired metadata on their own
    before they install, so they are not checked. `apt-get install` of local `.deb` files only
    needs no index and is not reported, nor is an install after `add-apt-repository` or after
    a setup script piped into a shell (such scripts refresh the index themselves; HG441
    reports the pipe).
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword != "RUN":
            continue
        script = instruction.script
        if script is None:
            continue
        commands = package_commands(script)
        for install in commands:
            if install.action is not Action.INSTALL:
                continue
            message = _missing_refresh(install, commands, script)
            if message:
                cmd = install.command
                yield ctx.finding(
                    at=Location(path=ctx.path, line=cmd.line, column=cmd.column), message=message
                )


def _refreshed_before(
    install: PackageCommand, commands: list[PackageCommand], script: Script
) -> bool:
    if any(
        other.manager is install.manager
        and other.action is Action.UPDATE
        and is_before(other.command, install.command)
        for other in commands
    ):
        return True
    if install.manager is not Manager.APT:
        return False
    return any(_may_refresh_apt(c) and is_before(c, install.command) for c in script.commands)


def _may_refresh_apt(command: Command) -> bool:
    """`add-apt-repository` (which updates by default), or a downloaded setup script run by a
    shell from a pipe (`curl .../setup.sh | bash`): such scripts run `apt-get update` themselves."""
    if command.name == "add-apt-repository":
        return not ({"-n", "--no-update"} & set(command.args))
    return command.pipe_position > 0 and command.name in _SHELLS


def _missing_refresh(
    install: PackageCommand, commands: list[PackageCommand], script: Script
) -> str | None:
    if install.manager is Manager.APT:
        if install.subcommand == "build-dep" or _refreshed_before(install, commands, script):
            return None
        operands = [w.text for w in install.operands]
        if operands and all(o.endswith(".deb") for o in operands):
            return None
        return f"`{install.text}` without `apt-get update` before it in the same RUN"
    if install.manager is Manager.APK:
        if install.has_option("--no-cache", "--update-cache", "--update", "-U"):
            return None
        if _refreshed_before(install, commands, script):
            return None
        return "`apk add` without `--no-cache`, `--update` or `apk update` in the same RUN"
    return None
