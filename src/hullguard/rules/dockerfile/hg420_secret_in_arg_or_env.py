"""HG420: a secret in ARG, ENV or LABEL."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.secrets import find_secrets, has_expansion, is_literal_secret, is_secret_name, redact
from hullguard.sources.dockerfile import Dockerfile, Instruction, KeyValue

_CHECKED = ("ARG", "ENV", "LABEL")
_QUOTES = "'\""


@rule(
    id="HG420",
    name="secret-in-arg-or-env",
    pillar=4,
    severity=Severity.HIGH,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3064",
        "trivy:DS-0031",
        "cis-docker:4.10",
        "dockle:CIS-DI-0010",
        "checkov:CKV_SECRET_2",
        "checkov:CKV_SECRET_9",
        "checkov:CKV_SECRET_13",
        "checkov:CKV_SECRET_14",
        "checkov:CKV_SECRET_17",
        "kics:a88baa34-e2ad-44ea-ad6f-8cac87bc7c71",
        "cwe:798",
        "cwe:538",
    ),
    fix="pass the secret with `RUN --mount=type=secret,id=...` (BuildKit) at build time, "
    "or inject it at run time; never through ARG, ENV or LABEL",
)
def secret_in_arg_or_env(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `ARG`, `ENV` and `LABEL` entries that carry a secret: those whose value looks like a
    credential whatever their name (an AWS access key, a GitHub, GitLab, Slack, Stripe or
    Google key, a private key block, a JWT, a password in a URL, a high-entropy value assigned
    to a secret's name), and those whose name says secret (`DB_PASSWORD`, `API_KEY`,
    `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `CLIENT_SECRET`...).

    ## Why is this bad?
    Nothing in these instructions is private. A literal value sits in the Dockerfile, in
    version control and in every build log. `ENV` and `LABEL` values are written into the
    image configuration, which anyone who can pull the image reads with `docker inspect`. An
    `ARG` without a value is no better: the build argument passed for it is recorded in the
    image history of every `RUN` that sees it (`docker history --no-trunc`), and BuildKit
    records build arguments in provenance attestations.

    ## Example
    ```dockerfile
    FROM node:22-slim
    ARG NPM_TOKEN
    ENV DATABASE_URL=postgres://app:s3cr3t-pass@db/app
    RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci
    ```
    Use instead:
    ```dockerfile
    FROM node:22-slim
    RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
    ```
    built with `docker build --secret id=npmrc,src=$HOME/.npmrc .`, and `DATABASE_URL`
    given to the container at run time.

    ## How to fix
    Use BuildKit secret mounts for build-time secrets (`RUN --mount=type=secret,id=token
    ...`, or `env=` to expose one as a variable for that single command); they are never
    written to a layer, the history or the configuration. Pass run-time secrets to the
    container (orchestrator secrets, a mounted file, a secret manager). Rotate any secret
    that was ever committed or built into an image.

    ## Notes
    Severity depends on what leaks:

    - critical: a value in a recognisable credential format (any stage: it is in the
      Dockerfile itself);
    - high: any other literal value for a secret's name, or a password in a URL (any stage),
      and an `ENV` or `LABEL` that copies a secret variable into the configuration of the
      final image;
    - medium: a secret-named `ARG` without a value in a stage of the final image (the build
      argument lands in its history);
    - low: the same in a builder stage (or before the first `FROM`), whose history does not
      ship but whose build arguments still show in build logs and provenance.

    Names that only describe a secret are not secrets: `TOKEN_URL`, `PASSWORD_FILE`,
    `*_PATH`, `AWS_ACCESS_KEY_ID`, `GPG_KEY`; nor are paths (`/run/secrets/db`), variables,
    empty values and placeholders (`true`, `<token>`, `xxxx`). Values are never printed:
    messages show a few characters and a hash. The matcher is `hullguard.secrets`, shared
    with the other secret rules.
    """
    stages = dockerfile.stages
    for instruction in dockerfile.instructions:
        if instruction.keyword not in _CHECKED:
            continue
        ships = 0 <= instruction.stage < len(stages) and stages[instruction.stage].in_final_image
        for pair in instruction.pairs:
            yield from _check_pair(instruction, pair, ships, ctx)


def _check_pair(
    instruction: Instruction, pair: KeyValue, ships: bool, ctx: Context
) -> Iterator[Finding]:
    keyword, key, value = instruction.keyword, pair.key, pair.value or ""
    matches = find_secrets(value)
    if matches:
        for match in matches:
            yield ctx.finding(
                at=pair,
                message=f"{keyword} `{key}` holds a secret: {match.describe()}",
                severity=Severity.CRITICAL if match.known_format else Severity.HIGH,
            )
        return
    if not is_secret_name(key):
        return
    if is_literal_secret(value):
        shown = redact(value.strip().strip(_QUOTES))
        yield ctx.finding(at=pair, message=f"{keyword} `{key}` sets a literal secret `{shown}`")
    elif keyword == "ARG" and not value.strip():
        yield ctx.finding(
            at=pair,
            message=f"ARG `{key}` takes a secret as a build argument, recorded in the image "
            "history of every RUN that uses it"
            if ships
            else f"ARG `{key}` takes a secret as a build argument (builder stage: it shows in "
            "build logs and provenance)",
            severity=Severity.MEDIUM if ships else Severity.LOW,
        )
    elif keyword != "ARG" and has_expansion(value):
        yield ctx.finding(
            at=pair,
            message=f"{keyword} `{key}` copies a secret into the image configuration, "
            "readable by anyone who pulls the image"
            if ships
            else f"{keyword} `{key}` copies a secret into a builder stage's configuration",
            severity=None if ships else Severity.LOW,
        )
