"""HG621: with signed images required, no signature on the image verifies with the key."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._signatures import policy_on
from hullguard.spec import ContainerSpec


@rule(
    id="HG621",
    name="image-signature-invalid",
    pillar=6,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=("cwe:347", "cwe:494", "cis-docker:4.5"),
    fix="sign the image's digest with the trusted key (`hullguard sign --key cosign.key REF`, "
    "`cosign sign`), or stop running an image nobody vouches for",
    options={"require_signed": False},
)
def image_signature_invalid(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    When signed images are required (`--require-signed --key cosign.pub`, or a Sigstore
    trusted root with the signer's identity in `[signatures]` or `--trusted-root`,
    `--certificate-identity[-regexp]` and `--certificate-oidc-issuer`), flags a container whose
    image, pinned by digest, has no signature that verifies: none at all, one by another key,
    one over another digest, a tampered payload, a keyless signature from another identity
    or OIDC issuer, a certificate from an unknown CA or expired when it was logged, a
    certificate without a valid SCT from a CT log of the trusted root, a bad log
    timestamp (SET), an image the registry does not have, or a malformed digest. Signatures
    are looked for where cosign keeps them (the `sha256-<hex>.sig` tag, Sigstore bundles
    among the referrers); the message gives the reasons.

    ## Why is this bad?
    A signature is how whoever builds an image vouches for it. An image without one that
    verifies may have been pushed by anyone with write access to the registry, or replaced
    on the way: exactly what the policy exists to keep from running.

    ## Example
    ```yaml
    services:
      api:
        image: registry.example.com/shop/api@sha256:4b1c...e9   # never signed
    ```
    Use instead: the same reference, after `cosign sign --key cosign.key` (or `hullguard
    sign`) on that digest in the release pipeline.

    ## How to fix
    Sign images where they are built, with the key whose public half the policy uses, and
    reference them by the signed digest. If the signature is there but does not verify,
    check that the key is the right one and that the reference names the digest that was
    signed.

    ## Options
    `require_signed` (bool, default false): set by `--require-signed` or the `[signatures]`
    table; without it the rule is silent.

    ## Notes
    The registry is asked before the rules run, once per distinct reference; a registry that
    cannot be reached is HG622's, not a finding here. Keyless (Fulcio certificate) signatures
    are verified offline against `trusted-root` (Sigstore's `trusted_root.json`) with
    `certificate-identity` (or `certificate-identity-regexp`) and `certificate-oidc-issuer`
    (the command-line options of the same names replace them), the certificate's embedded SCT
    against the trusted root's CT logs; without a trusted root they are reported as present
    but not verified offline.
    """
    if not policy_on(ctx) or spec.signature is None:
        return
    verdict = spec.signature.value
    if not verdict.startswith("invalid:"):
        return
    image = spec.image.value if spec.image is not None else "its image"
    yield ctx.finding(
        at=spec.signature,
        message=f"{spec.name} runs `{image}`, which has no valid signature: "
        f"{verdict.removeprefix('invalid:').strip()}",
        resource=spec.resource,
    )
