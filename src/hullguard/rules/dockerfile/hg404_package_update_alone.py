"""HG404: a RUN that refreshes the package index without installing anything."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import Action, package_commands, same_family
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG404",
    name="package-update-alone",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=(
        "cis-docker:4.7",
        "checkov:CKV_DOCKER_5",
        "trivy:DS-0017",
        "dockle:CIS-DI-0007",
        "kics:9bae49be-0aa3-4de5-bab2-4c3a069e40cd",
    ),
    fix="refresh the index and install in the same RUN: `apt-get update && apt-get install ...`",
)
def package_update_alone(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a RUN that refreshes the package index (`apt-get update`, `apk update`,
    `yum makecache`, `dnf makecache`, `zypper refresh`) but installs or upgrades nothing with it.

    ## Why is this bad?
    The build cache keeps that RUN's layer as long as its text does not change. A later RUN that
    installs packages then works from an index that can be weeks old: it installs outdated,
    vulnerable versions, or fails when the mirror has dropped them. The refresh only helps when
    it runs in the same RUN as the install.

    ## Example
    ```dockerfile
    RUN apt-get update
    RUN apt-get install -y --no-install-recommends curl
    ```
    Use instead:
    ```dockerfile
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends curl \\
     && rm -rf /var/lib/apt/lists/*
    ```

    ## How to fix
    Join the index refresh and the install (or upgrade) into one RUN.

    ## Notes
    Every stage is checked: a stale index in a builder stage builds the application against
    outdated packages just as well. `yum update` and `dnf update` upgrade packages, so they are
    not a refresh alone.
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword != "RUN":
            continue
        commands = package_commands(instruction.script)
        for refresh in commands:
            if refresh.action is not Action.UPDATE:
                continue
            used = any(
                other.action in (Action.INSTALL, Action.UPGRADE)
                and same_family(other.manager, refresh.manager)
                for other in commands
            )
            if not used:
                cmd = refresh.command
                yield ctx.finding(
                    at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
                    message=f"`{refresh.text}` alone in a RUN: the index it fetches is cached "
                    f"with the layer and goes stale for later installs",
                )
