"""What the signature rules (HG620-HG623) share: when the policy is on, which images count."""

from __future__ import annotations

from hullguard.registry import Context
from hullguard.spec import ContainerSpec


def policy_on(ctx: Context) -> bool:
    """The signature rules stay silent unless `require_signed` is set (`--require-signed`,
    `[signatures] require = true`)."""
    return bool(ctx.options.get("require_signed"))


def pulled_image(spec: ContainerSpec) -> str | None:
    """The image a container pulls, or None: none named, one the compose service builds
    itself, or a reference still holding a variable."""
    if spec.image is None or spec.build_context is not None:
        return None
    text = spec.image.value.strip()
    if not text or "$" in text:
        return None
    return text
