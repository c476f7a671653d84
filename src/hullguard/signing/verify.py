"""Verifying an image's signatures, offline: with a public key, or keyless against a trusted
root.

Signatures are looked for where cosign keeps them: the layers of the `sha256-<hex>.sig`
manifest (a simple-signing payload blob, its signature in an annotation), and, through the
OCI 1.1 referrers API, Sigstore bundles attached to the image. Each is reported with whether it
is valid and why not: the payload is not JSON or names another digest, the signature does not
verify with the key, the annotation is missing or too large. Sigstore bundles are verified when
they hold a DSSE envelope whose in-toto statement names the image.

Keyless signatures (a layer with cosign's `dev.sigstore.cosign/certificate` annotation, its
log entry in `dev.sigstore.cosign/bundle`; a bundle whose verification material is a
certificate) are verified by `keyless.verify_keyless` when a `KeylessPolicy` (trusted root,
identity, OIDC issuer) is given, and otherwise reported as present but not verified offline.
Registry failures are reported, never raised.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hullguard.image.registry import OCI_MANIFEST, RegistryError, RegistryOptions
from hullguard.signing.keyless import (
    KeylessPolicy,
    KeylessProblem,
    bundle_entry,
    certificate_from_der,
    certificate_from_pem,
    cosign_bundle_entry,
    verify_keyless,
)
from hullguard.signing.push import RegistryWriter
from hullguard.signing.sign import (
    CERTIFICATE_ANNOTATION,
    SIGNATURE_ANNOTATION,
    SIGNATURE_TYPE,
    SIMPLE_SIGNING,
    parse_ref,
    resolve_digest,
    signature_tag,
)

MAX_ANNOTATION = 16 * 1024
MAX_PAYLOAD = 256 * 1024
MAX_BUNDLE = 4 * 1024 * 1024
MAX_SIGNATURES = 256
BUNDLE_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle"
BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle"
NOT_OFFLINE = (
    "present, not verified offline (give a trusted root with the certificate identity and "
    "OIDC issuer to verify it)"
)
NO_KEY = "signed with a key, and no public key was given to verify it with"


@dataclass(frozen=True)
class FoundSignature:
    where: str
    digest: str
    valid: bool
    reason: str


@dataclass
class VerifyResult:
    ref: str
    digest: str | None = None
    signatures: list[FoundSignature] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return any(s.valid for s in self.signatures)


def _check(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> str | None:
    """None when `signature` (DER) over `data` verifies with `key`, else the reason."""
    try:
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return (
            "bad signature: it does not verify with this key (signed by another key, or the "
            "payload or signature was altered)"
        )
    except ValueError:
        return "bad signature: not a DER-encoded ECDSA signature"
    return None


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _check_payload(payload: bytes, digest: str) -> str | None:
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return "the payload is not JSON"
    critical = document.get("critical") if isinstance(document, Mapping) else None
    if not isinstance(critical, Mapping):
        return "the payload has no `critical` section: not a simple-signing payload"
    image = critical.get("image")
    signed = image.get("docker-manifest-digest") if isinstance(image, Mapping) else None
    if signed != digest:
        return f"payload digest mismatch: it signs {signed!r}, the image is {digest}"
    if critical.get("type") != SIGNATURE_TYPE:
        return f"the payload's type is {critical.get('type')!r}, not {SIGNATURE_TYPE!r}"
    return None


def _tag_layer(
    client: RegistryWriter,
    layer: Mapping[str, Any],
    digest: str,
    key: ec.EllipticCurvePublicKey | None,
    keyless: KeylessPolicy | None = None,
) -> FoundSignature:
    where = f"{signature_tag(digest)}"
    layer_digest = str(layer.get("digest"))
    annotations = layer.get("annotations")
    text = annotations.get(SIGNATURE_ANNOTATION) if isinstance(annotations, Mapping) else None

    def bad(reason: str) -> FoundSignature:
        return FoundSignature(where, layer_digest, False, reason)

    if layer.get("mediaType") != SIMPLE_SIGNING:
        return bad(f"a layer of media type {layer.get('mediaType')!r}, not a simple-signing one")
    if not isinstance(text, str) or not text:
        return bad(f"the `{SIGNATURE_ANNOTATION}` annotation is missing")
    if len(text) > MAX_ANNOTATION:
        return bad(f"the signature annotation is huge ({len(text)} characters); not read")
    signature = _b64(text)
    if signature is None:
        return bad("the signature annotation is not base64")
    size = layer.get("size")
    if isinstance(size, int) and size > MAX_PAYLOAD:
        return bad(f"the payload is {size} bytes, larger than the {MAX_PAYLOAD} allowed")
    try:
        payload = client.blob(layer_digest, MAX_PAYLOAD)
    except RegistryError as exc:
        return bad(f"the payload cannot be read: {exc}")
    certificate = (
        annotations.get(CERTIFICATE_ANNOTATION) if isinstance(annotations, Mapping) else None
    )
    if isinstance(certificate, str) and certificate and (keyless is not None or key is None):
        if keyless is None:
            return bad(f"keyless signature (Fulcio certificate): {NOT_OFFLINE}")
        problem = _check_payload(payload, digest)
        if problem is not None:
            return bad(problem)
        bundle = annotations.get(BUNDLE_ANNOTATION) if isinstance(annotations, Mapping) else None
        try:
            leaf = certificate_from_pem(certificate)
            entry = cosign_bundle_entry(bundle) if isinstance(bundle, str) else None
            reason = verify_keyless(leaf, signature, payload, payload, entry, keyless)
        except KeylessProblem as exc:
            return bad(str(exc))
        return FoundSignature(where, layer_digest, True, reason)
    if key is None:
        return bad(NO_KEY)
    problem = _check(key, signature, payload) or _check_payload(payload, digest)
    if problem is not None:
        if isinstance(certificate, str) and certificate and problem.startswith("bad signature"):
            problem = f"keyless signature (Fulcio certificate): {NOT_OFFLINE}"
        return bad(problem)
    return FoundSignature(where, layer_digest, True, "verified with the key")


def _bundle(
    client: RegistryWriter,
    descriptor: Mapping[str, Any],
    digest: str,
    key: ec.EllipticCurvePublicKey | None,
    keyless: KeylessPolicy | None = None,
) -> FoundSignature:
    where = "referrers"
    manifest_digest = str(descriptor.get("digest"))

    def result(reason: str, valid: bool = False) -> FoundSignature:
        return FoundSignature(where, manifest_digest, valid, reason)

    try:
        found = client.optional_manifest(manifest_digest, OCI_MANIFEST)
        if found is None:
            return result("a Sigstore bundle is listed, but its manifest is missing")
        layers = found[0].get("layers")
        if not isinstance(layers, list) or not layers or not isinstance(layers[0], Mapping):
            return result("a Sigstore bundle manifest without layers")
        bundle = json.loads(client.blob(str(layers[0].get("digest")), MAX_BUNDLE))
    except RegistryError as exc:
        return result(f"a Sigstore bundle that cannot be read: {exc}")
    except (ValueError, UnicodeDecodeError):
        return result("a Sigstore bundle that is not JSON")
    valid, reason = judge_bundle(bundle, digest, key, keyless)
    return result(reason, valid)


def _bundle_certificate(bundle: Mapping[str, Any]) -> bytes | None:
    """The DER leaf certificate of a bundle's verification material (`certificate`, or the
    first of `x509CertificateChain`), or None when it has none."""
    material = bundle.get("verificationMaterial")
    if not isinstance(material, Mapping):
        return None
    single = material.get("certificate")
    if isinstance(single, Mapping):
        return _b64(str(single.get("rawBytes", ""))) or b""
    chain = material.get("x509CertificateChain")
    certificates = chain.get("certificates") if isinstance(chain, Mapping) else None
    if isinstance(certificates, list) and certificates and isinstance(certificates[0], Mapping):
        return _b64(str(certificates[0].get("rawBytes", ""))) or b""
    return None


def _statement_problem(payload: bytes, digest: str) -> str | None:
    try:
        statement = json.loads(payload)
        subjects = statement.get("subject") or []
        hexes = {s.get("digest", {}).get("sha256") for s in subjects}
    except (ValueError, AttributeError, TypeError):
        return "a Sigstore bundle whose statement is not valid JSON"
    if digest.partition(":")[2] not in hexes:
        return "payload digest mismatch: the bundle's statement names another image"
    return None


def judge_bundle(
    bundle: Any,
    digest: str,
    key: ec.EllipticCurvePublicKey | None,
    keyless: KeylessPolicy | None = None,
) -> tuple[bool, str]:
    """Whether a Sigstore bundle signs the image `digest`, and why (not)."""
    envelope = bundle.get("dsseEnvelope") if isinstance(bundle, Mapping) else None
    if not isinstance(envelope, Mapping):
        return False, "a Sigstore bundle (message signature): present, not verified offline"
    payload_text, kind = envelope.get("payload"), envelope.get("payloadType")
    signatures = envelope.get("signatures")
    payload = _b64(payload_text) if isinstance(payload_text, str) else None
    if payload is None or not isinstance(kind, str) or not isinstance(signatures, list):
        return False, "a Sigstore bundle whose DSSE envelope is malformed"
    encoded = kind.encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(encoded), encoded, len(payload), payload)
    certificate = _bundle_certificate(bundle)
    if certificate is not None and (keyless is not None or key is None):
        if keyless is None:
            return False, f"a keyless Sigstore bundle: {NOT_OFFLINE}"
        if len(signatures) != 1 or not isinstance(signatures[0], Mapping):
            return False, "a keyless Sigstore bundle whose envelope has not exactly one signature"
        signature = _b64(str(signatures[0].get("sig", "")))
        if not signature:
            return False, "a keyless Sigstore bundle whose signature is not base64"
        material = bundle["verificationMaterial"]
        entries = material.get("tlogEntries")
        try:
            leaf = certificate_from_der(certificate)
            entry = bundle_entry(entries[0]) if isinstance(entries, list) and entries else None
            reason = verify_keyless(leaf, signature, pae, payload, entry, keyless)
        except KeylessProblem as exc:
            return False, f"a keyless Sigstore bundle: {exc}"
        problem = _statement_problem(payload, digest)
        return (False, problem) if problem else (True, f"Sigstore bundle, {reason}")
    if key is None:
        return False, f"a Sigstore bundle {NO_KEY}"
    for entry in signatures[:MAX_SIGNATURES]:
        raw = entry.get("sig") if isinstance(entry, Mapping) else None
        signature = _b64(raw) if isinstance(raw, str) else None
        if signature is not None and _check(key, signature, pae) is None:
            problem = _statement_problem(payload, digest)
            return (False, problem) if problem else (True, "Sigstore bundle verified with the key")
    return False, "a Sigstore bundle: present, not verified (not signed by this key)"


def verify_image(
    ref: str,
    public_key: ec.EllipticCurvePublicKey | None,
    options: RegistryOptions | None = None,
    keyless: KeylessPolicy | None = None,
) -> VerifyResult:
    """Every signature found for `ref`, each valid or not with the reason: key-signed ones
    checked with `public_key`, keyless ones with `keyless`."""
    result = VerifyResult(ref)
    try:
        parsed = parse_ref(ref)
        with RegistryWriter(parsed, options or RegistryOptions()) as client:
            result.digest = digest = resolve_digest(client)
            tag = signature_tag(digest)
            try:
                found = client.optional_manifest(tag, OCI_MANIFEST)
            except RegistryError as exc:
                found = None
                result.problems.append(f"the signature manifest {tag} is unusable: {exc}")
            if found is not None:
                layers = found[0].get("layers")
                if not isinstance(layers, list):
                    result.problems.append(f"the signature manifest {tag} is corrupt: no layers")
                    layers = []
                for layer in layers[:MAX_SIGNATURES]:
                    if isinstance(layer, Mapping):
                        found_signature = _tag_layer(client, layer, digest, public_key, keyless)
                        result.signatures.append(found_signature)
                    else:
                        result.problems.append(f"{tag}: a layer that is not an object")
            try:
                referrers = client.referrers(digest) or []
            except RegistryError as exc:
                referrers = []
                result.problems.append(f"the referrers API failed: {exc}")
            for descriptor in referrers[:MAX_SIGNATURES]:
                kind = descriptor.get("artifactType")
                if isinstance(kind, str) and kind.startswith(BUNDLE_TYPE_PREFIX):
                    bundle = _bundle(client, descriptor, digest, public_key, keyless)
                    result.signatures.append(bundle)
    except RegistryError as exc:
        result.problems.append(str(exc))
    if result.digest is not None and not result.signatures and not result.problems:
        result.problems.append(
            f"no signatures for {result.digest} (no {signature_tag(result.digest)} tag, no "
            "Sigstore bundle among its referrers)"
        )
    return result
