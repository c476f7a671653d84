"""The signature policy's verdicts: what `--require-signed` learns about each image, as data.

The rules never use the network, so the engine asks a Verifier about every image reference a
container names before the rules run, and stores the verdict on the ContainerSpec:

- `verified`: a signature on the digest verifies with the key, or is a keyless signature
  from the configured identity that verifies against the trusted root;
- `invalid: <reason>`: the registry answered and no signature verifies (none found, a bad
  one, the image is not there), or the digest is malformed;
- `unverified: <reason>`: no public key or trusted root to verify with (or it cannot be read);
- `unreachable: <reason>`: the registry could not be asked.

Only references pinned by a sha256 digest are verified (the others are HG620's). Each distinct
reference is verified once; each request has a timeout and each verification the registry
client's overall deadline, and a registry that fails once is not asked again in the run.
Keyless signatures are verified when `[signatures]` names a trusted root, the certificate
identity (or its pattern) and the OIDC issuer (`keyless_policy`).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from hullguard.config import SignaturePolicy
from hullguard.image.registry import RegistryOptions
from hullguard.imageref import ImageRefError, parse_image_ref
from hullguard.signing.keyless import IdentityPolicy, KeylessPolicy
from hullguard.signing.keys import KeyProblem, load_public_key
from hullguard.signing.trustroot import TrustRootProblem, load_trusted_root
from hullguard.signing.verify import verify_image

REGISTRY_TIMEOUT = 10.0
MAX_KEY_BYTES = 1024 * 1024
MAX_REASONS = 3
VERIFIED = "verified"


def is_pinned(image: str) -> bool:
    """Whether a reference names its image by a sha256 digest."""
    return "@sha256:" in image


class Verifier:
    """Verdicts for image references, one verification per distinct reference."""

    def __init__(self, policy: SignaturePolicy, timeout: float = REGISTRY_TIMEOUT) -> None:
        self.key: ec.EllipticCurvePublicKey | None = None
        self.key_problem: str | None = None
        if policy.key:
            try:
                with open(policy.key, "rb") as handle:
                    pem = handle.read(MAX_KEY_BYTES)
                self.key = load_public_key(pem, what=policy.key)
            except OSError as exc:
                self.key_problem = f"signatures: key {policy.key}: {exc.strerror}"
            except KeyProblem as exc:
                self.key_problem = f"signatures: {exc}"
        self.keyless: KeylessPolicy | None = None
        if policy.trusted_root:
            try:
                self.keyless = keyless_policy(policy)
            except (TrustRootProblem, ValueError) as exc:
                self.key_problem = f"signatures: {exc}"
        self.options = RegistryOptions(
            insecure_registries=frozenset(policy.insecure_registries), timeout=timeout
        )
        self._verdicts: dict[str, str | None] = {}
        self._failed: dict[str, str] = {}  # registry -> why it could not be asked

    def verdict(self, image: str) -> str | None:
        """The verdict on `image`, or None when it is not checked (not pinned by sha256, or
        it holds an unresolved variable)."""
        text = image.strip()
        if text not in self._verdicts:
            self._verdicts[text] = self._judge(text)
        return self._verdicts[text]

    def _judge(self, text: str) -> str | None:
        if "@" not in text or "$" in text:
            return None
        try:
            ref = parse_image_ref(text)
        except ImageRefError as exc:
            return f"invalid: the digest reference cannot be used: {exc}"
        if ref.digest is None or not ref.digest.startswith("sha256:"):
            return None
        if self.key is None and self.keyless is None:
            why = self.key_problem or (
                "no public key given (`--key`, or `key` in [signatures]) and no trusted root "
                "for keyless signatures (`trusted-root` in [signatures])"
            )
            return f"unverified: offline: {why}"
        if ref.registry in self._failed:
            return f"unreachable: {self._failed[ref.registry]} (not asked again in this run)"
        result = verify_image(text, self.key, self.options, self.keyless)
        if result.verified:
            return VERIFIED
        if result.digest is None:
            problem = "; ".join(result.problems) or "no answer"
            if "no such image or tag" in problem:
                return f"invalid: {problem}"
            self._failed[ref.registry] = problem
            return f"unreachable: {problem}"
        reasons = [s.reason for s in result.signatures if not s.valid] + result.problems
        return "invalid: " + ("; ".join(reasons[:MAX_REASONS]) or "no valid signature")


def keyless_policy(policy: SignaturePolicy) -> KeylessPolicy | None:
    """The keyless policy the signature settings describe (None without a trusted root);
    TrustRootProblem or ValueError when it cannot be used."""
    if not policy.trusted_root:
        return None
    if not policy.certificate_oidc_issuer:
        raise ValueError("a trusted root needs the OIDC issuer (certificate-oidc-issuer)")
    identity = IdentityPolicy(
        policy.certificate_oidc_issuer,
        policy.certificate_identity,
        policy.certificate_identity_regexp,
    )
    return KeylessPolicy(load_trusted_root(policy.trusted_root), identity)
