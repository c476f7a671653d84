"""Certificate Transparency for keyless signatures: the signed certificate timestamp (SCT) that
Fulcio embeds in its certificates, verified offline with the CT log keys of the trusted root.

Fulcio has each certificate logged before it issues it (RFC 6962 section 3.1): it sends the log a
precertificate (the certificate with the critical poison extension 1.3.6.1.4.1.11129.2.4.3), the
log answers with an SCT, and Fulcio issues the certificate with the SCT list in the extension
1.3.6.1.4.1.11129.2.4.2 where the poison was. An embedded SCT is valid here when:

1. it is a v1 SCT for a precertificate entry from a CT log of the trusted root (`ctlogs`; the log
   ID is the SHA-256 of the log's DER public key);
2. its signature verifies with that log's key over the `digitally-signed` structure of RFC 6962
   section 3.2: the version (v1, 0), the signature type (certificate_timestamp, 0), the
   timestamp in milliseconds (8 bytes), the entry type (precert_entry, 1; 2 bytes), the SHA-256
   of the issuing CA's DER SubjectPublicKeyInfo, the leaf's TBSCertificate without the SCT list
   extension (3-byte length first), and the SCT's own extensions (2-byte length first);
3. its timestamp lies within the log key's `validFor`.

One valid SCT is enough, as cosign asks by default. A trusted root that lists no CT log cannot
check any, and says so (`NOT_CHECKED`) rather than refuse every certificate. Failures are
`SctProblem`s whose message begins `no SCT` or `bad SCT`.
"""

from __future__ import annotations

import datetime
import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.certificate_transparency import (
    LogEntryType,
    SignatureAlgorithm,
    SignedCertificateTimestamp,
    Version,
)

from hullguard.signing.trustroot import TransparencyLog, TrustedRoot

NOT_CHECKED = "SCT not checked: the trusted root lists no CT log"
MAX_SCTS = 16
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
CERTIFICATE_TIMESTAMP = 0
PRECERT_ENTRY = 1


class SctProblem(Exception):
    """An embedded SCT that is missing or does not verify; the message says why."""


def issuer_key_hash(issuer: x509.Certificate) -> bytes:
    """The SHA-256 of the issuing CA's DER SubjectPublicKeyInfo, as a precertificate entry
    names its issuer."""
    der = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()


def milliseconds(moment: datetime.datetime) -> int:
    """A time as an SCT carries it: milliseconds since the epoch (a naive time is UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    return (aware - EPOCH) // datetime.timedelta(milliseconds=1)


def precertificate_signed_data(
    timestamp: int, key_hash: bytes, tbs: bytes, extensions: bytes = b""
) -> bytes:
    """The bytes a CT log signs in an SCT for a precertificate (RFC 6962 section 3.2)."""
    if len(key_hash) != 32 or len(tbs) >= 1 << 24 or len(extensions) >= 1 << 16:
        raise SctProblem("bad SCT: the certificate or the SCT's extensions are too long")
    return b"".join(
        (
            bytes((0, CERTIFICATE_TIMESTAMP)),
            timestamp.to_bytes(8, "big"),
            PRECERT_ENTRY.to_bytes(2, "big"),
            key_hash,
            len(tbs).to_bytes(3, "big"),
            tbs,
            len(extensions).to_bytes(2, "big"),
            extensions,
        )
    )


def embedded_scts(leaf: x509.Certificate) -> list[SignedCertificateTimestamp]:
    """The SCTs in the leaf's SCT list extension (none when it has none)."""
    try:
        extension = leaf.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps
        )
    except x509.ExtensionNotFound:
        return []
    except ValueError as exc:
        raise SctProblem(f"bad SCT: the certificate's extensions cannot be read ({exc})") from None
    return list(extension.value)


def _signature_verifies(sct: SignedCertificateTimestamp, key: object, signed: bytes) -> bool:
    try:
        algorithm = sct.signature_hash_algorithm
        if sct.signature_algorithm is SignatureAlgorithm.ECDSA and isinstance(
            key, ec.EllipticCurvePublicKey
        ):
            key.verify(sct.signature, signed, ec.ECDSA(algorithm))
        elif sct.signature_algorithm is SignatureAlgorithm.RSA and isinstance(
            key, rsa.RSAPublicKey
        ):
            key.verify(sct.signature, signed, padding.PKCS1v15(), algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _sct_problem(
    sct: SignedCertificateTimestamp, log: TransparencyLog, key_hash: bytes, tbs: bytes
) -> str | None:
    """Why `sct`, from `log`, does not vouch for the certificate whose precertificate TBS is
    `tbs`, or None when it does."""
    if sct.version is not Version.v1:
        return f"the SCT of {log.base_url} is not a v1 SCT"
    if sct.entry_type is not LogEntryType.PRE_CERTIFICATE:
        return f"the SCT of {log.base_url} is not for a precertificate"
    when = milliseconds(sct.timestamp)
    signed = precertificate_signed_data(when, key_hash, tbs, sct.extension_bytes)
    if not _signature_verifies(sct, log.key, signed):
        return (
            f"the SCT of {log.base_url} does not verify with the log's key (the certificate, "
            "its issuer or the SCT was altered, or another log signed it)"
        )
    moment = EPOCH + datetime.timedelta(milliseconds=when)
    if not log.valid.holds(moment):
        return (
            f"the key of the CT log {log.base_url} was not valid at {moment.isoformat()}, when "
            f"the SCT was issued (valid {log.valid})"
        )
    return None


def check_embedded_sct(leaf: x509.Certificate, issuer: x509.Certificate, root: TrustedRoot) -> str:
    """Which CT log vouched for `leaf` (issued by `issuer`), and when; NOT_CHECKED when the
    trusted root lists no CT log; else SctProblem with the reason."""
    if not root.ct_logs:
        return NOT_CHECKED
    scts = embedded_scts(leaf)
    if not scts:
        raise SctProblem(
            "no SCT: the certificate embeds no signed certificate timestamp, so nothing shows "
            "it was logged in a CT log of the trusted root"
        )
    try:
        tbs = leaf.tbs_precertificate_bytes
    except ValueError as exc:
        raise SctProblem(f"bad SCT: the certificate's TBS cannot be rebuilt ({exc})") from None
    key_hash = issuer_key_hash(issuer)
    problems = []
    for sct in scts[:MAX_SCTS]:
        log_id = sct.log_id.hex()
        log = root.ct_log(log_id)
        if log is None:
            problems.append(
                f"an SCT from the CT log {log_id[:16]}..., which the trusted root does not list"
            )
            continue
        problem = _sct_problem(sct, log, key_hash, tbs)
        if problem is None:
            moment = EPOCH + datetime.timedelta(milliseconds=milliseconds(sct.timestamp))
            return f"SCT from {log.base_url} at {moment.isoformat()}"
        problems.append(problem)
    raise SctProblem("bad SCT: " + "; ".join(problems))
