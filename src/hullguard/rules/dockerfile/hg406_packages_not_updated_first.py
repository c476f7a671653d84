"""HG406: the base image's packages are not upgraded first in the stages that ship."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import (
    Action,
    Manager,
    PackageCommand,
    family,
    is_full_upgrade,
    package_commands,
)
from hullguard.sources.dockerfile import Dockerfile, Instruction

_UPGRADE_ADVICE = {
    Manager.APT: "apt-get upgrade -y",
    Manager.APK: "apk upgrade --no-cache",
    Manager.ZYPPER: "zypper --non-interactive update",
}


@rule(
    id="HG406",
    name="packages-not-updated-first",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=("cis-docker:4.4",),
    fix="upgrade the base image's packages in the first RUN that uses the package manager",
)
def packages_not_updated_first(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    In the stages that ship, flags an image that uses an OS package manager but never upgrades
    the base image's packages (`apt-get upgrade`/`dist-upgrade`, `apk upgrade`, `dnf`/`yum`
    `upgrade` or `update`, `microdnf upgrade`, `zypper update`/`patch`), and an upgrade that
    comes only after earlier RUN steps installed packages.

    ## Why is this bad?
    A base image tag is rebuilt on its maintainers' schedule, not when a fix is published: the
    packages it holds can lag weeks behind the distribution's security updates. Upgrading them
    in the build ships those fixes now. Upgrading first means that everything installed later
    is installed against the patched system rather than patched afterwards, in a separate layer.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl
    ```
    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update \\
     && apt-get upgrade -y \\
     && apt-get install -y --no-install-recommends curl \\
     && rm -rf /var/lib/apt/lists/*
    ```

    ## How to fix
    Upgrade in the first RUN that uses the package manager, before installing anything. Better
    still, use a base image that is rebuilt often (and rebuild your image when it is).

    ## Notes
    Only the stages that end up in the final image are checked (the final stage and the stages
    it is built FROM); builder stages ship nothing of their own. A package upgrade of only named
    packages (`yum update openssl`) is not an upgrade of the base.

    This is advice, and tools disagree. hadolint's DL3005 ("do not use apt-get upgrade or
    dist-upgrade") followed Docker's old best-practices page; Docker dropped that advice, hadolint
    narrowed DL3005 to `dist-upgrade` in 2021 and deleted it in 2023. Trivy (DS-0024) and Dockle
    (DKL-DI-0003) still flag `apt-get dist-upgrade`. This project's pillar 4 asks for packages
    to be updated first, because shipping known-fixed vulnerabilities is the larger risk than an
    upgrade that changes a package the base image pinned.
    """
    runs = dockerfile.shipped_instructions("RUN")
    used: dict[Manager, tuple[Instruction, PackageCommand]] = {}
    installs: dict[Manager, tuple[Instruction, PackageCommand]] = {}
    upgrades: dict[Manager, tuple[Instruction, PackageCommand]] = {}
    for instruction in runs:
        for pc in package_commands(instruction.script):
            if not pc.manager.is_os:
                continue
            key = family(pc.manager)
            used.setdefault(key, (instruction, pc))
            if pc.action is Action.INSTALL:
                installs.setdefault(key, (instruction, pc))
            if is_full_upgrade(pc):
                upgrades.setdefault(key, (instruction, pc))
    for key, (_, first) in used.items():
        if key not in upgrades:
            cmd = first.command
            yield ctx.finding(
                at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
                message=f"the base image's packages are never upgraded, though the image uses "
                f"{first.executable}: add `{_upgrade_advice(first)}` first",
            )
            continue
        upgrade_run, upgrade = upgrades[key]
        if key in installs:
            install_run, install = installs[key]
            if install_run.line < upgrade_run.line:
                cmd = upgrade.command
                yield ctx.finding(
                    at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
                    message=f"`{upgrade.text}` runs after packages were installed on line "
                    f"{install.command.line}: upgrade first",
                )


def _upgrade_advice(pc: PackageCommand) -> str:
    return _UPGRADE_ADVICE.get(pc.manager, f"{pc.executable} upgrade -y")
