"""HG205: world-writable file modes set in the shipped stages."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.filemodes import ModeChange, shipped_mode_changes
from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG205",
    name="world-writable-permissions",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("cwe:732", "cwe:276"),
    fix="grant write access to the owning user or group only (`chown app` and `chmod 755`/"
    "`644`, or `770` with a shared group)",
)
def world_writable_permissions(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a file mode that lets every user write, in a stage that ends up in the final image:
    `chmod 777`/`666`/`o+w`/`a+w` (also `-R 777`) in `RUN`, `install -m 666`, `mkdir -m 777`,
    and `COPY`/`ADD --chmod=777`.

    ## Why is this bad?
    World-writable files let any process in the container, whatever user it runs as, change
    them: replace a script the entrypoint runs, a library on the load path or a config the
    service trusts. That turns a compromise of the least privileged process into control of
    the service, and defeats the point of running it under its own user. `chmod -R 777` is
    usually a shortcut around an ownership problem that `chown` solves properly.

    ## Example
    ```dockerfile
    FROM node:22-slim
    COPY . /app
    RUN chmod -R 777 /app
    USER node
    ```
    Use instead:
    ```dockerfile
    FROM node:22-slim
    COPY --chown=node:node . /app
    USER node
    ```

    ## How to fix
    Give the files to the user that must write them (`COPY --chown`, `chown`) and keep modes
    at `755`/`644`; where several users must write, use a shared group and `770`/`660`. Keep
    writable data in a volume rather than in the image.

    ## Notes
    Looks at the stages that end up in the final image; builder stages do not ship their
    modes (except through files copied out of them, which this rule cannot follow). A mode
    with the sticky bit (`1777`, `a+rwx,o+t`), the standard for shared directories such as
    `/tmp`, is not reported: there users cannot remove or replace each other's files. `chmod
    +w` without `o`/`a` is not world-writable under the default umask. A mode held in a
    variable is not judged.
    """
    for change, at in shipped_mode_changes(dockerfile, ctx.path):
        if _world_writable(change):
            yield ctx.finding(at=at, message=_message(change.written, change))


def _world_writable(change: ModeChange) -> bool:
    return change.bits.world_writable and not change.bits.sticky


def _message(tool: str, change: ModeChange) -> str:
    recursive = " recursively" if change.recursive else ""
    return f"`{tool}` makes {change.describe_targets()} world-writable{recursive}"
