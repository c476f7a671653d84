"""HG421: a file that holds credentials copied into the shipped stages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.secret_files import secret_file_kind
from hullguard.sources.dockerfile import Dockerfile, Instruction

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@rule(
    id="HG421",
    name="secret-file-copied",
    pillar=4,
    severity=Severity.HIGH,
    targets=(DOCKERFILE,),
    references=("trivy:DS-0031", "cis-docker:4.10", "dockle:CIS-DI-0010", "cwe:538"),
    fix="mount the file for the one step that needs it with `RUN --mount=type=secret`, or "
    "provide it at run time; keep it out of the build context with .dockerignore",
)
def secret_file_copied(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a `COPY` or `ADD` into a stage of the final image whose source or destination is a
    file that holds credentials: SSH private keys (`id_rsa`, `id_ed25519`...), `*.pem`,
    `*.key`, `*.p12`/`*.pfx`, `.env` and `.env.*`, `.npmrc`, `.pypirc`, `.netrc`,
    `.git-credentials`, `.docker/config.json`, `.aws/credentials`, `credentials.json`,
    `kubeconfig` and `.kube/config`, Terraform state (`*.tfstate`).

    ## Why is this bad?
    A file copied into an image lives in a layer for good: deleting it in a later `RUN` only
    hides it, and anyone who can pull the image extracts it with `docker save`. Registry
    tokens, cloud keys and SSH keys in images are among the most common leaks found in public
    registries, and they usually open far more than the image.

    ## Example
    ```dockerfile
    FROM node:22-slim
    COPY .npmrc /root/.npmrc
    RUN npm ci && rm /root/.npmrc
    ```
    Use instead:
    ```dockerfile
    FROM node:22-slim
    RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
    ```

    ## How to fix
    Mount the file only for the step that needs it (`RUN --mount=type=secret,id=...,target=
    ...`, `--mount=type=ssh` for SSH keys), or give it to the container at run time as a
    secret or a mounted file. List such files in `.dockerignore` so that `COPY . .` cannot
    pick them up.

    ## Notes
    Looks at the stages that end up in the final image; copying a secret file into a builder
    stage does not ship it (a secret mount is still better: the file stays in the builder's
    cache). Sources are matched by name, so `COPY . /app` is not judged (see
    `.dockerignore`). Public counterparts such as `id_rsa.pub` and templates such as
    `.env.example` are not reported; `*.pem` also matches public certificates, so check what
    the file holds. The patterns live in `data/secret_files.toml`.
    """
    for instruction in dockerfile.shipped_instructions("COPY", "ADD"):
        yield from _check(instruction, ctx)


def _check(instruction: Instruction, ctx: Context) -> Iterator[Finding]:
    paths = [a for a in instruction.arguments if not a.startswith("<<")]
    if not paths:
        return
    *sources, destination = paths if len(paths) > 1 else ["", *paths]
    into_directory = destination.endswith("/") or len(sources) > 1
    reported: set[str] = set()
    for source in sources:
        if not source or _URL.match(source):
            continue
        kind = secret_file_kind(source)
        if kind:
            reported.add(source)
            yield ctx.finding(
                at=instruction,
                message=f"{instruction.keyword} `{source}` puts a secret file in the image: {kind}",
            )
    if not into_directory and not reported:
        kind = secret_file_kind(destination)
        if kind:
            yield ctx.finding(
                at=instruction,
                message=f"{instruction.keyword} writes a secret file to `{destination}`: {kind}",
            )
