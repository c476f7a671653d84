"""HG401: more than one CMD or ENTRYPOINT in a stage."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG401",
    name="multiple-cmd-or-entrypoint",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL4003",
        "hadolint:DL4004",
        "trivy:DS-0016",
        "trivy:DS-0007",
        "kics:41c195f4-fc31-4a5c-8a1b-90605538d49f",
        "kics:6938958b-3f1a-451c-909b-baeee14bdc97",
    ),
    fix="keep one CMD and one ENTRYPOINT per stage; run one application per container",
)
def multiple_cmd_or_entrypoint(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a CMD or ENTRYPOINT that a later CMD or ENTRYPOINT of the same stage replaces.

    ## Why is this bad?
    Only the last CMD and the last ENTRYPOINT of a stage take effect; the earlier ones are dead
    code. Two of them usually mean that someone wanted the container to start two programs,
    which it will not: one of them silently never runs.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    CMD ["python", "worker.py"]
    CMD ["python", "web.py"]
    ```
    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    CMD ["python", "web.py"]
    ```

    ## How to fix
    Keep one CMD (and at most one ENTRYPOINT) per stage. Run a second program in its own
    container, built from the same image with a different command.

    ## Notes
    Every stage is checked: any stage can be built and run with `docker build --target`. A CMD in
    a stage that overrides the CMD inherited from the stage it is built FROM is normal and not
    reported.
    """
    for stage in dockerfile.stages:
        for keyword in ("CMD", "ENTRYPOINT"):
            found = stage.each(keyword)
            last = found[-1] if found else None
            for earlier in found[:-1]:
                assert last is not None
                yield ctx.finding(
                    at=earlier,
                    message=f"{keyword} on line {earlier.line} is replaced by the {keyword} "
                    f"on line {last.line} in {stage.label}: only the last one runs",
                )
