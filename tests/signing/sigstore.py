"""A test stand-in for Sigstore's public services: a certificate authority acting as Fulcio
(root and intermediate, leaves that live ten minutes with the OIDC issuer extension), a
Certificate Transparency log whose SCT each leaf embeds (issued as Fulcio does, through a
precertificate), a Rekor log key that signs entry timestamps, and the trusted root JSON that
names them. It makes keyless signatures as cosign stores them (layer annotations) and as
Sigstore bundles."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hullguard.signing.keyless import LogEntry, signed_entry_data

ISSUER = "https://issuer.example.test"
IDENTITY = "builder@example.test"
CT_LOG_URL = "https://ctfe.example.test"
TEN_MINUTES = datetime.timedelta(minutes=10)
SCT_LIST = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hullguard tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _der_utf8(text: str) -> bytes:
    data = text.encode()
    assert len(data) < 128
    return bytes([0x0C, len(data)]) + data


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class SctSpec:
    """How a leaf's SCT is made: by which CT log key, stamped when, and whether its signature
    is then altered; `None` for a leaf without one."""

    log_key: ec.EllipticCurvePrivateKey | None = None  # None: the CT log of the trusted root
    timestamp: datetime.datetime | None = None  # None: the leaf's start
    tampered: bool = False
    garbled: bool = False  # an SCT list whose lengths do not add up


def sct_list_extension(
    log_key: ec.EllipticCurvePrivateKey,
    timestamp: datetime.datetime,
    issuer_key: ec.EllipticCurvePublicKey,
    precertificate_tbs: bytes,
    tampered: bool = False,
) -> x509.UnrecognizedExtension:
    """The SCT list extension holding one v1 SCT from `log_key` for a precertificate, written
    out byte by byte as RFC 6962 sections 3.2 and 3.3 lay it out."""
    log_id = hashlib.sha256(_spki(log_key.public_key())).digest()
    millis = round(timestamp.timestamp() * 1000)
    signed = (
        struct.pack(">BBQH", 0, 0, millis, 1)
        + hashlib.sha256(_spki(issuer_key)).digest()
        + len(precertificate_tbs).to_bytes(3, "big")
        + precertificate_tbs
        + struct.pack(">H", 0)
    )
    signature = bytearray(log_key.sign(signed, ec.ECDSA(hashes.SHA256())))
    if tampered:
        signature[-1] ^= 0x01
    sct = (
        bytes([0])
        + log_id
        + struct.pack(">QH", millis, 0)
        + bytes([4, 3])  # sha256, ecdsa
        + struct.pack(">H", len(signature))
        + bytes(signature)
    )
    listed = struct.pack(">H", len(sct)) + sct
    scts = struct.pack(">H", len(listed)) + listed
    octets = bytes([0x04]) + _der_length(len(scts)) + scts
    return x509.UnrecognizedExtension(SCT_LIST, octets)


def _ca(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    start: datetime.datetime,
    end: datetime.datetime,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (_name(name), key)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )


@dataclass
class Keyless:
    """One keyless signature: the leaf, its signature over the signed bytes, the log entry."""

    certificate: x509.Certificate
    signature: bytes
    entry: LogEntry

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


class LocalSigstore:
    """Fulcio and Rekor for tests, their trust anchored in one trusted root."""

    def __init__(self, now: datetime.datetime | None = None) -> None:
        self.now = now or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        year = datetime.timedelta(days=365)
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.root = _ca("test fulcio root", self.root_key, None, self.now - year, self.now + year)
        self.intermediate_key = ec.generate_private_key(ec.SECP384R1())
        self.intermediate = _ca(
            "test fulcio intermediate",
            self.intermediate_key,
            (self.root.subject, self.root_key),
            self.now - year,
            self.now + year,
        )
        self.rekor_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor_der = self.rekor_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.log_id = hashlib.sha256(self.rekor_der).hexdigest()
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.ct_der = _spki(self.ct_key.public_key())

    def trusted_root(
        self,
        ca_end: datetime.datetime | None = None,
        *,
        ct_logs: bool = True,
        ct_window: tuple[datetime.datetime, datetime.datetime | None] | None = None,
    ) -> dict[str, Any]:
        """The trusted root JSON document naming this CA, Rekor log and CT log (none without
        `ct_logs`; the CT log key valid in `ct_window` when given)."""
        start = (self.now - datetime.timedelta(days=30)).isoformat().replace("+00:00", "Z")
        window: dict[str, str] = {"start": start}
        if ca_end is not None:
            window["end"] = ca_end.isoformat().replace("+00:00", "Z")
        ct_valid = {"start": start}
        if ct_window is not None:
            ct_valid = {"start": ct_window[0].isoformat().replace("+00:00", "Z")}
            if ct_window[1] is not None:
                ct_valid["end"] = ct_window[1].isoformat().replace("+00:00", "Z")
        ct_log = {
            "baseUrl": CT_LOG_URL,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": _b64(self.ct_der),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": ct_valid,
            },
            "logId": {"keyId": _b64(hashlib.sha256(self.ct_der).digest())},
        }
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                {
                    "baseUrl": "https://rekor.example.test",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": _b64(self.rekor_der),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": start},
                    },
                    "logId": {"keyId": _b64(bytes.fromhex(self.log_id))},
                }
            ],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "hullguard tests", "commonName": "test fulcio"},
                    "uri": "https://fulcio.example.test",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": _b64(c.public_bytes(serialization.Encoding.DER))}
                            for c in (self.intermediate, self.root)
                        ]
                    },
                    "validFor": window,
                }
            ],
            "ctlogs": [ct_log] if ct_logs else [],
            "timestampAuthorities": [],
        }

    def leaf(
        self,
        key: ec.EllipticCurvePrivateKey,
        *,
        identity: str = IDENTITY,
        issuer: str = ISSUER,
        start: datetime.datetime | None = None,
        old_issuer_extension: bool = False,
        signer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
        sct: SctSpec | None = SctSpec(),
    ) -> x509.Certificate:
        """A Fulcio-style leaf for `key`: ten minutes long, code signing, the identity as an
        email or URI, the issuer in extension .8 (or the deprecated .1), and the SCT a CT log
        gave for its precertificate (made as `sct` says; none when None)."""
        start = start or self.now
        parent, parent_key = signer or (self.intermediate, self.intermediate_key)
        name: x509.GeneralName = (
            x509.UniformResourceIdentifier(identity)
            if "://" in identity
            else x509.RFC822Name(identity)
        )
        oid, value = (
            ("1.3.6.1.4.1.57264.1.1", issuer.encode())
            if old_issuer_extension
            else ("1.3.6.1.4.1.57264.1.8", _der_utf8(issuer))
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(parent.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + TEN_MINUTES)
            .add_extension(x509.SubjectAlternativeName([name]), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
            .add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False
            )
        )
        if sct is None:
            return builder.sign(parent_key, hashes.SHA256())
        # the precertificate the CT log sees: the certificate-to-be with the poison extension
        # last; its TBS without the poison is that of the same certificate without it
        precertificate = builder.add_extension(x509.PrecertPoison(), critical=True).sign(
            parent_key, hashes.SHA256()
        )
        assert precertificate.extensions.get_extension_for_class(x509.PrecertPoison).critical
        unpoisoned_tbs = builder.sign(parent_key, hashes.SHA256()).tbs_certificate_bytes
        extension = sct_list_extension(
            sct.log_key or self.ct_key,
            sct.timestamp or start,
            parent_key.public_key(),
            unpoisoned_tbs,
            sct.tampered,
        )
        if sct.garbled:
            extension = x509.UnrecognizedExtension(SCT_LIST, b"\x04\x05\x00\x09abc")
        return builder.add_extension(extension, critical=False).sign(parent_key, hashes.SHA256())

    def log(
        self,
        body: dict[str, Any],
        integrated_time: datetime.datetime,
        index: int = 42,
        log_key: ec.EllipticCurvePrivateKey | None = None,
    ) -> LogEntry:
        """A log entry for `body`, its SET signed by the log key (or `log_key`)."""
        unsigned = LogEntry(
            _b64(json.dumps(body, separators=(",", ":")).encode()),
            int(integrated_time.timestamp()),
            index,
            self.log_id,
            b"",
        )
        signer = log_key or self.rekor_key
        timestamp = signer.sign(signed_entry_data(unsigned), ec.ECDSA(hashes.SHA256()))
        return LogEntry(
            unsigned.body,
            unsigned.integrated_time,
            unsigned.log_index,
            unsigned.log_id,
            timestamp,
        )

    def sign(
        self,
        signed: bytes,
        payload: bytes,
        *,
        kind: str = "hashedrekord",
        logged_at: datetime.datetime | None = None,
        **leaf: Any,
    ) -> Keyless:
        """A keyless signature over `signed` (the payload, or a DSSE PAE over it), logged."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self.leaf(key, **leaf)
        signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        digest = {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}
        body: dict[str, Any]
        if kind == "dsse":
            body = {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "payloadHash": digest,
                    "signatures": [{"signature": _b64(signature), "verifier": _b64(pem)}],
                },
            }
        else:
            body = {
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": digest},
                    "signature": {"content": _b64(signature), "publicKey": {"content": _b64(pem)}},
                },
            }
        moment = logged_at or (leaf.get("start") or self.now) + datetime.timedelta(minutes=1)
        return Keyless(certificate, signature, self.log(body, moment))


