"""A real certificate of Sigstore's public-good Fulcio (issued 2024-03-19 for a GitHub Actions
release workflow, logged in Rekor at index 79605083) carries an SCT from the public-good CT log
(ctfe.sigstore.dev/2022); it verifies with that log's published key and no other, and only from
the CA that issued it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography import x509

from hullguard.signing.sct import SctProblem, check_embedded_sct
from hullguard.signing.trustroot import TrustedRoot, parse_trusted_root

LEAF = (
    "MIIGzzCCBlSgAwIBAgIUM29bvYkrDKnBVZmVeloTUMlZqNYwCgYIKoZIzj0EAwMwNzEVMBMGA1UEChMMc2lnc3Rv"
    "cmUuZGV2MR4wHAYDVQQDExVzaWdzdG9yZS1pbnRlcm1lZGlhdGUwHhcNMjQwMzE5MjI0MTE1WhcNMjQwMzE5MjI1"
    "MTE1WjAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1q8wmpmK0vesCD05ZE1o5Jyu+g/CtLZLXNEZiIomh1jq"
    "uPMCZrhlPdOfzQws+E+IUBX3pcVUxtn4rYKnMH39oaOCBXMwggVvMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAK"
    "BggrBgEFBQcDAzAdBgNVHQ4EFgQU0PaUbhtp84Orb2YatvZkIjkZiOEwHwYDVR0jBBgwFoAU39Ppz1YkEZb5qNjp"
    "KFWixi4YZD8wZgYDVR0RAQH/BFwwWoZYaHR0cHM6Ly9naXRodWIuY29tL3RyYWlsb2ZiaXRzL3JmYzg3ODUucHkv"
    "LmdpdGh1Yi93b3JrZmxvd3MvcmVsZWFzZS55bWxAcmVmcy90YWdzL3YwLjEuMjA5BgorBgEEAYO/MAEBBCtodHRw"
    "czovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tMBUGCisGAQQBg78wAQIEB3JlbGVhc2UwNgYK"
    "KwYBBAGDvzABAwQoZDhiNGE2NDQ1ZjM4YzQ4YjkxMzdhODA5OTcwNmQ5YjgwNzMxNDZlNDAVBgorBgEEAYO/MAEE"
    "BAdyZWxlYXNlMCQGCisGAQQBg78wAQUEFnRyYWlsb2ZiaXRzL3JmYzg3ODUucHkwHgYKKwYBBAGDvzABBgQQcmVm"
    "cy90YWdzL3YwLjEuMjA7BgorBgEEAYO/MAEIBC0MK2h0dHBzOi8vdG9rZW4uYWN0aW9ucy5naXRodWJ1c2VyY29u"
    "dGVudC5jb20waAYKKwYBBAGDvzABCQRaDFhodHRwczovL2dpdGh1Yi5jb20vdHJhaWxvZmJpdHMvcmZjODc4NS5w"
    "eS8uZ2l0aHViL3dvcmtmbG93cy9yZWxlYXNlLnltbEByZWZzL3RhZ3MvdjAuMS4yMDgGCisGAQQBg78wAQoEKgwo"
    "ZDhiNGE2NDQ1ZjM4YzQ4YjkxMzdhODA5OTcwNmQ5YjgwNzMxNDZlNDAdBgorBgEEAYO/MAELBA8MDWdpdGh1Yi1o"
    "b3N0ZWQwOQYKKwYBBAGDvzABDAQrDClodHRwczovL2dpdGh1Yi5jb20vdHJhaWxvZmJpdHMvcmZjODc4NS5weTA4"
    "BgorBgEEAYO/MAENBCoMKGQ4YjRhNjQ0NWYzOGM0OGI5MTM3YTgwOTk3MDZkOWI4MDczMTQ2ZTQwIAYKKwYBBAGD"
    "vzABDgQSDBByZWZzL3RhZ3MvdjAuMS4yMBkGCisGAQQBg78wAQ8ECwwJNzY4MjEzOTk3MC4GCisGAQQBg78wARAE"
    "IAweaHR0cHM6Ly9naXRodWIuY29tL3RyYWlsb2ZiaXRzMBcGCisGAQQBg78wAREECQwHMjMxNDQyMzBoBgorBgEE"
    "AYO/MAESBFoMWGh0dHBzOi8vZ2l0aHViLmNvbS90cmFpbG9mYml0cy9yZmM4Nzg1LnB5Ly5naXRodWIvd29ya2Zs"
    "b3dzL3JlbGVhc2UueW1sQHJlZnMvdGFncy92MC4xLjIwOAYKKwYBBAGDvzABEwQqDChkOGI0YTY0NDVmMzhjNDhi"
    "OTEzN2E4MDk5NzA2ZDliODA3MzE0NmU0MBcGCisGAQQBg78wARQECQwHcmVsZWFzZTBcBgorBgEEAYO/MAEVBE4M"
    "TGh0dHBzOi8vZ2l0aHViLmNvbS90cmFpbG9mYml0cy9yZmM4Nzg1LnB5L2FjdGlvbnMvcnVucy84MzUxMDU4NTAx"
    "L2F0dGVtcHRzLzEwFgYKKwYBBAGDvzABFgQIDAZwdWJsaWMwgYoGCisGAQQB1nkCBAIEfAR6AHgAdgDdPTBqxscR"
    "MmMZHhyZZzcCokpeuN48rf+HinKALynujgAAAY5Y4EK+AAAEAwBHMEUCIDagfjpw1AZX374vFXGDSZgJ9Kqrcq7T"
    "k/Us3f7nmVQ1AiEA4esGBrDhflbIUujUmYC3eUWFFBgXHfABLiSDwciTQw8wCgYIKoZIzj0EAwMDaQAwZgIxAM6g"
    "KI5vKoqcvTkv87Foq3WXNYmAhPj3qaQ5ocXQXsWzHeNWGB6lSHTG3ENyapqYBgIxAMJW9ly3JXEdI5ydHfz+GZoh"
    "1kyc0XFUPp4V4kVjnUXY+KtoQWKSPHaZMkYC/szXhg=="
)

INTERMEDIATE = (
    "MIICGjCCAaGgAwIBAgIUALnViVfnU0brJasmRkHrn/UnfaQwCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3Rv"
    "cmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMjA0MTMyMDA2MTVaFw0zMTEwMDUxMzU2NThaMDcxFTATBgNV"
    "BAoTDHNpZ3N0b3JlLmRldjEeMBwGA1UEAxMVc2lnc3RvcmUtaW50ZXJtZWRpYXRlMHYwEAYHKoZIzj0CAQYFK4EE"
    "ACIDYgAE8RVS/ysH+NOvuDZyPIZtilgUF9NlarYpAd9HP1vBBH1U5CV77LSS7s0ZiH4nE7Hv7ptS6LvvR/STk798"
    "LVgMzLlJ4HeIfF3tHSaexLcYpSASr1kS0N/RgBJz/9jWCiXno3sweTAOBgNVHQ8BAf8EBAMCAQYwEwYDVR0lBAww"
    "CgYIKwYBBQUHAwMwEgYDVR0TAQH/BAgwBgEB/wIBADAdBgNVHQ4EFgQU39Ppz1YkEZb5qNjpKFWixi4YZD8wHwYD"
    "VR0jBBgwFoAUWMAeX5FFpWapesyQoZMi0CrFxfowCgYIKoZIzj0EAwMDZwAwZAIwPCsQK4DYiZYDPIaDi5HFKnfx"
    "Xx6ASSVmERfsynYBiX2X6SJRnZU84/9DZdnFvvxmAjBOt6QpBlc4J/0DxvkTCqpclvziL6BCCPnjdlIB3Pu3BxsP"
    "mygUY7Ii2zbdCdliiow="
)

CT_LOG_2022 = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNKAaYalIJmBZ8yyezPjTqhxrKB"
    "pMnaocVtLJBI1eM3uXnQzQGAJdJ4gs9Fyw=="
)

CT_LOG_TEST = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbfwR+RJudXscgRBRpKX1XFDy3PyudDxz/SfnRi1fT8ekpfBd2O1u"
    "oz7jr3Z8nKzxA69EUQ+eFCFI3zeubPWU7w=="
)

REKOR = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufB"
    "nhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw=="
)


def _root(ct_logs: list[dict[str, Any]]) -> TrustedRoot:
    document = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{"baseUrl": "https://rekor.sigstore.dev", "publicKey": {"rawBytes": REKOR}}],
        "certificateAuthorities": [
            {
                "uri": "https://fulcio.sigstore.dev",
                "certChain": {"certificates": [{"rawBytes": INTERMEDIATE}]},
                "validFor": {"start": "2022-04-13T20:06:15.000Z"},
            }
        ],
        "ctlogs": ct_logs,
    }
    return parse_trusted_root(json.dumps(document).encode())


def _ct_log(url: str, key: str, start: str, end: str | None = None) -> dict[str, Any]:
    valid = {"start": start} if end is None else {"start": start, "end": end}
    return {"baseUrl": url, "publicKey": {"rawBytes": key, "validFor": valid}}


PUBLIC_GOOD = [
    _ct_log(
        "https://ctfe.sigstore.dev/test",
        CT_LOG_TEST,
        "2021-03-14T00:00:00Z",
        "2022-10-31T23:59:59Z",
    ),
    _ct_log("https://ctfe.sigstore.dev/2022", CT_LOG_2022, "2022-10-20T00:00:00Z"),
]


@pytest.fixture(scope="module")
def leaf() -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(LEAF))


def test_the_public_good_sct_verifies(leaf: x509.Certificate) -> None:
    root = _root(PUBLIC_GOOD)
    issuer = root.authorities[0].chain[0]
    assert check_embedded_sct(leaf, issuer, root) == (
        "SCT from https://ctfe.sigstore.dev/2022 at 2024-03-19T22:41:15.966000+00:00"
    )


def test_only_with_the_log_that_signed_it(leaf: x509.Certificate) -> None:
    root = _root(PUBLIC_GOOD[:1])
    with pytest.raises(SctProblem, match=r"^bad SCT: an SCT from the CT log dd3d306ac6c71132"):
        check_embedded_sct(leaf, root.authorities[0].chain[0], root)
    # the 2022 log's URL with the older log's key: the log ID no longer matches
    renamed = _root(
        [_ct_log("https://ctfe.sigstore.dev/2022", CT_LOG_TEST, "2022-10-20T00:00:00Z")]
    )
    with pytest.raises(SctProblem, match="which the trusted root does not list"):
        check_embedded_sct(leaf, renamed.authorities[0].chain[0], renamed)


def test_only_while_the_log_key_was_valid(leaf: x509.Certificate) -> None:
    retired = _root(
        [
            _ct_log(
                "https://ctfe.sigstore.dev/2022",
                CT_LOG_2022,
                "2022-10-20T00:00:00Z",
                "2023-12-31T00:00:00Z",
            )
        ]
    )
    with pytest.raises(SctProblem, match=r"was not valid at 2024-03-19T22:41:15\.966"):
        check_embedded_sct(leaf, retired.authorities[0].chain[0], retired)


def test_only_for_the_issuer_it_was_logged_under(leaf: x509.Certificate) -> None:
    root = _root(PUBLIC_GOOD)
    with pytest.raises(SctProblem, match="does not verify with the log's key"):
        check_embedded_sct(leaf, leaf, root)  # the leaf's own key hash stands in for the CA's
