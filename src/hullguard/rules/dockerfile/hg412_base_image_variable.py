"""HG412: a base image chosen at build time through an unresolved variable."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG412",
    name="base-image-variable",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=("cwe:829",),
    fix="give the ARG used in FROM a default naming a pinned image (`ARG BASE=python:3.12-slim`)",
)
def base_image_variable(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a `FROM` whose image reference still holds a variable once the global `ARG`
    defaults and the given build arguments are applied (`ARG BASE` with no default, then
    `FROM ${BASE}`), so the base image is only known when someone builds it.

    ## Why is this bad?
    Nobody reading or reviewing the Dockerfile can tell what it is built on, and no scanner
    can check the base's registry, tag or digest. Whoever runs the build picks the base with a
    `--build-arg`, and a forgotten argument fails the build or, with some tools, silently
    pulls something else. It also hides the base from the other base-image rules.

    ## Example
    ```dockerfile
    ARG BASE_IMAGE
    FROM ${BASE_IMAGE}
    ```
    Use instead:
    ```dockerfile
    ARG BASE_IMAGE=python:3.12-slim
    FROM ${BASE_IMAGE}
    ```

    ## How to fix
    Give every `ARG` used in a `FROM` a default that names a pinned image, declared before
    the first `FROM`. Builds that need another base can still override it.

    ## Notes
    Every stage is checked. A variable that resolves (from its default or a build argument
    passed to the scan) is not reported: the other base-image rules then judge the resolved
    reference.
    """
    for stage in dockerfile.stages:
        if stage.base_unresolved:
            yield ctx.finding(
                at=stage.from_instruction,
                message=f"{stage.label} is built FROM `{stage.base}`, which does not resolve "
                "from the ARG defaults: the base image is chosen at build time",
            )
