"""Signing an image as cosign does.

The reference is resolved to its manifest digest (the top-level one: an index's own digest for
a multi-platform image). The simple-signing payload names the repository and that digest; its
ECDSA P-256 SHA-256 signature (ASN.1 DER, standard base64) goes in the
`dev.cosignproject.cosign/signature` annotation of a layer whose blob is the payload, of media
type `application/vnd.dev.cosign.simplesigning.v1+json`, in an OCI image manifest tagged
`sha256-<hex>.sig` in the same repository. Signatures already there are kept: the new one is
appended as another layer (an identical one is not added twice).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hullguard.image.registry import OCI_MANIFEST, RegistryError, RegistryOptions
from hullguard.imageref import ImageRef, ImageRefError, parse_image_ref
from hullguard.signing.push import RegistryWriter, canonical_json

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIGNATURE_TYPE = "cosign container image signature"
ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class SignResult:
    digest: str
    signature_ref: str
    signatures: int


def parse_ref(text: str) -> ImageRef:
    try:
        return parse_image_ref(text)
    except ImageRefError as exc:
        raise RegistryError(f"not an image reference: {exc}") from None


def docker_reference(ref: ImageRef) -> str:
    """The repository as cosign names it in the payload (Docker Hub as index.docker.io)."""
    return f"index.docker.io/{ref.path}" if ref.is_docker_hub else ref.name


def signature_tag(digest: str) -> str:
    algorithm, _, hex_digest = digest.partition(":")
    return f"{algorithm}-{hex_digest}.sig"


def simple_signing_payload(reference: str, digest: str) -> bytes:
    return canonical_json(
        {
            "critical": {
                "identity": {"docker-reference": reference},
                "image": {"docker-manifest-digest": digest},
                "type": SIGNATURE_TYPE,
            },
            "optional": None,
        }
    )


def resolve_digest(client: RegistryWriter) -> str:
    reference = client.ref.digest or client.ref.tag or "latest"
    found = client.optional_manifest(reference)
    if found is None:
        raise RegistryError(f"{client.host}/{client.ref.path}: no such image or tag {reference}")
    return found[1]


def _config(layer_digests: list[str]) -> bytes:
    return canonical_json(
        {
            "architecture": "",
            "created": ZERO_TIME,
            "history": [{"created": ZERO_TIME} for _ in layer_digests],
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": layer_digests},
            "config": {},
        }
    )


def _existing_layers(client: RegistryWriter, tag: str) -> list[Mapping[str, Any]]:
    found = client.optional_manifest(tag, OCI_MANIFEST)
    if found is None:
        return []
    layers = found[0].get("layers")
    if not isinstance(layers, list) or not all(isinstance(x, Mapping) for x in layers):
        raise RegistryError(
            f"{client.host}/{client.ref.path}:{tag}: the existing signature manifest is corrupt "
            "(no list of layers); remove it or fix it before signing"
        )
    return list(layers)


def sign_image(
    ref: str, key: ec.EllipticCurvePrivateKey, options: RegistryOptions | None = None
) -> SignResult:
    """Sign `ref` and push the signature; RegistryError when the registry refuses."""
    parsed = parse_ref(ref)
    with RegistryWriter(parsed, options or RegistryOptions()) as client:
        digest = resolve_digest(client)
        payload = simple_signing_payload(docker_reference(parsed), digest)
        signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
        tag = signature_tag(digest)
        layers = _existing_layers(client, tag)
        payload_digest = client.push_blob(payload)
        layer = {
            "mediaType": SIMPLE_SIGNING,
            "size": len(payload),
            "digest": payload_digest,
            "annotations": {SIGNATURE_ANNOTATION: signature},
        }
        if not any(
            old.get("digest") == payload_digest
            and isinstance(old.get("annotations"), Mapping)
            and old["annotations"].get(SIGNATURE_ANNOTATION) == signature
            for old in layers
        ):
            layers.append(layer)
        diff_ids = [str(x.get("digest")) for x in layers]
        config = _config(diff_ids)
        config_digest = client.push_blob(config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": config_digest},
            "layers": layers,
        }
        client.push_manifest(tag, canonical_json(manifest), OCI_MANIFEST)
        return SignResult(digest, f"{parsed.registry}/{parsed.path}:{tag}", len(layers))
