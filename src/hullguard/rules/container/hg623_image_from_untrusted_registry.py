"""HG623: with signed images required, a container image from outside the trusted registries."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.imageref import try_parse_image_ref
from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._signatures import policy_on, pulled_image
from hullguard.rules.dockerfile.hg410_base_image_untrusted_registry import (
    DEFAULT_TRUSTED,
    is_trusted,
    origin,
    trusted_prefixes,
)
from hullguard.spec import ContainerSpec


@rule(
    id="HG623",
    name="image-from-untrusted-registry",
    pillar=6,
    severity=Severity.MEDIUM,
    targets=(CONTAINER,),
    references=("cwe:829", "cwe:494", "cis-docker:4.2"),
    fix="run images from your own registry (mirrored after review) or from an official or "
    "vendor source, and list it in `trusted_registries` (`--trusted-registries`)",
    options={"require_signed": False, "trusted_registries": list(DEFAULT_TRUSTED)},
)
def image_from_untrusted_registry(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    When signed images are required, flags a container whose image comes from a registry or
    namespace outside the trusted list: the same list, matched the same way, as HG410 applies
    to Dockerfile base images.

    ## Why is this bad?
    A signature proves who signed an image, not that you trust them: an image from an
    arbitrary Docker Hub account or an unknown registry can carry a valid signature by its
    own publisher. The policy trusts images from registries you have chosen.

    ## Example
    ```yaml
    services:
      cache:
        image: someuser/redis:7@sha256:4b1c...e9
    ```
    Use instead:
    ```yaml
    services:
      cache:
        image: redis:7@sha256:4b1c...e9
    ```

    ## How to fix
    Run official or vendor images, or mirror what you need into a registry you control after
    review, and list that registry in `trusted_registries` (`--trusted-registries
    registry.example.com/mirror`).

    ## Options
    `require_signed` (bool, default false): set by `--require-signed` or the `[signatures]`
    table; without it the rule is silent.
    `trusted_registries` (list of strings): as HG410's, whose default it shares;
    `--trusted-registries` sets both.

    ## Notes
    A compose service that builds its image is not checked, nor a reference holding an
    unresolved variable.
    """
    if not policy_on(ctx):
        return
    image = pulled_image(spec)
    ref = try_parse_image_ref(image) if image is not None else None
    if ref is None or spec.image is None:
        return
    if is_trusted(ref, trusted_prefixes(ctx.options.get("trusted_registries"))):
        return
    yield ctx.finding(
        at=spec.image,
        message=f"{spec.name} runs `{image}` from {origin(ref)}, which is not a trusted registry",
        resource=spec.resource,
    )
