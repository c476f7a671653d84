"""Keyless signatures verified offline against a trusted root built here: a test CA acting as
Fulcio, a test Rekor key; each way a signature can fail gives its reason."""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hullguard.signing.keyless import (
    IdentityPolicy,
    KeylessPolicy,
    KeylessProblem,
    cosign_bundle_entry,
    verify_keyless,
)
from hullguard.signing.trustroot import TrustRootProblem, parse_trusted_root
from hullguard.signing.verify import NOT_OFFLINE, judge_bundle
from tests.signing.sigstore import (
    IDENTITY,
    ISSUER,
    Keyless,
    LocalSigstore,
    cosign_annotations,
    keyless_bundle,
)

PAYLOAD = b'{"critical":{"type":"cosign container image signature"},"optional":null}'
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def sigstore() -> LocalSigstore:
    return LocalSigstore()


def _policy(
    sigstore: LocalSigstore,
    identity: str | None = IDENTITY,
    issuer: str = ISSUER,
    regexp: str | None = None,
    **root: Any,
) -> KeylessPolicy:
    document = json.dumps(sigstore.trusted_root(**root)).encode()
    return KeylessPolicy(
        parse_trusted_root(document),
        IdentityPolicy(issuer, None if regexp else identity, regexp),
    )


def _verify(signed: Keyless, policy: KeylessPolicy, payload: bytes = PAYLOAD) -> str:
    return verify_keyless(
        signed.certificate, signed.signature, payload, payload, signed.entry, policy
    )


def test_a_keyless_signature_verifies(sigstore: LocalSigstore) -> None:
    signed = sigstore.sign(PAYLOAD, PAYLOAD)
    reason = _verify(signed, _policy(sigstore))
    assert reason.startswith(f"keyless: signed by {IDENTITY} (issuer {ISSUER}) at ")
    assert "logged in https://rekor.example.test at index 42" in reason


def test_the_deprecated_issuer_extension_and_a_uri_identity(sigstore: LocalSigstore) -> None:
    workflow = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1"
    signed = sigstore.sign(PAYLOAD, PAYLOAD, identity=workflow, old_issuer_extension=True)
    policy = _policy(sigstore, regexp=r"^https://github\.com/example/app/")
    assert f"signed by {workflow}" in _verify(signed, policy)
    with pytest.raises(KeylessProblem, match=r"^identity mismatch: signed by https://github"):
        _verify(signed, _policy(sigstore, regexp=r"^https://github\.com/other/"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("identity", "identity mismatch: signed by builder@example.test, not someone@"),
        ("issuer", "issuer mismatch: the identity was vouched for by https://issuer.example"),
        ("payload", "bad signature: it does not verify with the certificate's key"),
        ("expired", "expired at signing time: the certificate is valid from"),
        ("ca-window", "expired at signing time: the certificate authority"),
        ("unknown-ca", "unknown CA: the certificate, issued by CN=test fulcio intermediate"),
        ("set-time", "bad SET: the signed entry timestamp does not verify with the key of"),
        ("set-key", "bad SET: the signed entry timestamp does not verify"),
        ("other-log", "bad SET: the entry is from the log"),
        ("no-entry", "no log entry: the signature carries no transparency log entry"),
        ("other-entry", "log entry mismatch: the entry logs another signature"),
    ],
)
def test_each_failure_has_its_reason(sigstore: LocalSigstore, change: str, reason: str) -> None:
    policy = _policy(sigstore)
    payload = PAYLOAD
    signed = sigstore.sign(PAYLOAD, PAYLOAD)
    entry: Any = signed.entry
    if change == "identity":
        policy = _policy(sigstore, identity="someone@example.test")
    elif change == "issuer":
        policy = _policy(sigstore, issuer="https://accounts.example.test")
    elif change == "payload":
        payload = PAYLOAD.replace(b"null", b"{}")
    elif change == "expired":
        signed = sigstore.sign(
            PAYLOAD, PAYLOAD, logged_at=sigstore.now + datetime.timedelta(minutes=11)
        )
        entry = signed.entry
    elif change == "ca-window":
        policy = _policy(sigstore, ca_end=sigstore.now - datetime.timedelta(days=1))
    elif change == "unknown-ca":
        signed = _rogue_signature(sigstore)
        entry = signed.entry
    elif change == "set-time":
        entry = replace(signed.entry, integrated_time=signed.entry.integrated_time + 1)
    elif change == "set-key":
        entry = sigstore.log(
            json.loads(base64.b64decode(signed.entry.body)),
            sigstore.now + datetime.timedelta(minutes=1),
            log_key=ec.generate_private_key(ec.SECP256R1()),
        )
    elif change == "other-log":
        entry = replace(signed.entry, log_id="0" * 64)
    elif change == "no-entry":
        entry = None
    elif change == "other-entry":
        entry = sigstore.sign(PAYLOAD, PAYLOAD).entry  # another signature's entry
    with pytest.raises(KeylessProblem) as caught:
        verify_keyless(signed.certificate, signed.signature, payload, payload, entry, policy)
    assert str(caught.value).startswith(reason), str(caught.value)


