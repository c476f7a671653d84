"""HG622: with signed images required, a pinned image whose signature could not be checked."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._signatures import policy_on
from hullguard.spec import ContainerSpec


@rule(
    id="HG622",
    name="image-signature-unverified",
    pillar=6,
    severity=Severity.INFO,
    targets=(CONTAINER,),
    references=("cwe:347", "cis-docker:4.5"),
    fix="run the scan where the registry is reachable, with `--key` naming the public key "
    "(and the registry's credentials in the Docker config)",
    options={"require_signed": False},
)
def image_signature_unverified(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    When signed images are required, reports a container whose image is pinned by digest
    but whose signature could not be checked: the registry could not be reached (offline,
    a timeout or the overall deadline, refused credentials), or there was no public key or
    trusted root to check it with (or it could not be read).

    ## Why is this bad?
    It is not bad in itself: the digest pins the image, so whatever runs is what the digest
    names. But nothing in this scan says the digest was ever signed, so the policy is not
    enforced for it.

    ## Example
    ```yaml
    services:
      api:
        image: registry.internal.example/shop/api@sha256:4b1c...e9   # not reachable from CI
    ```
    Use instead: the same reference, scanned where `registry.internal.example` answers.

    ## How to fix
    Run the scan with network access to the registry and the public key (`--key
    cosign.pub`), or check the signature where the image is deployed (an admission
    controller, `hullguard verify`).

    ## Options
    `require_signed` (bool, default false): set by `--require-signed` or the `[signatures]`
    table; without it the rule is silent.

    ## Notes
    Information only. Each request to a registry has a timeout, each verification an
    overall deadline (`HULLGUARD_REGISTRY_DEADLINE`, 120 s by default) that a registry
    answering a byte at a time cannot outlast, and a registry that fails once is not asked
    again in the same run, so every later image it holds is reported here with the first
    failure's reason.
    """
    if not policy_on(ctx) or spec.signature is None:
        return
    verdict = spec.signature.value
    if not verdict.startswith(("unverified:", "unreachable:")):
        return
    image = spec.image.value if spec.image is not None else "its image"
    reason = verdict.partition(":")[2].strip()
    yield ctx.finding(
        at=spec.signature,
        message=f"{spec.name} runs `{image}`, pinned by digest, but its signature was not "
        f"checked: {reason}",
        resource=spec.resource,
    )
