"""HG423: a secret in a built image's configuration: its ENV, labels or build history."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Located, Severity
from hullguard.registry import IMAGE, Context, rule
from hullguard.secrets import find_secrets, is_literal_secret, is_secret_name, redact
from hullguard.spec import EnvVar, ImageSpec

_QUOTES = "'\""
# The build arguments a RUN saw, as the builder records them before the command:
# `|2 TOKEN=abc USER=app /bin/sh -c ...` (classic builder), `RUN |1 TOKEN=abc /bin/sh -c ...`
# (BuildKit).
_BUILD_ARGS = re.compile(r"^\s*(?:RUN\s+)?\|(?P<count>\d+)\s+(?P<rest>.*)$", re.DOTALL)
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")


@rule(
    id="HG423",
    name="secret-in-image-config",
    pillar=4,
    severity=Severity.HIGH,
    targets=(IMAGE,),
    references=("dockle:CIS-DI-0010", "cis-docker:4.10", "cwe:798"),
    fix="rebuild without the secret (BuildKit `RUN --mount=type=secret`, run-time injection) "
    "and rotate it: it is readable by anyone who can pull the image",
)
def secret_in_image_config(spec: ImageSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags secrets in a built image's configuration: an environment variable whose name says
    secret (`DB_PASSWORD`, `API_KEY`, `GITHUB_TOKEN`...) set to a literal value; a value that
    looks like a credential (an AWS access key, a GitHub, GitLab, npm or Slack token, a
    private key block, a JWT, a password in a URL, a high-entropy value assigned to a
    secret's name) in any environment variable or label; and the same in the build history,
    the `created_by` line of every layer: a `RUN` whose command holds a token, or a build
    argument recorded in front of a `RUN` (`|1 NPM_TOKEN=... /bin/sh -c npm ci`).

    ## Why is this bad?
    An image's configuration is public to anyone who can pull the image: `docker inspect`
    prints its environment and labels, `docker history --no-trunc` its build history, and
    registries serve the configuration blob without any further permission. A secret there
    has leaked to every user of the image, every mirror and every cache, and it stays in the
    image even when a later layer or `ENV` overrides it.

    ## Example
    An image built from:
    ```dockerfile
    FROM node:22-slim
    ARG NPM_TOKEN
    ENV DATABASE_URL=postgres://app:s3cr3t-pass@db/app
    RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci
    ```
    with `docker build --build-arg NPM_TOKEN=npm_... .` carries the database password in
    `Config.Env` and the npm token in the history of the `RUN`.
    Use instead:
    ```dockerfile
    FROM node:22-slim
    RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
    ```
    built with `docker build --secret id=npmrc,src=$HOME/.npmrc .`, and `DATABASE_URL`
    given to the container at run time.

    ## How to fix
    Rebuild the image without the secret: BuildKit secret mounts for build-time secrets
    (never written to a layer, the history or the configuration), orchestrator secrets, a
    mounted file or a secret manager for run-time ones. Delete the old image and its tags
    from registries, and rotate the secret: it must be treated as leaked.

    ## Notes
    Only built images are judged (`hullguard image`): on a Dockerfile the same values are
    reported, at the line that writes them, by HG420 (ARG, ENV, LABEL) and HG422 (RUN).
    A credential in a recognised format is critical, anything else high. A value found in
    several history entries (a build argument is recorded for every `RUN` after its `ARG`)
    is reported once, at the first, and a value already reported in the environment or the
    labels is not reported again from the history. Names that only describe a secret
    (`TOKEN_URL`, `PASSWORD_FILE`, `GPG_KEY`), paths, variables, empty values and
    placeholders are not secrets. Values are never printed: messages show a few characters
    and a hash (`hullguard.secrets.redact`).
    """
    if spec.origin != "image":
        return
    reported: set[str] = set()
    for var in spec.env:
        yield from _check_value(var, f"ENV `{var.name}`", reported, ctx, by_name=True)
    for label in spec.labels:
        yield from _check_value(label, f"label `{label.name}`", reported, ctx, by_name=False)
    yield from _check_history(spec.history, reported, ctx)


def _check_value(
    var: EnvVar, where: str, reported: set[str], ctx: Context, *, by_name: bool
) -> Iterator[Finding]:
    matches = find_secrets(var.value)
    for match in matches:
        reported.add(match.secret)
        yield ctx.finding(
            at=var,
            message=f"{where} holds a secret: {match.describe()}",
            severity=Severity.CRITICAL if match.known_format else Severity.HIGH,
        )
    if matches or not (by_name and is_secret_name(var.name) and is_literal_secret(var.value)):
        return
    secret = var.value.strip().strip(_QUOTES)
    reported.add(secret)
    yield ctx.finding(at=var, message=f"{where} sets a literal secret `{redact(secret)}`")


def _check_history(
    history: tuple[Located[str], ...], reported: set[str], ctx: Context
) -> Iterator[Finding]:
    # secret -> (first entry, kind, known format, how many entries hold it)
    first: dict[str, tuple[Located[str], str, bool, int]] = {}
    for entry in history:
        seen_here: set[str] = set()
        for secret, kind, known in _history_secrets(entry.value):
            if secret in reported or secret in seen_here:
                continue
            seen_here.add(secret)
            if secret in first:
                at, kind0, known0, count = first[secret]
                first[secret] = (at, kind0, known0, count + 1)
            else:
                first[secret] = (entry, kind, known, 1)
    for secret, (entry, kind, known, count) in first.items():
        index = (
            entry.location.logical.rpartition("[")[2].rstrip("]") if entry.location.logical else "?"
        )
        later = count - 1
        also = f" (and {later} later {'entry' if later == 1 else 'entries'})" if later else ""
        yield ctx.finding(
            at=entry,
            message=f"build history entry {index} (`{_instruction(entry.value)}`) holds a "
            f"secret: {kind} `{redact(secret)}`{also}",
            severity=Severity.CRITICAL if known else Severity.HIGH,
        )


def _history_secrets(created_by: str) -> Iterator[tuple[str, str, bool]]:
    """(secret, what it is, recognised format) for every secret of one `created_by` line."""
    found = find_secrets(created_by)
    for match in found:
        yield match.secret, match.kind, match.known_format
    for name, value in _build_args(created_by):
        if not (is_secret_name(name) and is_literal_secret(value)):
            continue
        secret = value.strip(_QUOTES)
        if not any(secret in m.secret or m.secret in secret for m in found):
            yield secret, f"build argument `{name}`", False


def _build_args(created_by: str) -> list[tuple[str, str]]:
    """The `NAME=value` build arguments recorded in front of a RUN, as far as they can be told
    apart (the builder writes values unquoted: one holding a space is cut at it)."""
    m = _BUILD_ARGS.match(created_by)
    if not m:
        return []
    tokens = m.group("rest").split()
    pairs = []
    for token in tokens[: int(m.group("count"))]:
        name, eq, value = token.partition("=")
        if eq:
            pairs.append((name, value))
    return pairs


def _instruction(created_by: str) -> str:
    """The instruction keyword of a history line, safe to print (never its arguments)."""
    text = _NOP.sub("", created_by.strip())
    if _BUILD_ARGS.match(text) or text.startswith("/bin/sh -c"):
        return "RUN"
    word = text.split(maxsplit=1)[0] if text else ""
    return word.upper() if word.isalpha() else "RUN"
