"""HG413: a tagged base image that is not pinned by digest."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile.hg411_base_image_mutable_tag import MUTABLE_TAG
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG413",
    name="base-image-not-pinned-by-digest",
    pillar=4,
    severity=Severity.INFO,
    targets=(DOCKERFILE,),
    references=("cwe:494",),
    fix="append the digest of the tag you tested: `FROM image:tag@sha256:<digest>`",
)
def base_image_not_pinned_by_digest(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises pinning a base image by digest when a `FROM` names it by tag only
    (`python:3.12-slim` rather than `python:3.12-slim@sha256:...`), in any stage.

    ## Why is this bad?
    A tag is a pointer the publisher (or anyone who takes over the account or the registry)
    can move: even `3.12.4-slim` is rebuilt and re-pushed. Without the digest the build pulls
    whatever the tag points to on the day, so two builds of the same commit can differ and a
    malicious push is picked up silently. A digest names exactly one image.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    ```
    Use instead:
    ```dockerfile
    FROM python:3.12-slim@sha256:<digest of the image you tested>
    ```

    ## How to fix
    Append the digest of the image you tested (`docker buildx imagetools inspect
    python:3.12-slim` prints it), keep the tag for readers, and let a dependency bot update
    both together.

    ## Notes
    This is advice (severity info): pinning trades automatic security updates of the base for
    reproducibility, so pair it with a bot that proposes new digests. Untagged and `latest`
    references are reported by HG411 instead; `scratch`, earlier stages and unresolved
    variables are skipped.
    """
    for stage in dockerfile.stages:
        ref = stage.base_ref
        if ref is None or ref.digest is not None or ref.tag in (None, MUTABLE_TAG):
            continue
        yield ctx.finding(
            at=stage.from_instruction,
            message=f"{stage.label} uses `{stage.base}` by tag only, without a digest",
        )
