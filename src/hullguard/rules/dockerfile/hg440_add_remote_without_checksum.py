"""HG440: ADD downloads a URL without a checksum, or a Git repository without a pinned commit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._add import is_git_source, is_url
from hullguard.sources.dockerfile import Dockerfile

_COMMIT = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$", re.I)


@rule(
    id="HG440",
    name="add-remote-without-checksum",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("cis-docker:4.9", "cwe:494"),
    fix="add `--checksum=sha256:<digest>` to ADD of a URL; pin a Git source to a full commit",
)
def add_remote_without_checksum(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `ADD https://...` without `--checksum`, and `ADD` of a Git repository whose reference
    is not a full commit hash (a branch, a tag or nothing).

    ## Why is this bad?
    ADD fetches whatever the server returns at build time. If the server, the CDN or the
    project's account is compromised, or a release is simply replaced, the image silently gets
    different content: a supply-chain attack lands in the build with no change to the
    Dockerfile. Branches and tags of a Git repository can be moved the same way; only a commit
    hash names fixed content.

    ## Example
    ```dockerfile
    ADD https://downloads.example.com/agent/1.4.2/agent-linux-amd64 /usr/local/bin/agent
    ADD https://github.com/example/tools.git#v2.1.0 /src/tools
    ```
    Use instead (with the real digest and commit of what you reviewed):
    ```dockerfile
    ADD --checksum=sha256:<sha256 of agent-linux-amd64 1.4.2> \\
        https://downloads.example.com/agent/1.4.2/agent-linux-amd64 /usr/local/bin/agent
    ADD https://github.com/example/tools.git#<40-hex commit of v2.1.0> /src/tools
    ```

    ## How to fix
    Give ADD the expected digest with `--checksum=sha256:...` (Dockerfile syntax 1.6 and
    later), or download with curl in a RUN and check the file with `sha256sum -c`. Pin Git
    sources to a full commit hash.

    ## Notes
    Every stage is checked: what a builder stage downloads is built into the application. A
    Git source counts as pinned when its `#ref` (or `?ref=`/`?commit=` query) is a full
    40- or 64-hex commit hash, or when ADD gives it a `--checksum`.
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword != "ADD":
            continue
        has_checksum = instruction.flag("checksum") is not None
        for source in instruction.arguments[:-1]:
            if is_git_source(source):
                if not has_checksum and not _pinned_commit(source):
                    yield ctx.finding(
                        at=instruction,
                        message=f"ADD of Git repository `{source}` without a pinned commit",
                    )
            elif is_url(source) and not has_checksum:
                yield ctx.finding(
                    at=instruction,
                    message=f"ADD of `{source}` without --checksum: its content is not verified",
                )


def _pinned_commit(source: str) -> bool:
    refs: list[str] = []
    if "#" in source:
        refs.append(source.split("#", 1)[1].split(":", 1)[0])
    if "?" in source:
        query = parse_qs(source.split("?", 1)[1].split("#", 1)[0])
        refs.extend(query.get("ref", []) + query.get("commit", []) + query.get("checksum", []))
    return any(_COMMIT.match(ref) for ref in refs)
