"""HG446: WORKDIR with a relative path."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile

_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


@rule(
    id="HG446",
    name="relative-workdir",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3000",
        "checkov:CKV_DOCKER_10",
        "trivy:DS-0009",
        "kics:6b376af8-cfe8-49ab-a08d-f32de23661a4",
    ),
    fix="give WORKDIR an absolute path: `WORKDIR /app`",
)
def relative_workdir(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a WORKDIR whose path is relative.

    ## Why is this bad?
    A relative WORKDIR is resolved against the previous one, which may be set by the base image
    and change when the base image does. Files then land, and commands then run, somewhere else
    than the author thought: a COPY that overwrites system files or a CMD that no longer finds
    its program.

    ## Example
    ```dockerfile
    WORKDIR app
    ```
    Use instead:
    ```dockerfile
    WORKDIR /app
    ```

    ## How to fix
    Write the full path, starting with `/` (or a drive letter on Windows images).

    ## Notes
    Every stage is checked. A path that starts with a variable (`WORKDIR $HOME/app`) is taken
    as absolute: the variable usually holds an absolute path.
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword != "WORKDIR":
            continue
        path = instruction.value.strip().strip("\"'")
        if not path or path.startswith(("/", "$")) or _WINDOWS_ABSOLUTE.match(path):
            continue
        yield ctx.finding(at=instruction, message=f"WORKDIR `{path}` is a relative path")
