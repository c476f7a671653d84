"""HG444: the image has no HEALTHCHECK."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE, Context, rule
from hullguard.spec import ImageSpec


@rule(
    id="HG444",
    name="healthcheck-missing",
    pillar=4,
    severity=Severity.LOW,
    targets=(IMAGE,),
    references=(
        "hadolint:DL3057",
        "checkov:CKV_DOCKER_2",
        "trivy:DS-0026",
        "dockle:CIS-DI-0006",
        "cis-docker:4.6",
        "kics:b03a748a-542d-44f4-bb86-9199ab4fd2d5",
    ),
    fix="add `HEALTHCHECK CMD <command that fails when the application is unhealthy>`",
)
def healthcheck_missing(spec: ImageSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a final image with no HEALTHCHECK, or with `HEALTHCHECK NONE`.

    ## Why is this bad?
    Without a health check the engine knows only whether the process runs, not whether it
    works. A hung server, a deadlocked worker or an application stuck without its database
    keeps receiving traffic and is never restarted; `depends_on: condition: service_healthy` in
    compose cannot wait for it either.

    ## Example
    ```dockerfile
    FROM nginx:1.27-alpine
    COPY site/ /usr/share/nginx/html/
    ```
    Use instead:
    ```dockerfile
    FROM nginx:1.27-alpine
    COPY site/ /usr/share/nginx/html/
    HEALTHCHECK --interval=30s --timeout=3s CMD wget -q --spider http://127.0.0.1/ || exit 1
    ```

    ## How to fix
    Add a HEALTHCHECK that exercises the application cheaply (a `/healthz` endpoint, a ping
    command) and exits non-zero when it is unhealthy.

    ## Notes
    The final image counts, with the stages it is built FROM. A HEALTHCHECK that the base
    image itself defines cannot be seen from the Dockerfile, so such an image is reported too;
    Kubernetes ignores HEALTHCHECK and uses probes, so there the finding can be suppressed.
    """
    if spec.healthcheck is None:
        yield ctx.finding(
            at=spec.anchor,
            message="no HEALTHCHECK in the final image: nothing checks that the application works",
        )
    elif spec.healthcheck.value == ("NONE",):
        yield ctx.finding(
            at=spec.healthcheck, message="HEALTHCHECK NONE turns the base image's health check off"
        )
