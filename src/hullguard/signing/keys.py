"""ECDSA P-256 key pairs in cosign's formats.

The public key is a PKIX `PUBLIC KEY` PEM. The private key is PKCS#8 DER, encrypted with NaCl
secretbox (XSalsa20-Poly1305, a 24-byte random nonce) under a 32-byte key derived from the
password by scrypt (N=32768, r=8, p=1, a 32-byte random salt), and kept as a JSON envelope
(`kdf` {name, params {N, r, p}, salt}, `cipher` {name, nonce}, `ciphertext`; bytes in standard
base64) in an `ENCRYPTED SIGSTORE PRIVATE KEY` PEM block. Older cosign wrote the block type
`ENCRYPTED COSIGN PRIVATE KEY`; both are read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping
from typing import Any

import nacl.exceptions
import nacl.secret
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

PEM_TYPE = "ENCRYPTED SIGSTORE PRIVATE KEY"
OLD_PEM_TYPE = "ENCRYPTED COSIGN PRIVATE KEY"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
MAX_SCRYPT_N = 1 << 20
MAX_KEY_BYTES = 64 * 1024
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]*?)\s*-----END \1-----", re.DOTALL)


class KeyProblem(Exception):
    """A key cannot be used; the message says why."""


def _derive(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def _pem(block_type: str, body: bytes) -> bytes:
    text = base64.b64encode(body).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return (
        f"-----BEGIN {block_type}-----\n" + "\n".join(lines) + f"\n-----END {block_type}-----\n"
    ).encode()


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, password: bytes) -> bytes:
    """The key as cosign's encrypted PEM."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt = os.urandom(32)
    nonce = os.urandom(nacl.secret.SecretBox.NONCE_SIZE)
    box = nacl.secret.SecretBox(_derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    ciphertext = box.encrypt(der, nonce).ciphertext
    envelope = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    return _pem(PEM_TYPE, json.dumps(envelope, separators=(",", ":")).encode())


def public_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def generate_keypair(password: bytes | str) -> tuple[bytes, bytes]:
    """(encrypted private key PEM, public key PEM) of a new ECDSA P-256 key."""
    secret = password.encode() if isinstance(password, str) else password
    key = ec.generate_private_key(ec.SECP256R1())
    return encrypt_private_key(key, secret), public_pem(key.public_key())


def _pem_block(pem: bytes, what: str) -> tuple[str, bytes]:
    if len(pem) > MAX_KEY_BYTES:
        raise KeyProblem(f"{what}: {len(pem)} bytes is too large for a key")
    try:
        text = pem.decode("ascii")
    except UnicodeDecodeError:
        raise KeyProblem(f"{what}: not a PEM file (not ASCII text)") from None
    match = _PEM.search(text)
    if match is None:
        raise KeyProblem(f"{what}: not a PEM file (no complete BEGIN/END block)")
    try:
        body = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"{what}: the PEM block's base64 is corrupt") from None
    return match.group(1), body


def _b64_field(document: Mapping[str, Any], name: str, what: str) -> bytes:
    value = document.get(name)
    if not isinstance(value, str):
        raise KeyProblem(f"{what}: the envelope has no `{name}`")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"{what}: the envelope's `{name}` is not base64") from None


def load_private_key(
    pem: bytes, password: bytes | str, what: str = "private key"
) -> ec.EllipticCurvePrivateKey:
    """Decrypt a cosign private key. KeyProblem for a malformed key or a wrong password."""
    secret = password.encode() if isinstance(password, str) else password
    block_type, body = _pem_block(pem, what)
    if block_type not in (PEM_TYPE, OLD_PEM_TYPE):
        raise KeyProblem(
            f"{what}: a `{block_type}` PEM block, not a cosign private key "
            f"(`{PEM_TYPE}` or `{OLD_PEM_TYPE}`)"
        )
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise KeyProblem(f"{what}: the encrypted key is not a JSON envelope") from None
    if not isinstance(envelope, Mapping):
        raise KeyProblem(f"{what}: the encrypted key is not a JSON object")
    kdf, cipher = envelope.get("kdf"), envelope.get("cipher")
    if not isinstance(kdf, Mapping) or kdf.get("name") != "scrypt":
        raise KeyProblem(f"{what}: unsupported key derivation (only scrypt is)")
    if not isinstance(cipher, Mapping) or cipher.get("name") != "nacl/secretbox":
        raise KeyProblem(f"{what}: unsupported cipher (only nacl/secretbox is)")
    params = kdf.get("params")
    numbers = [params.get(k) if isinstance(params, Mapping) else None for k in ("N", "r", "p")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in numbers):
        raise KeyProblem(f"{what}: the scrypt parameters are missing or not positive integers")
    n, r, p = (int(v) for v in numbers)  # type: ignore[arg-type]
    if n > MAX_SCRYPT_N or n & (n - 1) or r * p > 64:
        raise KeyProblem(f"{what}: scrypt parameters N={n} r={r} p={p} are out of range")
    salt = _b64_field(kdf, "salt", what)
    nonce = _b64_field(cipher, "nonce", what)
    ciphertext = _b64_field(envelope, "ciphertext", what)
    if len(nonce) != nacl.secret.SecretBox.NONCE_SIZE:
        raise KeyProblem(f"{what}: the nonce is {len(nonce)} bytes, not 24")
    try:
        derived = _derive(secret, salt, n, r, p)
    except (ValueError, MemoryError) as exc:
        raise KeyProblem(f"{what}: scrypt cannot run with these parameters ({exc})") from None
    try:
        der = nacl.secret.SecretBox(derived).decrypt(ciphertext, nonce)
    except nacl.exceptions.CryptoError:
        raise KeyProblem(
            f"{what}: wrong password (or the encrypted key is corrupt): it does not decrypt"
        ) from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyProblem(f"{what}: the decrypted key is not a PKCS#8 private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyProblem(f"{what}: not an ECDSA key (only ECDSA keys are supported)")
    return key


def load_public_key(pem: bytes, what: str = "public key") -> ec.EllipticCurvePublicKey:
    """A PEM `PUBLIC KEY` (ECDSA). KeyProblem when malformed or another algorithm."""
    block_type, body = _pem_block(pem, what)
    if block_type != "PUBLIC KEY":
        raise KeyProblem(f"{what}: a `{block_type}` PEM block, not a `PUBLIC KEY`")
    try:
        key = serialization.load_der_public_key(body)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyProblem(f"{what}: the PEM block is not a valid public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyProblem(f"{what}: not an ECDSA public key (only ECDSA keys are supported)")
    return key
