"""HG611: a pipeline pushes an image and never signs it."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import PIPELINE, Context, rule
from hullguard.rules.pipeline._steps import job_location, signs
from hullguard.sources.ci import Pipeline


@rule(
    id="HG611",
    name="image-pushed-without-signature",
    pillar=6,
    severity=Severity.MEDIUM,
    targets=(PIPELINE,),
    references=("cwe:345", "cwe:494"),
    fix="sign what the pipeline pushes (cosign sign, notation sign, hullguard sign) by digest, "
    "and verify the signature where the image is deployed",
)
def image_pushed_without_signature(pipeline: Pipeline, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each job that pushes an image (`docker push`, `docker buildx build --push`,
    `docker/build-push-action` with `push` not `false`, kaniko without `--no-push`,
    `buildah push`, `podman push`, `ko build`, jib's `jib:build`, `crane push`,
    `skopeo copy` to `docker://`) in a pipeline where no job signs an image: `cosign sign`,
    `notation sign`, `hullguard sign`, `docker trust sign` or the
    `notaryproject/notation-action/sign` action. Installing cosign
    (`sigstore/cosign-installer`) is not signing: a `cosign sign` step must follow. In
    Jenkinsfiles, an image's `.push()` (Docker Pipeline plugin) is a push too. The finding is
    on the job's first push.

    ## Why is this bad?
    Without a signature the cluster cannot tell the image this pipeline built from one pushed
    by anyone else who holds, or steals, the registry credentials. Signing in the pipeline,
    and verifying at deploy time, ties what runs to the build that produced it.

    ## Example
    ```yaml
    release:
      image: gcr.io/kaniko-project/executor:v1.23.2-debug
      script:
        - /kaniko/executor --context "$CI_PROJECT_DIR"
          --destination "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG"
    ```
    Use instead:
    ```yaml
    release:
      image: gcr.io/kaniko-project/executor:v1.23.2-debug
      script:
        - /kaniko/executor --context "$CI_PROJECT_DIR"
          --destination "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG" --digest-file digest
    sign:
      image: cgr.dev/chainguard/cosign:latest-dev
      needs: [release]
      script:
        - cosign sign --yes "$CI_REGISTRY_IMAGE@$(cat digest)"
    ```

    ## How to fix
    After the push, sign the pushed digest (not the tag) with cosign (keyless or with a key),
    notation or `hullguard sign`, in the same pipeline; then verify signatures where images
    are admitted. Signing done in another pipeline file is not seen: this rule reads one
    file at a time.
    """
    if signs(pipeline):
        return
    for job in pipeline.jobs:
        location = job_location(pipeline, job, "push")
        if location is not None:
            yield ctx.finding(
                at=location,
                message=f"job `{job.name}` pushes an image but the pipeline never signs one",
                resource=job.name,
            )
