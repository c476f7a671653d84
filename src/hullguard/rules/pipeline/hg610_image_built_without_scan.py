"""HG610: a pipeline builds or pushes an image and never scans it for vulnerabilities."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import PIPELINE, Context, rule
from hullguard.rules.pipeline._steps import job_location, scans
from hullguard.sources.ci import Pipeline


@rule(
    id="HG610",
    name="image-built-without-scan",
    pillar=6,
    severity=Severity.MEDIUM,
    targets=(PIPELINE,),
    references=("cwe:1395", "cwe:1104"),
    fix="scan the image the pipeline builds (trivy image, grype, hullguard image, "
    "snyk container test, docker scout cves) and fail the job on serious findings",
)
def image_built_without_scan(pipeline: Pipeline, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each job that builds or pushes a container image (`docker build`, `docker push`,
    `docker buildx build`, `docker/build-push-action`, kaniko's `/kaniko/executor`,
    `buildah bud`/`push`, `podman build`/`push`, `ko build`, jib's `jib:build` or gradle
    `jib`, `crane push`) in a pipeline where no job scans an image for known
    vulnerabilities: `trivy image` (or `fs`, `rootfs`, `sbom`), `grype`, `hullguard image`,
    `snyk container`, `docker scout cves`, the `aquasecurity/trivy-action`,
    `anchore/scan-action`, `snyk/actions/docker` or `docker/scout-action` (with `cves`)
    actions, or GitLab's included Container-Scanning template. In Jenkinsfiles, the `sh`
    steps of each stage count, and so do the Docker Pipeline plugin's `docker.build(...)` and
    an image's `.push()`. The finding is on the job's first build or push step.

    ## Why is this bad?
    The pipeline is the last place an image passes before it runs. Without a scan there, a
    base image or package with a known, fixed vulnerability goes to the registry and to
    production unnoticed, and nobody learns which deployed images need a rebuild.

    ## Example
    ```yaml
    jobs:
      image:
        runs-on: ubuntu-24.04
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
          - run: docker build -t registry.example.com/shop/api:${{ github.sha }} .
    ```
    Use instead:
    ```yaml
          - run: docker build -t registry.example.com/shop/api:${{ github.sha }} .
          - run: trivy image --exit-code 1 --severity HIGH,CRITICAL \
              registry.example.com/shop/api:${{ github.sha }}
    ```

    ## How to fix
    Add a scan of the built image, in the same job or a later one of the same pipeline, that
    fails on the severities you do not accept. A scan in another pipeline file is not seen:
    this rule reads one file at a time.
    """
    if scans(pipeline):
        return
    for job in pipeline.jobs:
        location = job_location(pipeline, job, "build")
        if location is not None:
            yield ctx.finding(
                at=location,
                message=f"job `{job.name}` builds an image but the pipeline never scans one "
                "for vulnerabilities",
                resource=job.name,
            )
