"""HG445: ADD used for local files and directories where COPY does the job."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._add import is_local_archive, is_remote
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG445",
    name="add-instead-of-copy",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3020",
        "checkov:CKV_DOCKER_4",
        "trivy:DS-0005",
        "dockle:CIS-DI-0009",
        "cis-docker:4.9",
        "kics:9513a694-aa0d-41d8-be61-3271e056f36b",
    ),
    fix="use COPY for local files and directories",
)
def add_instead_of_copy(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags ADD of local files or directories: sources that are not URLs, not Git repositories
    and not local tar archives that ADD unpacks.

    ## Why is this bad?
    ADD does more than copy: it downloads URLs and unpacks any local file that looks like a tar
    archive. Used for plain files it hides those behaviours from the reader, and a file that
    later turns into an archive (or is replaced by one) is silently unpacked into the image,
    with the path-traversal and decompression risks of untrusted archives. COPY does exactly
    one thing and says so.

    ## Example
    ```dockerfile
    ADD requirements.txt /app/
    ADD src/ /app/src/
    ```
    Use instead:
    ```dockerfile
    COPY requirements.txt /app/
    COPY src/ /app/src/
    ```

    ## How to fix
    Replace ADD with COPY (it takes the same `--chown`, `--chmod` and `--link` flags). Keep ADD
    only to unpack a local tar archive, or to fetch a URL or Git repository with a checksum or
    pinned commit (see HG440).

    ## Notes
    Every stage is checked. A source that is still a variable after ARG/ENV expansion is not
    reported, since it may name an archive or a URL. Unlike Checkov's CKV_DOCKER_4, ADD of a URL
    or an archive is not reported here: HG440 covers downloads.
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword != "ADD":
            continue
        local = [
            s
            for s in instruction.arguments[:-1]
            if not is_remote(s) and not is_local_archive(s) and "$" not in s
        ]
        if local:
            listed = ", ".join(f"`{s}`" for s in local)
            yield ctx.finding(at=instruction, message=f"ADD of local {listed}: use COPY")
