"""HG433: `pip install` keeps its download cache in the final image."""

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
from hullguard.sources.dockerfile import Dockerfile, Stage
from hullguard.sources.shell import Script

_SETTING = "PIP_NO_CACHE_DIR"


@rule(
    id="HG433",
    name="pip-cache-kept",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=("hadolint:DL3042", "kics:f2f903fb-b977-461e-98d7-b3e2185c6118"),
    fix="use `pip install --no-cache-dir`, or set `ENV PIP_NO_CACHE_DIR=1`",
)
def pip_cache_kept(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `pip install` (and `python -m pip install`) in the stages that ship when pip's cache
    is on: no `--no-cache-dir`, no `PIP_NO_CACHE_DIR` in the environment, no cache mount.

    ## Why is this bad?
    pip keeps every wheel and source archive it downloads under `~/.cache/pip`. In an image that
    cache is never read again: it only makes the layer larger, often by more than the installed
    packages themselves.

    ## Example
    ```dockerfile
    RUN pip install -r requirements.txt
    ```
    Use instead:
    ```dockerfile
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## How to fix
    Add `--no-cache-dir`, or set `ENV PIP_NO_CACHE_DIR=1` once, or mount a build cache over
    pip's cache: `RUN --mount=type=cache,target=/root/.cache/pip pip install ...`.

    ## Notes
    Only the stages that end up in the final image are checked; a builder stage's cache does not
    ship. `PIP_NO_CACHE_DIR` counts from an ENV or ARG of the stage (or the stages it is built
    FROM) before the RUN, or inline (`PIP_NO_CACHE_DIR=1 pip install ...`). `pip cache purge` or
    `rm -rf ~/.cache/pip` in the same RUN count as well.
    """
    for stage in dockerfile.stages:
        if not stage.in_final_image:
            continue
        disabled = _set_by_ancestors(dockerfile, stage)
        for instruction in stage.instructions:
            if instruction.keyword in ("ENV", "ARG"):
                disabled = disabled or any(p.key == _SETTING and p.value for p in instruction.pairs)
                continue
            if instruction.keyword != "RUN" or disabled:
                continue
            commands = package_commands(instruction.script)
            cleaned = (
                cache_mounted(instruction, Manager.PIP)
                or removes_path(instruction.script, *CACHE_DIRS[Manager.PIP])
                or any(pc.manager is Manager.PIP and pc.action is Action.CLEAN for pc in commands)
                or _exported(instruction.script)
            )
            for pc in commands:
                if pc.manager is not Manager.PIP or pc.action is not Action.INSTALL:
                    continue
                if cleaned or pc.has_option("--no-cache-dir"):
                    continue
                if any(a.startswith(_SETTING + "=") for a in pc.command.assignments):
                    continue
                cmd = pc.command
                yield ctx.finding(
                    at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
                    message=f"`{pc.text}` without --no-cache-dir keeps pip's download cache "
                    f"in the image",
                )


def _set_by_ancestors(dockerfile: Dockerfile, stage: Stage) -> bool:
    """True when a stage that `stage` is built FROM sets PIP_NO_CACHE_DIR in its ENV."""
    seen: set[int] = set()
    parent = stage.base_stage
    while parent is not None and parent not in seen:
        seen.add(parent)
        ancestor = dockerfile.stages[parent]
        for instruction in ancestor.each("ENV"):
            if any(p.key == _SETTING and p.value for p in instruction.pairs):
                return True
        parent = ancestor.base_stage
    return False


def _exported(script: Script | None) -> bool:
    if script is None:
        return False
    return any(any(a.startswith(_SETTING + "=") for a in c.args) for c in script.named("export"))
