"""HG202: the image runs as root."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.predicates import is_root_user
from hullguard.registry import IMAGE, Context, rule
from hullguard.spec import ImageSpec


@rule(
    id="HG202",
    name="runs-as-root",
    pillar=2,
    severity=Severity.HIGH,
    targets=(IMAGE,),
    references=(
        "hadolint:DL3002",
        "checkov:CKV_DOCKER_3",
        "checkov:CKV_DOCKER_8",
        "trivy:DS-0002",
        "dockle:CIS-DI-0001",
        "cis-docker:4.1",
        "kics:67fd0c4a-68cf-46d7-8c41-bc9fba7e40ae",
        "kics:fd54f200-402c-4333-a5a4-36ef6709af2f",
        "cwe:250",
    ),
    fix="create an unprivileged user and end the final stage with `USER <uid>:<gid>`",
)
def runs_as_root(spec: ImageSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags an image whose effective user is root: set explicitly (`USER root`, `USER 0`,
    `USER 0:0`, `USER root:app`) or left at the default, when no `USER` is written anywhere
    in the final stage's chain and the base image is not known to default to a non-root user.

    ## Why is this bad?
    A process that runs as UID 0 in a container is root on the host's kernel, held back only
    by namespaces, capabilities and seccomp. Any kernel or runtime escape, any writable host
    mount and any mounted socket then belongs to root. Running as an ordinary user costs
    nothing for most services and turns many escapes into dead ends.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY app /app
    CMD ["python", "/app/main.py"]
    ```
    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    RUN useradd --system --uid 10001 --no-create-home app
    COPY --chown=app app /app
    USER 10001
    CMD ["python", "/app/main.py"]
    ```

    ## How to fix
    Create a dedicated user (or use the one the base image provides, such as `nobody` or
    `65532` in distroless) and make `USER` with a numeric UID the last user switch of the
    final stage. Do the work that needs root before it.

    ## Notes
    Looks at the final image only: the final stage and the stages it is built FROM, where
    the last `USER` wins. Builder stages may run as root; nothing of their user ships.
    The message names every link that decided the user (each FROM and the USER, or the base
    image's known default from `data/nonroot_images.toml`). `USER 1000:0` (root group only)
    is not root. A `USER` holding an unresolved variable is not reported.
    """
    if not is_root_user(spec.user.value):
        return
    how = f"USER {spec.user.value}" if spec.user_explicit else "no USER"
    yield ctx.finding(
        at=spec.user,
        message=f"the image runs as root ({how}): " + " → ".join(spec.user_chain),
        chain=spec.user_chain,
    )
