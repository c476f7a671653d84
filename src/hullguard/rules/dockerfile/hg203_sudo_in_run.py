"""HG203: sudo in a RUN of the shipped stages."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG203",
    name="sudo-in-run",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3004",
        "checkov:CKV2_DOCKER_1",
        "trivy:DS-0010",
        "dockle:DKL-DI-0001",
        "kics:8ada6e80-0ade-439e-b176-0b28f6bce35a",
        "cwe:250",
    ),
    fix="run the privileged steps before `USER` (as root) and drop sudo from the image",
)
def sudo_in_run(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `sudo` in a `RUN` of a stage that ends up in the final image, wherever it sits in
    the command line (`RUN sudo apt-get install ...`, `... && sudo chown ...`, inside
    `sh -c "..."`).

    ## Why is this bad?
    `RUN` already runs as the user of the last `USER`, so a build that needs sudo has switched
    to an unprivileged user and then climbs back to root. For that to work the image must
    ship sudo together with a password-less sudoers rule, which hands root to any process
    that later runs in the container as that user: the `USER` buys nothing. sudo also
    behaves badly without a TTY (signals, environment reset, `requiretty`).

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    USER app
    RUN sudo apt-get update && sudo apt-get install -y curl
    ```
    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl
    USER app
    ```

    ## How to fix
    Order the Dockerfile so that steps needing root run before the `USER` switch (or switch
    with `USER root` and back), and remove sudo and its sudoers entries from the image. To
    run a process under another user at container start, use `gosu` or `setpriv`, which drop
    privileges instead of raising them.

    ## Notes
    Looks at the stages that end up in the final image. A builder stage that uses sudo ships
    neither sudo nor its sudoers rule, so it is not reported.
    """
    seen: set[tuple[int, int]] = set()
    for instruction in dockerfile.shipped_instructions("RUN"):
        if instruction.script is None:
            continue
        for command in instruction.script.named("sudo"):
            if (command.line, command.column) in seen:
                continue
            seen.add((command.line, command.column))
            shown = " ".join(command.argv[:3])
            yield ctx.finding(
                at=Location(path=ctx.path, line=command.line, column=command.column),
                message=f"RUN uses sudo: `{shown}`",
            )