def cosign_annotations(keyless: Keyless, sigstore: LocalSigstore) -> dict[str, str]:
    """The layer annotations cosign writes for a keyless signature."""
    chain = b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in (sigstore.intermediate, sigstore.root)
    )
    entry = keyless.entry
    bundle = {
        "SignedEntryTimestamp": _b64(entry.signed_entry_timestamp),
        "Payload": {
            "body": entry.body,
            "integratedTime": entry.integrated_time,
            "logIndex": entry.log_index,
            "logID": entry.log_id,
        },
    }
    return {
        "dev.cosignproject.cosign/signature": _b64(keyless.signature),
        "dev.sigstore.cosign/certificate": keyless.certificate_pem,
        "dev.sigstore.cosign/chain": chain.decode(),
        "dev.sigstore.cosign/bundle": json.dumps(bundle, separators=(",", ":")),
    }


STATEMENT_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(digest: str) -> bytes:
    return json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "image", "digest": {"sha256": digest.partition(":")[2]}}],
            "predicateType": "https://sigstore.dev/cosign/sign/v1",
            "predicate": {},
        }
    ).encode()


def keyless_bundle(sigstore: LocalSigstore, digest: str, **leaf: Any) -> dict[str, Any]:
    """A Sigstore bundle v0.3 with a DSSE envelope over an in-toto statement for `digest`,
    signed keyless and logged as a `dsse` entry."""
    payload = statement(digest)
    keyless = sigstore.sign(pae(STATEMENT_TYPE, payload), payload, kind="dsse", **leaf)
    entry = keyless.entry
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {
                "rawBytes": _b64(keyless.certificate.public_bytes(serialization.Encoding.DER))
            },
            "tlogEntries": [
                {
                    "logIndex": str(entry.log_index),
                    "logId": {"keyId": _b64(bytes.fromhex(entry.log_id))},
                    "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                    "integratedTime": str(entry.integrated_time),
                    "inclusionPromise": {
                        "signedEntryTimestamp": _b64(entry.signed_entry_timestamp)
                    },
                    "canonicalizedBody": entry.body,
                }
            ],
        },
        "dsseEnvelope": {
            "payload": _b64(payload),
            "payloadType": STATEMENT_TYPE,
            "signatures": [{"sig": _b64(keyless.signature), "keyid": ""}],
        },
    }
