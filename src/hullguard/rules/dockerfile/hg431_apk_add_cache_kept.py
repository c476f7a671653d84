"""HG431: `apk add` leaves its package index and cache in the final image."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import (
    CACHE_DIRS,
    Action,
    Manager,
    cache_mounted,
    package_commands,
    removes_path,
)
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG431",
    name="apk-add-cache-kept",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3019",
        "trivy:DS-0025",
        "dockle:DKL-DI-0004",
        "kics:ae9c56a6-3ed1-4ac0-9b54-31267f51151d",
    ),
    fix="use `apk add --no-cache`",
)
def apk_add_cache_kept(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `apk add` in the stages that ship when it runs without `--no-cache` and the same RUN
    neither removes `/var/cache/apk/*` nor mounts a cache over it.

    ## Why is this bad?
    Without `--no-cache`, apk stores the repository indexes (and, where a cache is configured,
    the downloaded packages) under `/var/cache/apk`. They end up in the layer: megabytes that
    nothing at run time needs, and a stale index that tells anyone inside the container what
    could be installed.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN apk update && apk add curl
    ```
    Use instead:
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl
    ```

    ## How to fix
    Use `apk add --no-cache`: it fetches a fresh index, uses it and keeps nothing, so no
    `apk update` and no `rm -rf /var/cache/apk/*` are needed.

    ## Notes
    Only the stages that end up in the final image are checked; a builder stage's cache does not
    ship. `rm -rf /var/cache/apk/*` (or `apk cache clean`) in the same RUN, and
    `RUN --mount=type=cache,target=/var/cache/apk`, count as `--no-cache`.
    """
    for instruction in dockerfile.shipped_instructions("RUN"):
        commands = package_commands(instruction.script)
        cleaned = (
            cache_mounted(instruction, Manager.APK)
            or removes_path(instruction.script, *CACHE_DIRS[Manager.APK])
            or any(pc.manager is Manager.APK and pc.action is Action.CLEAN for pc in commands)
        )
        for pc in commands:
            if pc.manager is not Manager.APK or pc.action is not Action.INSTALL:
                continue
            if pc.has_option("--no-cache") or cleaned:
                continue
            cmd = pc.command
            yield ctx.finding(
                at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
                message="`apk add` without --no-cache keeps the package index in the image",
            )
