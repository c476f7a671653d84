"""Secrets: recognise credentials in names and values, and redact them for reports.

Every place that looks for secrets (a Dockerfile's ARG, ENV, LABEL and RUN; later the files of a
built image) uses this one matcher, so they agree on what a secret is. What a credential looks
like lives in `data/secrets.toml`; this module holds the grammar around it (URLs, assignments,
query strings). A secret is never reported in full: `redact()` keeps a few leading characters
and a short hash, enough to recognise a known value and keep baselines stable.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hullguard.data import load

# Shannon entropy (bits per character) above which a free-standing value is taken for a secret.
# Random alphanumerics of 12+ characters score around 3.5; words and version strings score less.
GENERIC_MIN_ENTROPY = 3.0
GENERIC_MIN_LENGTH = 8
TOKEN_MIN_ENTROPY = 3.5
TOKEN_MIN_LENGTH = 20


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """A secret found in a text: `secret` is the credential itself, `text[start:end]`.

    `known_format` is true when the value has the shape of a specific credential (an AWS key,
    a GitHub token, a private key block); false when only its context gives it away (a password
    in a URL, a value assigned to `API_TOKEN`). `name` is that context's name, when there is one.
    """

    kind: str
    secret: str
    start: int
    end: int
    known_format: bool
    name: str | None = None

    @property
    def redacted(self) -> str:
        return redact(self.secret)

    def describe(self) -> str:
        """What the secret is and its stand-in (`GitHub token `ghp_…(sha256:…)``): safe to print."""
        return f"{self.kind} `{self.redacted}`"


def redact(secret: str) -> str:
    """A printable stand-in for a secret: at most four leading characters (never more than a
    quarter of it) and the first eight hex digits of its SHA-256."""
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]
    shown = secret[: min(4, len(secret) // 4)]
    return f"{shown}…(sha256:{digest})"


def shannon_entropy(text: str) -> float:
    """Bits of information per character of `text`."""
    if not text:
        return 0.0
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


# --- names -----------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def name_words(name: str) -> list[str]:
    """`AWS_SECRET_KEY` -> [AWS, SECRET, KEY]; `npmAuthToken` -> [NPM, AUTH, TOKEN]."""
    return [w.upper() for w in _WORD.findall(name) if not w.isdigit()]


@dataclass(frozen=True)
class _NameRules:
    words: frozenset[str]
    word_suffixes: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    final_words: frozenset[str]
    qualifiers: frozenset[str]
    not_secret: frozenset[str]
    query_params: frozenset[str]
    placeholders: frozenset[str]


@functools.cache
def _name_rules() -> _NameRules:
    names: dict[str, Any] = load("secrets")["names"]
    return _NameRules(
        words=frozenset(names["words"]),
        word_suffixes=tuple(names["word_suffixes"]),
        phrases=tuple(tuple(p) for p in names["phrases"]),
        final_words=frozenset(names["final_words"]),
        qualifiers=frozenset(names["qualifiers"]),
        not_secret=frozenset(n.upper() for n in names["not_secret"]),
        query_params=frozenset(p.lower() for p in names["query_params"]),
        placeholders=frozenset(p.lower() for p in names["placeholders"]),
    )


@functools.lru_cache(maxsize=8192)
def is_secret_name(name: str) -> bool:
    """True when a variable, option, label, header or parameter name says its value is a secret.

    `DB_PASSWORD`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `npmAuthToken`, `X-Api-Key` are;
    `TOKEN_URL`, `PASSWORD_FILE`, `PRIVATE_KEY_PATH`, `AWS_ACCESS_KEY_ID`, `GPG_KEY` are not.
    """
    rules = _name_rules()
    if name.strip().upper() in rules.not_secret:
        return False
    words = name_words(name)
    if not words or words[-1] in rules.qualifiers:
        return False
    if any(w in rules.words or w.endswith(rules.word_suffixes) for w in words):
        return True
    for phrase in rules.phrases:
        size = len(phrase)
        if any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1)):
            return True
    return len(words) >= 2 and words[-1] in rules.final_words


# --- values ----------------------------------------------------------------------------------

_EXPANSION = re.compile(r"\$(?:[A-Za-z_{(]|\d)|`")
_TEMPLATE = re.compile(r"<[^<>]*>|\{\{.*\}\}|%[A-Za-z_]\w*%|(.)\1*", re.DOTALL)


def has_expansion(value: str) -> bool:
    """True when the value holds a shell or Dockerfile variable, or a command substitution."""
    return bool(_EXPANSION.search(value))


def looks_like_path(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~/", "file://"))


def is_literal_secret(value: str) -> bool:
    """True when a value written for a secret is the secret itself, not a stand-in for it.

    False for empty values, variables (`$TOKEN`, `${TOKEN:-}`), command substitutions, paths to
    a secret file, templates (`<token>`, `{{ token }}`), repeated characters (`xxxx`, `****`) and
    placeholder words (`true`, `none`, ...).
    """
    text = value.strip().strip("'\"")
    if not text or has_expansion(text) or looks_like_path(text):
        return False
    if text.lower() in _name_rules().placeholders:
        return False
    return not _TEMPLATE.fullmatch(text)


def _looks_random(value: str, min_length: int, min_entropy: float) -> bool:
    return (
        len(value) >= min_length
        and shannon_entropy(value) >= min_entropy
        and is_literal_secret(value)
    )


# --- the matcher -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    kind: str
    regex: re.Pattern[str]
    group: int


@functools.cache
def _formats() -> tuple[_Format, ...]:
    return tuple(
        _Format(kind=f["kind"], regex=re.compile(f["regex"]), group=int(f.get("group", 0)))
        for f in load("secrets")["format"]
    )


@functools.cache
def _any_format() -> re.Pattern[str]:
    """All credential formats in one pattern: one pass tells whether any can match."""
    return re.compile("|".join(f"(?:{fmt.regex.pattern})" for fmt in _formats()))


# Eight identical characters in a row: a documentation placeholder (`glpat-xxxxxxxx...`).
_FILLER = re.compile(r"(.)\1{7}")
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?P<userinfo>[^\s/?#@]+)@[^\s/?#@]")
_QUERY_PARAM = re.compile(r"[?&](?P<name>[A-Za-z0-9_.\-\[\]]+)=(?P<value>[^&\s#'\"]+)")
_AUTH_HEADER = re.compile(
    r"(?i)\b(?:proxy-)?authorization\s*:\s*(?:basic|bearer|token|digest)\s+"
    r"(?P<value>[A-Za-z0-9._~+/=-]{8,})"
)
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_])(?:-D)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?P<value>[^\s\"'&;|,<>()\[\]{}]+)"
)
# An unquoted dotted name (`f.encrypt`, `settings.SECRET_KEY`): code that refers to a value.
_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def find_secrets(text: str) -> list[SecretMatch]:
    """Every secret in `text`, in order, without overlaps.

    Looks for credential formats (data/secrets.toml), `Authorization:` header values, passwords
    and tokens in URLs (`https://user:pass@host`, `https://TOKEN@host`, `?access_token=...`)
    and high-entropy values assigned to a secret's name (`api_key=...`, `password: ...`).
    """
    found: list[SecretMatch] = []

    def add(candidate: SecretMatch) -> None:
        if _FILLER.search(candidate.secret):
            return
        if not any(candidate.start < m.end and m.start < candidate.end for m in found):
            found.append(candidate)

    if len(text) < GENERIC_MIN_LENGTH:
        return found
    if _any_format().search(text):
        for fmt in _formats():
            for m in fmt.regex.finditer(text):
                start, end = m.span(fmt.group)
                add(SecretMatch(fmt.kind, text[start:end], start, end, known_format=True))
    if "://" in text:
        for m in _URL.finditer(text):
            for match in _url_secrets(m.group(0), m.start()):
                add(match)
    if "=" not in text and ":" not in text:
        return sorted(found, key=lambda s: s.start)
    for m in _AUTH_HEADER.finditer(text):
        value = m.group("value")
        if is_literal_secret(value):
            start, end = m.span("value")
            add(SecretMatch("Authorization header credential", value, start, end, False))
    for m in _ASSIGNMENT.finditer(text):
        name, value = m.group("name"), m.group("value")
        if "://" in value or not is_secret_name(name):
            continue
        start, end = m.span("value")
        if text.startswith("(", end):
            continue  # `token = f.encrypt(...)`: a call's result, not a literal
        if _REFERENCE.fullmatch(value) and text[start - 1 : start] not in ("'", '"'):
            continue
        if _looks_random(value, GENERIC_MIN_LENGTH, GENERIC_MIN_ENTROPY):
            add(SecretMatch(f"value of `{name}`", value, start, end, False, name=name))
    return sorted(found, key=lambda s: s.start)


def _url_secrets(url: str, offset: int) -> list[SecretMatch]:
    matches: list[SecretMatch] = []
    if m := _USERINFO.match(url):
        userinfo = m.group("userinfo")
        start = offset + m.start("userinfo")
        user, colon, password = userinfo.partition(":")
        if colon and is_literal_secret(password):
            pstart = start + len(user) + 1
            matches.append(
                SecretMatch("password in URL", password, pstart, pstart + len(password), False)
            )
        elif not colon and _looks_random(user, TOKEN_MIN_LENGTH, TOKEN_MIN_ENTROPY):
            matches.append(SecretMatch("token in URL", user, start, start + len(user), False))
    rules = _name_rules()
    for q in _QUERY_PARAM.finditer(url):
        name, value = q.group("name"), q.group("value")
        if not (is_secret_name(name) or name.lower() in rules.query_params):
            continue
        if is_literal_secret(value) and len(value) >= 6:
            start = offset + q.start("value")
            matches.append(
                SecretMatch(f"`{name}` in URL", value, start, start + len(value), False, name=name)
            )
    return matches
