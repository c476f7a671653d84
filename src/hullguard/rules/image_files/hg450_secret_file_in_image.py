"""HG450: a file that holds credentials in a built image."""

from __future__ import annotations

import functools
import json
import posixpath
from collections.abc import Iterator

from hullguard.data import load
from hullguard.image.model import ImageContents, ImageFile
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import instruction, is_file, text_of
from hullguard.secret_files import secret_file_kind
from hullguard.secrets import SecretMatch, find_secrets

# Judged by HG218 and HG219: password hashes are not credentials left behind.
_ACCOUNT_FILES = frozenset({"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"})
_KEY_SUFFIXES = (".pem", ".key")
_DOCKER_CONFIG = ".docker/config.json"
_REGISTRY_CREDENTIALS = ("auth", "password", "identitytoken", "registrytoken")
_SHOWN_SECRETS = 3


@rule(
    id="HG450",
    name="secret-file-in-image",
    pillar=4,
    severity=Severity.HIGH,
    targets=(IMAGE_FILES,),
    references=("cis-docker:4.10", "dockle:CIS-DI-0010", "cwe:538", "cwe:312"),
    fix="remove the file from every layer (rebuild without it: a later `rm` only hides it), "
    "give it to the build with `RUN --mount=type=secret` and to the container at run time, "
    "and rotate the credential",
)
def secret_file_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags files of a built image that hold credentials: SSH private keys, private keys in
    `*.pem` and `*.key` files, PKCS#12 key stores, `.env` files, `.npmrc`, `.pypirc`,
    `.netrc`, `.git-credentials`, `~/.docker/config.json` with registry logins in `auths`,
    `~/.aws/credentials`, kubeconfig files, Terraform state; and, among the files whose
    contents the image sources keep, any file that holds a credential (a token, a key, a
    password in a URL or assigned to a secret's name).

    ## Why is this bad?
    Anyone who can pull the image can read every file of every layer. Cloud keys, registry
    tokens and SSH keys found in public images are a common first step of an intrusion, and
    they usually open far more than the image.

    ## Example
    An image built with
    ```dockerfile
    COPY . /app
    ```
    from a folder that held `.env` with `GITHUB_TOKEN=ghp_...` ships `/app/.env`.

    ## How to fix
    Rebuild without the file (list it in `.dockerignore`; deleting it in a later layer does
    not remove it from the image), give build-time secrets with
    `RUN --mount=type=secret`, provide run-time secrets as mounted files or from a secret
    store, and rotate the credential that was in the image.

    ## Notes
    File names come from `data/secret_files.toml`, the table HG421 uses for `COPY` and
    `ADD`. Where the contents are kept, they decide: a `*.pem` or `*.key` file without a
    private key block (a certificate, a public key) is not reported, nor a Docker
    configuration without credentials in `auths`, nor an empty file. Files under test-data
    folders (`tests/`, `testdata/`, `fixtures/`...) are skipped: libraries ship test keys
    there. Credentials are reported redacted, a few characters and a hash.
    """
    ignored = frozenset(load("secret_files")["image"]["ignore_directories"])
    for path in sorted(contents.files):
        file = contents.files[path]
        if not is_file(file) or path in _ACCOUNT_FILES:
            continue
        if ignored.intersection(posixpath.dirname(path).split("/")):
            continue
        kind = _kind_by_name(file)
        text = text_of(file)
        secrets = find_secrets(text) if text else []
        if kind is None and not secrets:
            continue
        described = kind or "a file holding credentials"
        message = f"`{path}` is {_article(described)} in the image, added by"
        message += f" {instruction(contents, file)}"
        if secrets:
            message += f"; it holds {_describe(secrets)}"
        yield ctx.finding(at=contents.at(path), message=message)


def _kind_by_name(file: ImageFile) -> str | None:
    kind = secret_file_kind(file.path)
    if kind is None or file.content is None:
        return kind
    if not file.content.strip():
        return None
    if file.path.endswith(_KEY_SUFFIXES) and b"PRIVATE KEY" not in file.content:
        return None
    if file.path.endswith("/" + _DOCKER_CONFIG) and not _has_registry_login(file.content):
        return None
    return kind


def _has_registry_login(content: bytes) -> bool:
    try:
        config = json.loads(content)
    except ValueError:
        return True  # unreadable: judged by its name
    auths = config.get("auths") if isinstance(config, dict) else None
    if not isinstance(auths, dict):
        return False
    return any(
        isinstance(entry, dict) and any(entry.get(k) for k in _REGISTRY_CREDENTIALS)
        for entry in auths.values()
    )


@functools.cache
def _article(kind: str) -> str:
    if kind.startswith("a "):
        return kind
    return ("an " if kind[0].lower() in "aeiou" or kind.startswith("SSH") else "a ") + kind


def _describe(secrets: list[SecretMatch]) -> str:
    shown = ", ".join(s.describe() for s in secrets[:_SHOWN_SECRETS])
    more = len(secrets) - _SHOWN_SECRETS
    return shown + (f" and {more} more" if more > 0 else "")