def _rogue_signature(sigstore: LocalSigstore) -> Keyless:
    """A leaf from a CA of the same names but other keys, logged in the trusted log."""
    rogue = LocalSigstore(sigstore.now)
    rogue.rekor_key, rogue.log_id = sigstore.rekor_key, sigstore.log_id
    return rogue.sign(PAYLOAD, PAYLOAD)


def test_the_cosign_bundle_annotation_round_trips(sigstore: LocalSigstore) -> None:
    signed = sigstore.sign(PAYLOAD, PAYLOAD)
    annotations = cosign_annotations(signed, sigstore)
    entry = cosign_bundle_entry(annotations["dev.sigstore.cosign/bundle"])
    assert entry == signed.entry
    for bad in ("not json", "{}", '{"SignedEntryTimestamp": "AA==", "Payload": {"body": 1}}'):
        with pytest.raises(KeylessProblem, match=r"^no log entry"):
            cosign_bundle_entry(bad)


def test_a_keyless_bundle(sigstore: LocalSigstore) -> None:
    bundle = keyless_bundle(sigstore, DIGEST)
    policy = _policy(sigstore)
    valid, reason = judge_bundle(bundle, DIGEST, None, policy)
    assert valid, reason
    assert reason.startswith(f"Sigstore bundle, keyless: signed by {IDENTITY}")
    assert judge_bundle(bundle, DIGEST, None, None) == (
        False,
        f"a keyless Sigstore bundle: {NOT_OFFLINE}",
    )
    other = "sha256:" + "cd" * 32
    assert judge_bundle(bundle, other, None, policy) == (
        False,
        "payload digest mismatch: the bundle's statement names another image",
    )
    stranger = judge_bundle(bundle, DIGEST, None, _policy(sigstore, identity="x@example.test"))
    assert stranger[0] is False
    assert stranger[1].startswith("a keyless Sigstore bundle: identity mismatch")
    promise = bundle["verificationMaterial"]["tlogEntries"][0]
    del promise["inclusionPromise"]
    unlogged = judge_bundle(bundle, DIGEST, None, policy)
    assert unlogged[1].startswith("a keyless Sigstore bundle: no log entry: the bundle's log")


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"mediaType": "application/json"}', "not a Sigstore trusted root"),
        (
            b'{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}',
            "no certificate authority",
        ),
    ],
)
def test_unusable_trusted_roots(document: bytes, reason: str) -> None:
    with pytest.raises(TrustRootProblem, match=reason):
        parse_trusted_root(document, "root.json")


def test_a_trusted_root_with_bad_entries(sigstore: LocalSigstore) -> None:
    document = sigstore.trusted_root()
    document["tlogs"][0]["logId"]["keyId"] = base64.b64encode(b"\0" * 32).decode()
    with pytest.raises(TrustRootProblem, match=r"tlogs\[0\]: `logId.keyId` is not the SHA-256"):
        parse_trusted_root(json.dumps(document).encode())
    document = sigstore.trusted_root()
    document["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"] = "%%"
    with pytest.raises(TrustRootProblem, match="is not base64"):
        parse_trusted_root(json.dumps(document).encode())
    document = sigstore.trusted_root()
    document["certificateAuthorities"][0]["validFor"]["start"] = "yesterday"
    with pytest.raises(TrustRootProblem, match="is not an RFC 3339 time"):
        parse_trusted_root(json.dumps(document).encode())


def test_identity_policy_needs_one_identity() -> None:
    with pytest.raises(ValueError, match="one of"):
        IdentityPolicy(ISSUER)
    with pytest.raises(ValueError, match="not a regular expression"):
        IdentityPolicy(ISSUER, identity_regexp="(")
