"""Sigstore's trusted root: the certificate authorities (Fulcio) and transparency logs (Rekor)
that keyless signatures are verified against, offline.

The file is Sigstore's `trusted_root.json` (media type
`application/vnd.dev.sigstore.trustedroot+json;version=0.1`, as `cosign` and `sigstore-python`
ship it and as `cosign trusted-root create` writes it): `certificateAuthorities[]` each with a
`certChain.certificates[]` of base64 DER certificates, issuing CA first and root last, and a
`validFor` {start, end} window; `tlogs[]` each with a `publicKey` (`rawBytes`, base64 DER
SubjectPublicKeyInfo, and its own `validFor`) and a `logId.keyId` (base64 of the SHA-256 of that
DER key, which Rekor calls the log ID); `ctlogs[]`, the Certificate Transparency logs whose
SCTs Fulcio embeds in its certificates, in the same shape (a CT log's ID is likewise the SHA-256
of its DER key, RFC 6962 section 3.2), and may be empty. `timestampAuthorities` are read past.
Anything malformed is a `TrustRootProblem` naming the entry.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.trustedroot"
MAX_TRUSTED_ROOT_BYTES = 1024 * 1024
MAX_ENTRIES = 64

LogKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey


class TrustRootProblem(Exception):
    """A trusted root that cannot be used; the message says why."""


@dataclass(frozen=True)
class Window:
    """A `validFor` period; an open end is None."""

    start: datetime.datetime | None = None
    end: datetime.datetime | None = None

    def holds(self, moment: datetime.datetime) -> bool:
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment <= self.end
        )

    def __str__(self) -> str:
        start = self.start.isoformat() if self.start else "the beginning"
        end = self.end.isoformat() if self.end else "now"
        return f"{start} to {end}"


@dataclass(frozen=True)
class CertificateAuthority:
    uri: str
    chain: tuple[x509.Certificate, ...]  # the issuing CA first, the root last
    valid: Window


@dataclass(frozen=True)
class TransparencyLog:
    base_url: str
    log_id: str  # hex SHA-256 of the DER public key, as Rekor names its log
    key: LogKey
    valid: Window


@dataclass(frozen=True)
class TrustedRoot:
    authorities: tuple[CertificateAuthority, ...]
    logs: tuple[TransparencyLog, ...]
    ct_logs: tuple[TransparencyLog, ...] = ()

    def log(self, log_id: str) -> TransparencyLog | None:
        return next((log for log in self.logs if log.log_id == log_id.lower()), None)

    def ct_log(self, log_id: str) -> TransparencyLog | None:
        return next((log for log in self.ct_logs if log.log_id == log_id.lower()), None)


def _bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise TrustRootProblem(f"{what}: no base64 `rawBytes`")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise TrustRootProblem(f"{what}: `rawBytes` is not base64") from None


def _time(value: Any, what: str) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TrustRootProblem(f"{what}: not an RFC 3339 time")
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TrustRootProblem(f"{what}: `{value[:60]}` is not an RFC 3339 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _window(entry: Mapping[str, Any], what: str) -> Window:
    valid = entry.get("validFor")
    if valid is None:
        return Window()
    if not isinstance(valid, Mapping):
        raise TrustRootProblem(f"{what}: `validFor` is not an object")
    return Window(
        _time(valid.get("start"), f"{what} validFor.start"),
        _time(valid.get("end"), f"{what} validFor.end"),
    )


def _list(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise TrustRootProblem(f"`{key}` is not a list of objects")
    if len(value) > MAX_ENTRIES:
        raise TrustRootProblem(f"`{key}` has {len(value)} entries, more than {MAX_ENTRIES}")
    return value


def _authority(entry: Mapping[str, Any], index: int) -> CertificateAuthority:
    what = f"certificateAuthorities[{index}]"
    chain = entry.get("certChain")
    certificates = chain.get("certificates") if isinstance(chain, Mapping) else None
    if not isinstance(certificates, list) or not certificates:
        raise TrustRootProblem(f"{what}: no `certChain.certificates`")
    parsed = []
    for position, item in enumerate(certificates[:MAX_ENTRIES]):
        where = f"{what}.certChain.certificates[{position}]"
        raw = _bytes(item.get("rawBytes") if isinstance(item, Mapping) else None, where)
        try:
            parsed.append(x509.load_der_x509_certificate(raw))
        except ValueError as exc:
            raise TrustRootProblem(f"{where}: not a DER certificate ({exc})") from None
    uri = entry.get("uri")
    return CertificateAuthority(str(uri) if uri else what, tuple(parsed), _window(entry, what))


def _log(entry: Mapping[str, Any], index: int, section: str = "tlogs") -> TransparencyLog:
    what = f"{section}[{index}]"
    public_key = entry.get("publicKey")
    if not isinstance(public_key, Mapping):
        raise TrustRootProblem(f"{what}: no `publicKey`")
    der = _bytes(public_key.get("rawBytes"), f"{what}.publicKey")
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise TrustRootProblem(f"{what}.publicKey: not a DER public key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise TrustRootProblem(f"{what}.publicKey: a key type transparency logs do not use")
    log_id = hashlib.sha256(der).hexdigest()
    named = entry.get("logId")
    key_id = named.get("keyId") if isinstance(named, Mapping) else None
    if key_id is not None and _bytes(key_id, f"{what}.logId.keyId").hex() != log_id:
        raise TrustRootProblem(f"{what}: `logId.keyId` is not the SHA-256 of its public key")
    base_url = entry.get("baseUrl")
    return TransparencyLog(
        str(base_url) if base_url else what, log_id, key, _window(public_key, f"{what}.publicKey")
    )


def parse_trusted_root(data: bytes, what: str = "the trusted root") -> TrustedRoot:
    """The trusted root in `data`; TrustRootProblem (naming `what`) when it cannot be used."""
    if len(data) > MAX_TRUSTED_ROOT_BYTES:
        raise TrustRootProblem(f"{what}: larger than {MAX_TRUSTED_ROOT_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrustRootProblem(f"{what}: not JSON ({exc})") from None
    if not isinstance(document, Mapping):
        raise TrustRootProblem(f"{what}: not a JSON object")
    media_type = document.get("mediaType")
    if not isinstance(media_type, str) or not media_type.startswith(MEDIA_TYPE_PREFIX):
        raise TrustRootProblem(
            f"{what}: its mediaType is {media_type!r}, not a Sigstore trusted root "
            f"({MEDIA_TYPE_PREFIX}+json;version=0.1)"
        )
    try:
        authorities = tuple(
            _authority(entry, i)
            for i, entry in enumerate(_list(document, "certificateAuthorities"))
        )
        logs = tuple(_log(entry, i) for i, entry in enumerate(_list(document, "tlogs")))
        ct_logs = tuple(
            _log(entry, i, "ctlogs") for i, entry in enumerate(_list(document, "ctlogs"))
        )
    except TrustRootProblem as exc:
        raise TrustRootProblem(f"{what}: {exc}") from None
    if not authorities:
        raise TrustRootProblem(f"{what}: no certificate authority (`certificateAuthorities`)")
    if not logs:
        raise TrustRootProblem(f"{what}: no transparency log (`tlogs`)")
    return TrustedRoot(authorities, logs, ct_logs)


def load_trusted_root(path: str) -> TrustedRoot:
    """The trusted root in the file at `path`; TrustRootProblem when unreadable or unusable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TRUSTED_ROOT_BYTES + 1)
    except OSError as exc:
        raise TrustRootProblem(f"trusted root {path}: {exc.strerror}") from None
    return parse_trusted_root(data, f"trusted root {path}")
