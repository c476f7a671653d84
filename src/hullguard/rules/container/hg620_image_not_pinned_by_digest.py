"""HG620: with signed images required, an image referenced by tag rather than by digest."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._signatures import policy_on, pulled_image
from hullguard.signing.policy import is_pinned
from hullguard.spec import ContainerSpec


@rule(
    id="HG620",
    name="image-not-pinned-by-digest",
    pillar=6,
    severity=Severity.MEDIUM,
    targets=(CONTAINER,),
    references=("cwe:494", "cwe:829", "cis-docker:4.5"),
    fix="reference the image by digest (`image: registry/app:1.4@sha256:...`), the digest "
    "of the image you verified",
    options={"require_signed": False},
)
def image_not_pinned_by_digest(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    When signed images are required (`--require-signed`, `[signatures] require = true`),
    flags a container whose image is referenced without a `@sha256:` digest: compose
    services, Kubernetes containers, `docker run` lines and running containers.

    ## Why is this bad?
    A tag is a pointer the registry lets anyone with push rights move. A signature is made
    over a digest: verifying "the image behind `app:1.4`" today says nothing about what the
    tag names when the container is next pulled. Only a digest reference runs exactly the
    image that was verified.

    ## Example
    ```yaml
    services:
      api:
        image: registry.example.com/shop/api:1.4
    ```
    Use instead:
    ```yaml
    services:
      api:
        image: registry.example.com/shop/api:1.4@sha256:4b1c...e9
    ```

    ## How to fix
    Resolve the tag to its digest (`docker buildx imagetools inspect`, `crane digest`,
    `skopeo inspect`), verify that digest's signature, and write it into the reference. Let
    a bot (Renovate, Dependabot) update digests through reviewed changes.

    ## Options
    `require_signed` (bool, default false): set by `--require-signed` or the `[signatures]`
    table; without it the rule is silent.

    ## Notes
    A compose service that builds its image (`build:`) is not checked: the image is made
    locally, not pulled. References holding an unresolved variable are skipped.
    """
    if not policy_on(ctx):
        return
    image = pulled_image(spec)
    if image is None or is_pinned(image):
        return
    assert spec.image is not None
    yield ctx.finding(
        at=spec.image,
        message=f"{spec.name} runs `{image}`, which is not pinned by digest (`@sha256:`): "
        "its signature cannot be required",
        resource=spec.resource,
    )
