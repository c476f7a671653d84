"""The shared secret matcher: what counts as a secret, what does not, and how it is redacted."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from hullguard.secrets import (
    SecretMatch,
    find_secrets,
    is_literal_secret,
    is_secret_name,
    name_words,
    redact,
    shannon_entropy,
)

# Fake credentials with the right shape; none of them was ever valid.
GITHUB = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"
AWS_KEY_ID = "AKIAZDOC9IS0J8HT9LGM"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.secret) for m in find_secrets(text)]


# --- redaction -------------------------------------------------------------------------------


def test_redact_keeps_four_characters_and_a_short_hash() -> None:
    digest = hashlib.sha256(AWS_KEY_ID.encode()).hexdigest()[:8]
    assert redact(AWS_KEY_ID) == f"AKIA…(sha256:{digest})"


@pytest.mark.parametrize("secret", ["hunter2", "abc", "x", "Tr0ub4dor-3", GITHUB, JWT])
def test_redact_never_shows_more_than_a_quarter(secret: str) -> None:
    shown = redact(secret).split("…", 1)[0]
    assert len(shown) <= min(4, len(secret) // 4)
    assert secret not in redact(secret)


def test_redact_is_stable_and_tells_values_apart() -> None:
    assert redact("Sup3rS3cret") == redact("Sup3rS3cret")
    assert redact("Sup3rS3cret") != redact("Sup3rS3cre7")


def test_a_match_describes_itself_redacted() -> None:
    (match,) = find_secrets(f"token={GITHUB}")
    assert match.describe() == f"GitHub token `{redact(GITHUB)}`"
    assert GITHUB not in match.describe()


# --- credential formats ----------------------------------------------------------------------


FINE_GRAINED = "github_pat_" + "A1b2C3d4E5" * 6
SLACK = "xoxb-432319487574-MehGAkWvj7FAc9QeWJKY40uv"
STRIPE = "sk_live_SwMFLZDe1f8rESQedUStPKR0"
GOOGLE = "AIzaCsTy4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i"
OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----"
RSA = "-----BEGIN RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "kind", "secret"),
    [
        (AWS_KEY_ID, "AWS access key ID", AWS_KEY_ID),
        ("ASIAZDOC9IS0J8HT9LGM", "AWS access key ID", "ASIAZDOC9IS0J8HT9LGM"),
        (f"x {GITHUB} y", "GitHub token", GITHUB),
        ("gho_" + GITHUB[4:], "GitHub token", "gho_" + GITHUB[4:]),
        (FINE_GRAINED, "GitHub fine-grained token", FINE_GRAINED),
        ("glpat-xgJTeKdNnFRIBXuDL7Dx", "GitLab token", "glpat-xgJTeKdNnFRIBXuDL7Dx"),
        (SLACK, "Slack token", SLACK),
        (STRIPE, "Stripe live secret key", STRIPE),
        (GOOGLE, "Google API key", GOOGLE),
        (OPENSSH, "private key block", OPENSSH),
        (RSA, "private key block", RSA),
        (f"Bearer {JWT}", "JSON Web Token", JWT),
    ],
)
def test_known_formats(text: str, kind: str, secret: str) -> None:
    matches = find_secrets(text)
    assert [(m.kind, m.secret) for m in matches] == [(kind, secret)]
    assert matches[0].known_format
    assert text[matches[0].start : matches[0].end] == secret


@pytest.mark.parametrize(
    "text",
    [
        "AKIAZDOC9IS0J8HT9LG",  # one character short
        "XAKIAZDOC9IS0J8HT9LGM",  # glued to a longer word
        "ghp_short",
        "glpat-xxxxxxxxxxxxxxxxxxxx",  # documentation placeholder
        "sk_test_SwMFLZDe1f8rESQedUStPKR0",  # Stripe test keys are not live
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----",
        "eyJhbGciOiJIUzI1NiJ9",  # a JWT header alone
        "A035C8C19219BA821ECEA86B64E628F8D684696D",  # a GPG fingerprint
        "sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8",
    ],
)
def test_near_misses_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == []


# --- context: URLs, headers, assignments -----------------------------------------------------


def test_password_in_url() -> None:
    text = "git clone https://ci-bot:Kx82-mQz7Lp@gitlab.example.com/acme/app.git"
    (match,) = find_secrets(text)
    assert (match.kind, match.secret, match.known_format) == (
        "password in URL",
        "Kx82-mQz7Lp",
        False,
    )
    assert text[match.start : match.end] == "Kx82-mQz7Lp"


def test_token_as_url_user() -> None:
    assert kinds("https://Zx81kQp02LmNa7Yt5Rw3Vb9c@github.com/acme/private.git") == [
        ("token in URL", "Zx81kQp02LmNa7Yt5Rw3Vb9c")
    ]
    # A recognisable token wins over the generic URL reading.
    assert kinds(f"https://x-access-token:{GITHUB}@github.com/") == [("GitHub token", GITHUB)]


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com/acme/app.git",
        "ssh://git@github.com/acme/app.git",
        "https://deploy@example.com/",  # a user name, no password
        "https://${GIT_USER}:${GIT_TOKEN}@gitlab.example.com/acme/app.git",
        "https://user:$PASSWORD@example.com/",
        "https://user:@example.com/",
        "postgres://app@db:5432/app",
    ],
)
def test_urls_without_literal_credentials(text: str) -> None:
    assert find_secrets(text) == []


def test_secret_query_parameters() -> None:
    text = "https://gitlab.example.com/api/v4/projects?private_token=Zk29aLq81mXp&page=2"
    assert kinds(text) == [("`private_token` in URL", "Zk29aLq81mXp")]
    assert kinds("https://x.blob.core.windows.net/c/f?sv=2022-11-02&sig=Qm9ndXNTaWduYXR1cmU") == [
        ("`sig` in URL", "Qm9ndXNTaWduYXR1cmU")
    ]
    assert find_secrets("https://example.com/download?token_type=bearer&access_token=$TOKEN") == []


def test_authorization_header() -> None:
    assert kinds('-H "Authorization: Bearer Xk29aLq81mXpQz7Wv3Nc"') == [
        ("Authorization header credential", "Xk29aLq81mXpQz7Wv3Nc")
    ]
    assert find_secrets('-H "Authorization: Bearer $TOKEN"') == []


def test_high_entropy_values_of_secret_names() -> None:
    assert kinds("api_key=Q8z1xY7wV2uT5sR4") == [("value of `api_key`", "Q8z1xY7wV2uT5sR4")]
    assert kinds("//registry.npmjs.org/:_authToken=Fz8aX2mQ9pL4vB7nK1cD") == [
        ("value of `_authToken`", "Fz8aX2mQ9pL4vB7nK1cD")
    ]
    assert kinds("-Xmx512m -Dapi.key=Q8z1xY7wV2uT5sR4") == [
        ("value of `api.key`", "Q8z1xY7wV2uT5sR4")
    ]
    assert kinds('password: "Zq8-Lm3xWv7"') == [("value of `password`", "Zq8-Lm3xWv7")]
    # a quoted dotted value is a literal, not a reference
    assert kinds('secret_key = "Qx8.vT2zL9.wK4mN7p"') == [
        ("value of `secret_key`", "Qx8.vT2zL9.wK4mN7p")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "password=hunter22",  # too little entropy for free text
        "api_key=$API_KEY",
        "TOKEN_URL=https://auth.example.com/oauth/token",
        "PASSWORD_FILE=/run/secrets/db_password",
        "password_min_length=12345678",
        "secret=changeme",
        "token=xxxxxxxxxxxxxxxx",
        # code in a package's documentation: a call's result, a reference to another value
        '>>> token = f.encrypt(b"A really secret message. Not for prying eyes.")',
        'tokens = md.parse("# some markdown text")',
        "api_key = settings.HULLGUARD_API_KEY",
    ],
)
def test_assignments_that_hold_no_secret(text: str) -> None:
    assert find_secrets(text) == []


def test_matches_are_ordered_and_do_not_overlap() -> None:
    text = f"A={AWS_KEY_ID} B=https://u:Kx82-mQz7Lp@h/ C={GITHUB}"
    found = find_secrets(text)
    assert [m.kind for m in found] == ["AWS access key ID", "password in URL", "GitHub token"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert all(isinstance(m, SecretMatch) for m in found)


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "PASSWORD", "DB_PASSWORD", "MYSQL_ROOT_PASSWORD", "DB_PASSWD", "DB_PASS", "SSH_PASSPHRASE",
        "SECRET", "CLIENT_SECRET", "SECRET_KEY_BASE", "AWS_SECRET_ACCESS_KEY", "TOKEN",
        "GITHUB_TOKEN", "NPM_TOKEN", "AWS_SESSION_TOKEN", "API_KEY", "APIKEY", "X-Api-Key",
        "PRIVATE_KEY", "SSH_PRIVATE_KEY", "ACCESS_KEY", "SIGNING_KEY", "GOOGLE_CREDENTIALS",
        "npmAuthToken", "_authToken", "apiKey", "api.key", "private_token", "NPM_CONFIG__AUTH",
        "deploy.token", "PGPASSWORD", "REGISTRY_PSW",
    ],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "TOKEN_URL", "PASSWORD_FILE", "HF_TOKEN_PATH", "PRIVATE_KEY_PATH", "SECRETS_DIR",
        "AWS_ACCESS_KEY_ID", "KEY_ID", "GPG_KEY", "GPG_KEYS", "GOOGLE_APPLICATION_CREDENTIALS",
        "PWD", "OLDPWD", "PASS_MAX_DAYS", "SSH_AUTH_SOCK", "GIT_ASKPASS", "TOKENIZERS_PARALLELISM",
        "POSTGRES_HOST_AUTH_METHOD", "PASSWORD_MIN_LENGTH", "token_type", "SECRET_NAME",
        "KEYCLOAK_ADMIN", "PUBLIC_KEY", "CACHE_KEY", "with-password-hashing", "AUTHOR",
    ],
)  # fmt: skip
def test_names_that_only_describe_a_secret(name: str) -> None:
    assert not is_secret_name(name)


def test_name_words() -> None:
    assert name_words("AWS_SECRET_ACCESS_KEY") == ["AWS", "SECRET", "ACCESS", "KEY"]
    assert name_words("npmAuthToken") == ["NPM", "AUTH", "TOKEN"]
    assert name_words("APIKey2") == ["API", "KEY"]
    assert name_words("//registry/:_authToken") == ["REGISTRY", "AUTH", "TOKEN"]


# --- literal values --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["changeme", "Tr0ub4dor-3", '"hunter2"', "s3cr3t pass"])
def test_literal_values(value: str) -> None:
    assert is_literal_secret(value)


@pytest.mark.parametrize(
    "value",
    [
        "", "  ", "$TOKEN", "${TOKEN}", "${TOKEN:-}", "prefix-$TOKEN", "$(cat /run/secrets/t)",
        "`cat token`", "/run/secrets/token", "./secrets/token", "~/.token", "<your token>",
        "{{ token }}", "%TOKEN%", "xxxx", "****", "true", "False", "none", "null", "yes",
    ],
)  # fmt: skip
def test_stand_ins_are_not_literal_secrets(value: str) -> None:
    assert not is_literal_secret(value)


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert shannon_entropy("Q8z1xY7wV2uT5sR4") > 3.5
