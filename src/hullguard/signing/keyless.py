"""Keyless (Fulcio and Rekor) signatures, verified offline against a trusted root.

A keyless signature is made with a short-lived key whose certificate Fulcio issued for an OIDC
identity (it lives ten minutes), and logged in Rekor, whose signed entry timestamp (SET) proves
when. It is valid here when, in this order:

1. the log entry's SET verifies with the key of a log of the trusted root: an ECDSA (or RSA,
   Ed25519) signature over the canonical JSON of {body, integratedTime, logID, logIndex} (keys
   sorted, no spaces; `body` the base64 entry, `logID` the hex SHA-256 of the log's DER key),
   and that key was valid then;
2. the leaf certificate chains, signature by signature, to a certificate authority of the
   trusted root (its issuing CA first, root last), each certificate a CA, the authority's
   `validFor` holding the signing time;
3. the leaf, and each CA, was valid at the signing time (`integratedTime`), and the leaf may sign
   code (extended key usage);
4. the leaf embeds a signed certificate timestamp (SCT) from a Certificate Transparency log of
   the trusted root (`ctlogs`) that verifies over the leaf's precertificate, issued while the
   log's key was valid (`sct.check_embedded_sct`, RFC 6962); a trusted root that lists no CT log
   checks none and the result says so;
5. the signature verifies over the signed bytes with the leaf's public key;
6. the log entry is about this signature: a `hashedrekord` (or `rekord`) entry with the payload's
   SHA-256, this signature and this certificate, or a `dsse` entry with the payload's SHA-256
   and this signature and certificate among its signatures;
7. the identity (an email or URI of the leaf's subject alternative names) and the OIDC issuer
   (Fulcio's extension 1.3.6.1.4.1.57264.1.8, a DER UTF8String, else the deprecated
   1.3.6.1.4.1.57264.1.1, raw text) are those asked for. `identity_regexp` is searched as
   cosign does (unanchored: anchor it with ^ and $ to match whole).

Not checked: RFC 3161 timestamps (`timestampAuthorities`; a signature without a log entry is
refused), and inclusion proofs (the SET is the log's promise of inclusion).

Each failure is a `KeylessProblem` whose message begins with its kind: `bad SET`, `unknown CA`,
`expired at signing time`, `no SCT`, `bad SCT`, `bad signature`, `log entry mismatch`,
`identity mismatch`, `issuer mismatch`, `no log entry`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from hullguard.signing.sct import SctProblem, check_embedded_sct
from hullguard.signing.trustroot import CertificateAuthority, TrustedRoot

ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
MAX_BODY = 1024 * 1024
MAX_CERTIFICATE = 64 * 1024


class KeylessProblem(Exception):
    """A keyless signature that does not verify; the message says why."""


@dataclass(frozen=True)
class IdentityPolicy:
    """Whom a keyless signature must come from: an identity (exact, or a pattern) and the OIDC
    issuer that vouched for it."""

    issuer: str
    identity: str | None = None
    identity_regexp: str | None = None

    def __post_init__(self) -> None:
        if (self.identity is None) == (self.identity_regexp is None):
            raise ValueError("give one of the certificate identity or its regular expression")
        if self.identity_regexp is not None:
            try:
                re.compile(self.identity_regexp)
            except re.error as exc:
                raise ValueError(
                    f"`{self.identity_regexp}` is not a regular expression: {exc}"
                ) from None

    def accepts(self, identity: str) -> bool:
        if self.identity is not None:
            return identity == self.identity
        return (
            self.identity_regexp is not None
            and re.search(self.identity_regexp, identity) is not None
        )

    def __str__(self) -> str:
        wanted = self.identity if self.identity is not None else f"/{self.identity_regexp}/"
        return f"{wanted} from {self.issuer}"


@dataclass(frozen=True)
class KeylessPolicy:
    root: TrustedRoot
    identity: IdentityPolicy


@dataclass(frozen=True)
class LogEntry:
    """A transparency log entry as a signature carries it (cosign's bundle annotation, or a
    Sigstore bundle's `tlogEntries[]`)."""

    body: str  # base64 of the canonicalized entry
    integrated_time: int
    log_index: int
    log_id: str  # hex
    signed_entry_timestamp: bytes


def certificate_from_pem(text: str) -> x509.Certificate:
    if len(text) > MAX_CERTIFICATE:
        raise KeylessProblem("bad signature: the certificate is huge; not read")
    try:
        return x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        raise KeylessProblem("bad signature: the certificate is not a PEM certificate") from None


def certificate_from_der(data: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise KeylessProblem("bad signature: the certificate is not a DER certificate") from None


def _verify_with(key: Any, signature: bytes, data: bytes) -> bool:
    """Whether `signature` over `data` verifies with `key` (the hash fits the curve)."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            digest: hashes.HashAlgorithm = {384: hashes.SHA384(), 521: hashes.SHA512()}.get(
                key.curve.key_size, hashes.SHA256()
            )
            key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        return False
    return True


def signed_entry_data(entry: LogEntry) -> bytes:
    """The bytes a log's SET signs: the canonical JSON of the entry's four fields."""
    document = {
        "body": entry.body,
        "integratedTime": entry.integrated_time,
        "logID": entry.log_id,
        "logIndex": entry.log_index,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _moment(seconds: int) -> datetime.datetime:
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise KeylessProblem(f"bad SET: integratedTime {seconds} is not a time") from None


def _check_set(entry: LogEntry, root: TrustedRoot) -> tuple[datetime.datetime, str]:
    log = root.log(entry.log_id)
    if log is None:
        raise KeylessProblem(
            f"bad SET: the entry is from the log {entry.log_id[:16]}..., which the trusted root "
            "does not list"
        )
    if not _verify_with(log.key, entry.signed_entry_timestamp, signed_entry_data(entry)):
        raise KeylessProblem(
            f"bad SET: the signed entry timestamp does not verify with the key of {log.base_url} "
            "(the entry, its time or index was altered, or another log signed it)"
        )
    moment = _moment(entry.integrated_time)
    if not log.valid.holds(moment):
        raise KeylessProblem(
            f"bad SET: the key of {log.base_url} was not valid at {moment.isoformat()} "
            f"(valid {log.valid})"
        )
    return moment, log.base_url


def _issued(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def _chains(leaf: x509.Certificate, authority: CertificateAuthority) -> bool:
    links = (leaf, *authority.chain)
    return all(
        _is_ca(parent) and _issued(child, parent) for child, parent in itertools.pairwise(links)
    )


def _within(certificate: x509.Certificate, moment: datetime.datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _name(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "(no subject)"


def _check_chain(
    leaf: x509.Certificate, root: TrustedRoot, moment: datetime.datetime
) -> CertificateAuthority:
    authorities = [a for a in root.authorities if _chains(leaf, a)]
    if not authorities:
        raise KeylessProblem(
            f"unknown CA: the certificate, issued by {leaf.issuer.rfc4514_string()}, does not "
            "chain to a certificate authority of the trusted root"
        )
    if not _within(leaf, moment):
        raise KeylessProblem(
            f"expired at signing time: the certificate is valid from "
            f"{leaf.not_valid_before_utc.isoformat()} to {leaf.not_valid_after_utc.isoformat()}, "
            f"and it was logged at {moment.isoformat()}"
        )
    for authority in authorities:
        if authority.valid.holds(moment) and all(_within(c, moment) for c in authority.chain):
            return authority
    authority = authorities[0]
    raise KeylessProblem(
        f"expired at signing time: the certificate authority {authority.uri} (valid "
        f"{authority.valid}) or one of its certificates was not valid at {moment.isoformat()}"
    )


def _check_usage(leaf: x509.Certificate) -> None:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    except ValueError as exc:
        raise KeylessProblem(
            f"bad signature: the certificate's extensions cannot be read ({exc})"
        ) from None
    if usage is None or ExtendedKeyUsageOID.CODE_SIGNING not in usage:
        raise KeylessProblem("bad signature: the certificate is not for code signing")


def identities(leaf: x509.Certificate) -> list[str]:
    """The emails and URIs of the leaf's subject alternative names."""
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [
        *names.get_values_for_type(x509.RFC822Name),
        *names.get_values_for_type(x509.UniformResourceIdentifier),
    ]


def _der_utf8(data: bytes) -> str | None:
    """The text of a DER UTF8String, or None."""
    if len(data) < 2 or data[0] != 0x0C:
        return None
    length, start = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            return None
        length, start = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    if len(data) != start + length:
        return None
    try:
        return data[start:].decode()
    except UnicodeDecodeError:
        return None


def oidc_issuer(leaf: x509.Certificate) -> str | None:
    """The OIDC issuer Fulcio recorded in the certificate."""
    for oid, decode in ((ISSUER_V2, _der_utf8), (ISSUER_V1, _raw_text)):
        try:
            extension = leaf.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        if isinstance(extension, x509.UnrecognizedExtension):
            return decode(extension.value)
    return None


def _raw_text(data: bytes) -> str | None:
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def _b64(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _same_certificate(encoded: Any, leaf: x509.Certificate) -> bool:
    pem = _b64(encoded)
    if pem is None:
        return False
    try:
        logged = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return False
    return logged.public_bytes(serialization.Encoding.DER) == leaf.public_bytes(
        serialization.Encoding.DER
    )


def _hash_of(spec_hash: Any) -> str | None:
    if not isinstance(spec_hash, Mapping) or spec_hash.get("algorithm") != "sha256":
        return None
    value = spec_hash.get("value")
    return value.lower() if isinstance(value, str) else None


def _check_body(entry: LogEntry, leaf: x509.Certificate, signature: bytes, payload: bytes) -> None:
    raw = _b64(entry.body)
    if raw is None or len(raw) > MAX_BODY:
        raise KeylessProblem("log entry mismatch: the entry's body is not base64")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise KeylessProblem("log entry mismatch: the entry's body is not JSON") from None
    kind = body.get("kind") if isinstance(body, Mapping) else None
    spec = body.get("spec") if isinstance(body, Mapping) else None
    if not isinstance(spec, Mapping):
        raise KeylessProblem("log entry mismatch: the entry has no `spec`")
    wanted = hashlib.sha256(payload).hexdigest()
    if kind in ("hashedrekord", "rekord"):
        data, logged = spec.get("data"), spec.get("signature")
        if not isinstance(data, Mapping) or _hash_of(data.get("hash")) != wanted:
            raise KeylessProblem("log entry mismatch: the entry logs another payload")
        key = logged.get("publicKey") if isinstance(logged, Mapping) else None
        if not isinstance(logged, Mapping) or _b64(logged.get("content")) != signature:
            raise KeylessProblem("log entry mismatch: the entry logs another signature")
        if not isinstance(key, Mapping) or not _same_certificate(key.get("content"), leaf):
            raise KeylessProblem("log entry mismatch: the entry logs another certificate")
        return
    if kind == "dsse":
        if _hash_of(spec.get("payloadHash")) != wanted:
            raise KeylessProblem("log entry mismatch: the entry logs another payload")
        signatures = spec.get("signatures")
        if not isinstance(signatures, list) or not any(
            isinstance(s, Mapping)
            and _b64(s.get("signature")) == signature
            and _same_certificate(s.get("verifier"), leaf)
            for s in signatures[:16]
        ):
            raise KeylessProblem(
                "log entry mismatch: the entry logs another signature or certificate"
            )
        return
    raise KeylessProblem(f"log entry mismatch: an entry of kind {kind!r}, which is not checked")


def verify_keyless(
    leaf: x509.Certificate,
    signature: bytes,
    signed: bytes,
    payload: bytes,
    entry: LogEntry | None,
    policy: KeylessPolicy,
) -> str:
    """Who signed, when and where it was logged, if the keyless signature `signature` over
    `signed` (the payload itself, or a DSSE envelope's PAE over it) is valid; else
    KeylessProblem with the reason."""
    if entry is None:
        raise KeylessProblem(
            "no log entry: the signature carries no transparency log entry (bundle), so its "
            "signing time cannot be proven offline"
        )
    moment, log = _check_set(entry, policy.root)
    authority = _check_chain(leaf, policy.root, moment)
    _check_usage(leaf)
    try:
        transparency = check_embedded_sct(leaf, authority.chain[0], policy.root)
    except SctProblem as exc:
        raise KeylessProblem(str(exc)) from None
    if not _verify_with(leaf.public_key(), signature, signed):
        raise KeylessProblem(
            "bad signature: it does not verify with the certificate's key (the payload or the "
            "signature was altered)"
        )
    _check_body(entry, leaf, signature, payload)
    found = identities(leaf)
    issuer = oidc_issuer(leaf)
    wanted = policy.identity
    if not any(wanted.accepts(identity) for identity in found):
        raise KeylessProblem(
            f"identity mismatch: signed by {', '.join(found) or 'no email or URI'}, not "
            f"{wanted.identity or '/' + str(wanted.identity_regexp) + '/'}"
        )
    if issuer != wanted.issuer:
        raise KeylessProblem(
            f"issuer mismatch: the identity was vouched for by {issuer or 'no OIDC issuer'}, "
            f"not {wanted.issuer}"
        )
    who = next(identity for identity in found if wanted.accepts(identity))
    return (
        f"keyless: signed by {who} (issuer {issuer}) at {moment.isoformat()}, logged in {log} "
        f"at index {entry.log_index}; {transparency}"
    )


def _integer(value: Any) -> int | None:
    """An int64 as JSON carries it (a number, or a string in Sigstore bundles)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def cosign_bundle_entry(text: str) -> LogEntry:
    """The log entry of cosign's `dev.sigstore.cosign/bundle` annotation:
    {SignedEntryTimestamp, Payload {body, integratedTime, logIndex, logID}}."""
    if len(text) > MAX_BODY:
        raise KeylessProblem("no log entry: the bundle annotation is huge; not read")
    try:
        document = json.loads(text)
    except ValueError:
        raise KeylessProblem("no log entry: the bundle annotation is not JSON") from None
    payload = document.get("Payload") if isinstance(document, Mapping) else None
    timestamp = (
        _b64(document.get("SignedEntryTimestamp")) if isinstance(document, Mapping) else None
    )
    if not isinstance(payload, Mapping) or timestamp is None:
        raise KeylessProblem(
            "no log entry: the bundle annotation lacks `Payload` or `SignedEntryTimestamp`"
        )
    return _entry(
        payload.get("body"),
        payload.get("integratedTime"),
        payload.get("logIndex"),
        payload.get("logID"),
        timestamp,
    )


def bundle_entry(entry: Any) -> LogEntry:
    """A Sigstore bundle's `tlogEntries[]` item: canonicalizedBody, integratedTime, logIndex,
    logId.keyId (base64) and inclusionPromise.signedEntryTimestamp."""
    if not isinstance(entry, Mapping):
        raise KeylessProblem("no log entry: a `tlogEntries` item that is not an object")
    promise = entry.get("inclusionPromise")
    timestamp = _b64(promise.get("signedEntryTimestamp")) if isinstance(promise, Mapping) else None
    if timestamp is None:
        raise KeylessProblem(
            "no log entry: the bundle's log entry has no inclusion promise (signed entry "
            "timestamp); inclusion proofs alone are not checked offline"
        )
    named = entry.get("logId")
    key_id = _b64(named.get("keyId")) if isinstance(named, Mapping) else None
    return _entry(
        entry.get("canonicalizedBody"),
        entry.get("integratedTime"),
        entry.get("logIndex"),
        key_id.hex() if key_id is not None else None,
        timestamp,
    )


def _entry(body: Any, time: Any, index: Any, log_id: Any, timestamp: bytes) -> LogEntry:
    integrated, position = _integer(time), _integer(index)
    if not isinstance(body, str) or integrated is None or position is None:
        raise KeylessProblem("no log entry: the entry lacks its body, time or index")
    if not isinstance(log_id, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", log_id):
        raise KeylessProblem("no log entry: the entry's log ID is not a hex SHA-256")
    return LogEntry(body, integrated, position, log_id.lower(), timestamp)
