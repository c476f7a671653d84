"""Certificate Transparency: the SCT a test CT log gave for each leaf's precertificate, embedded
as Fulcio embeds it, verified against the trusted root's `ctlogs`; each way it can fail gives
its reason."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.certificate_transparency import LogEntryType

from hullguard.signing.keyless import (
    IdentityPolicy,
    KeylessPolicy,
    KeylessProblem,
    verify_keyless,
)
from hullguard.signing.sct import (
    NOT_CHECKED,
    SctProblem,
    check_embedded_sct,
    embedded_scts,
    milliseconds,
    precertificate_signed_data,
)
from hullguard.signing.trustroot import TrustRootProblem, parse_trusted_root
from hullguard.signing.verify import judge_bundle
from tests.signing.sigstore import (
    CT_LOG_URL,
    IDENTITY,
    ISSUER,
    Keyless,
    LocalSigstore,
    SctSpec,
    keyless_bundle,
)

PAYLOAD = b'{"critical":{"type":"cosign container image signature"},"optional":null}'
DIGEST = "sha256:" + "ef" * 32
DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def sigstore() -> LocalSigstore:
    return LocalSigstore()


def _policy(sigstore: LocalSigstore, **root: Any) -> KeylessPolicy:
    document = json.dumps(sigstore.trusted_root(**root)).encode()
    return KeylessPolicy(parse_trusted_root(document), IdentityPolicy(ISSUER, IDENTITY))


def _verify(signed: Keyless, policy: KeylessPolicy) -> str:
    return verify_keyless(
        signed.certificate, signed.signature, PAYLOAD, PAYLOAD, signed.entry, policy
    )


def test_the_leaf_embeds_one_sct_for_its_precertificate(sigstore: LocalSigstore) -> None:
    leaf = sigstore.sign(PAYLOAD, PAYLOAD).certificate
    (sct,) = embedded_scts(leaf)
    assert sct.entry_type is LogEntryType.PRE_CERTIFICATE
    listed = sigstore.trusted_root()["ctlogs"][0]["logId"]["keyId"]
    assert base64.b64encode(sct.log_id).decode() == listed
    assert milliseconds(sct.timestamp) == int(sigstore.now.timestamp()) * 1000
    assert x509.PrecertPoison not in [type(e.value) for e in leaf.extensions]


def test_a_valid_sct(sigstore: LocalSigstore) -> None:
    reason = _verify(sigstore.sign(PAYLOAD, PAYLOAD), _policy(sigstore))
    assert reason.startswith(f"keyless: signed by {IDENTITY} (issuer {ISSUER}) at ")
    assert reason.endswith(f"at index 42; SCT from {CT_LOG_URL} at {sigstore.now.isoformat()}"), (
        reason
    )


def test_a_valid_sct_in_a_sigstore_bundle(sigstore: LocalSigstore) -> None:
    valid, reason = judge_bundle(keyless_bundle(sigstore, DIGEST), DIGEST, None, _policy(sigstore))
    assert valid, reason
    assert f"SCT from {CT_LOG_URL}" in reason


@pytest.mark.parametrize(
    ("sct", "window", "reason"),
    [
        (
            SctSpec(log_key=ec.generate_private_key(ec.SECP256R1())),
            None,
            r"^bad SCT: an SCT from the CT log [0-9a-f]{16}\.\.\., which the trusted root does "
            r"not list$",
        ),
        (
            SctSpec(tampered=True),
            None,
            rf"^bad SCT: the SCT of {CT_LOG_URL} does not verify with the log's key",
        ),
        (
            SctSpec(),
            (DAY, None),
            rf"^bad SCT: the key of the CT log {CT_LOG_URL} was not valid at .*, when the SCT "
            r"was issued \(valid ",
        ),
        (
            SctSpec(),
            (-30 * DAY, -DAY),
            rf"^bad SCT: the key of the CT log {CT_LOG_URL} was not valid at ",
        ),
        (None, None, r"^no SCT: the certificate embeds no signed certificate timestamp"),
    ],
    ids=["unknown-log", "tampered-signature", "before-log-validity", "after-log-validity", "none"],
)
def test_each_sct_failure_has_its_reason(
    sigstore: LocalSigstore,
    sct: SctSpec | None,
    window: tuple[datetime.timedelta, datetime.timedelta | None] | None,
    reason: str,
) -> None:
    root: dict[str, Any] = {}
    if window is not None:
        start, end = window
        root["ct_window"] = (sigstore.now + start, None if end is None else sigstore.now + end)
    signed = sigstore.sign(PAYLOAD, PAYLOAD, sct=sct)
    with pytest.raises(KeylessProblem, match=reason):
        _verify(signed, _policy(sigstore, **root))


def test_an_sct_stamped_within_the_log_validity_passes(sigstore: LocalSigstore) -> None:
    late = sigstore.now + datetime.timedelta(minutes=2)
    root = {"ct_window": (sigstore.now - DAY, sigstore.now + datetime.timedelta(minutes=3))}
    signed = sigstore.sign(PAYLOAD, PAYLOAD, sct=SctSpec(timestamp=late))
    assert _verify(signed, _policy(sigstore, **root)).endswith(
        f"SCT from {CT_LOG_URL} at {late.isoformat()}"
    )


def test_the_sct_is_bound_to_the_issuer_key(sigstore: LocalSigstore) -> None:
    leaf = sigstore.sign(PAYLOAD, PAYLOAD).certificate
    root = parse_trusted_root(json.dumps(sigstore.trusted_root()).encode())
    assert check_embedded_sct(leaf, sigstore.intermediate, root).startswith("SCT from")
    with pytest.raises(SctProblem, match=r"^bad SCT: the SCT of .* does not verify"):
        check_embedded_sct(leaf, sigstore.root, root)


def test_one_valid_sct_of_several_is_enough(sigstore: LocalSigstore) -> None:
    """A second CT log in the root: an SCT from the first still vouches for the leaf."""
    document = sigstore.trusted_root()
    other = LocalSigstore(sigstore.now).trusted_root()["ctlogs"][0]
    other["baseUrl"] = "https://other-ctfe.example.test"
    document["ctlogs"].insert(0, other)
    root = parse_trusted_root(json.dumps(document).encode())
    assert [log.base_url for log in root.ct_logs] == ["https://other-ctfe.example.test", CT_LOG_URL]
    leaf = sigstore.sign(PAYLOAD, PAYLOAD).certificate
    assert check_embedded_sct(leaf, sigstore.intermediate, root).startswith(
        f"SCT from {CT_LOG_URL}"
    )


def test_without_ct_logs_the_sct_is_not_checked(sigstore: LocalSigstore) -> None:
    policy = _policy(sigstore, ct_logs=False)
    with_sct = _verify(sigstore.sign(PAYLOAD, PAYLOAD), policy)
    assert with_sct.endswith(f"; {NOT_CHECKED}")
    without = _verify(sigstore.sign(PAYLOAD, PAYLOAD, sct=None), policy)
    assert without.endswith("; SCT not checked: the trusted root lists no CT log")


def test_the_signed_structure() -> None:
    """RFC 6962 section 3.2, field by field."""
    data = precertificate_signed_data(0x0102030405060708, b"\xaa" * 32, b"TBS", b"E")
    assert data == (
        b"\x00\x00"
        + bytes.fromhex("0102030405060708")
        + b"\x00\x01"
        + b"\xaa" * 32
        + b"\x00\x00\x03TBS"
        + b"\x00\x01E"
    )
    with pytest.raises(SctProblem, match="too long"):
        precertificate_signed_data(0, b"\xaa" * 32, b"x" * (1 << 24))


def test_a_trusted_root_with_a_bad_ct_log(sigstore: LocalSigstore) -> None:
    document = sigstore.trusted_root()
    document["ctlogs"][0]["logId"]["keyId"] = base64.b64encode(b"\0" * 32).decode()
    with pytest.raises(TrustRootProblem, match=r"ctlogs\[0\]: `logId.keyId` is not the SHA-256"):
        parse_trusted_root(json.dumps(document).encode())
    document = sigstore.trusted_root()
    document["ctlogs"][0]["publicKey"]["rawBytes"] = base64.b64encode(b"not a key").decode()
    with pytest.raises(TrustRootProblem, match=r"ctlogs\[0\]\.publicKey: not a DER public key"):
        parse_trusted_root(json.dumps(document).encode())
    document = sigstore.trusted_root()
    document["ctlogs"] = {"not": "a list"}
    with pytest.raises(TrustRootProblem, match="`ctlogs` is not a list of objects"):
        parse_trusted_root(json.dumps(document).encode())


def test_a_garbled_sct_list_is_a_reason_not_a_crash(sigstore: LocalSigstore) -> None:
    signed = sigstore.sign(PAYLOAD, PAYLOAD, sct=SctSpec(garbled=True))
    with pytest.raises(KeylessProblem, match="the certificate's extensions cannot be read"):
        _verify(signed, _policy(sigstore))
    with pytest.raises(SctProblem, match=r"^bad SCT: the certificate's extensions cannot be read"):
        check_embedded_sct(
            signed.certificate,
            sigstore.intermediate,
            parse_trusted_root(json.dumps(sigstore.trusted_root()).encode()),
        )
