"""Keys in cosign's formats: generation, encryption round trip, and clear errors."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hullguard.signing.keys import (
    OLD_PEM_TYPE,
    PEM_TYPE,
    KeyProblem,
    generate_keypair,
    load_private_key,
    load_public_key,
)


@pytest.fixture(scope="module")
def pair() -> tuple[bytes, bytes]:
    return generate_keypair("correct horse")


def _envelope(pem: bytes) -> dict[str, object]:
    body = b"".join(pem.splitlines()[1:-1])
    document: dict[str, object] = json.loads(base64.b64decode(body))
    return document


def test_round_trip_signs_with_the_public_key(pair: tuple[bytes, bytes]) -> None:
    private_pem, public_pem = pair
    assert private_pem.startswith(f"-----BEGIN {PEM_TYPE}-----\n".encode())
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    key = load_private_key(private_pem, "correct horse")
    assert isinstance(key.curve, ec.SECP256R1)
    signature = key.sign(b"payload", ec.ECDSA(hashes.SHA256()))
    load_public_key(public_pem).verify(signature, b"payload", ec.ECDSA(hashes.SHA256()))


def test_the_envelope_is_cosigns(pair: tuple[bytes, bytes]) -> None:
    envelope = _envelope(pair[0])
    assert envelope["kdf"] == {
        "name": "scrypt",
        "params": {"N": 32768, "r": 8, "p": 1},
        "salt": envelope["kdf"]["salt"],  # type: ignore[index]
    }
    assert len(base64.b64decode(envelope["kdf"]["salt"])) == 32  # type: ignore[index]
    assert envelope["cipher"]["name"] == "nacl/secretbox"  # type: ignore[index]
    assert len(base64.b64decode(envelope["cipher"]["nonce"])) == 24  # type: ignore[index]


def test_the_older_block_type_is_read(pair: tuple[bytes, bytes]) -> None:
    old = pair[0].replace(PEM_TYPE.encode(), OLD_PEM_TYPE.encode())
    load_private_key(old, b"correct horse")


def test_an_empty_password_works() -> None:
    private_pem, _ = generate_keypair("")
    load_private_key(private_pem, "")


def test_wrong_password(pair: tuple[bytes, bytes]) -> None:
    with pytest.raises(KeyProblem, match="wrong password"):
        load_private_key(pair[0], "battery staple")


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (b"", "not a PEM file"),
        (b"\xff\xfe", "not ASCII"),
        (b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n!!!!\n", "no complete"),
        (
            b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n"
            b"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            "not a JSON envelope",
        ),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a cosign"),
        (b"x" * 100_000, "too large"),
    ],
)
def test_malformed_private_keys(pem: bytes, message: str) -> None:
    with pytest.raises(KeyProblem, match=message):
        load_private_key(pem, "x")


@pytest.mark.parametrize(
    "change",
    [
        {"kdf": {"name": "pbkdf2"}},
        {"cipher": {"name": "aes"}},
        {"ciphertext": "***"},
    ],
)
def test_corrupt_envelopes(pair: tuple[bytes, bytes], change: dict[str, object]) -> None:
    envelope = {**_envelope(pair[0]), **change}
    body = base64.b64encode(json.dumps(envelope).encode())
    pem = b"-----BEGIN " + PEM_TYPE.encode() + b"-----\n" + body + b"\n-----END "
    pem += PEM_TYPE.encode() + b"-----\n"
    with pytest.raises(KeyProblem):
        load_private_key(pem, "correct horse")


def test_huge_scrypt_parameters_are_refused(pair: tuple[bytes, bytes]) -> None:
    envelope = _envelope(pair[0])
    envelope["kdf"]["params"]["N"] = 1 << 40  # type: ignore[index]
    body = base64.b64encode(json.dumps(envelope).encode())
    pem = f"-----BEGIN {PEM_TYPE}-----\n{body.decode()}\n-----END {PEM_TYPE}-----\n".encode()
    with pytest.raises(KeyProblem, match="out of range"):
        load_private_key(pem, "correct horse")


def test_malformed_public_keys(pair: tuple[bytes, bytes]) -> None:
    with pytest.raises(KeyProblem, match="not a `PUBLIC KEY`"):
        load_public_key(pair[0])
    with pytest.raises(KeyProblem, match="not a valid public key"):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
