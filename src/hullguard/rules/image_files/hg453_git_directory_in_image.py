"""HG453: a `.git` directory in a built image."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.image.model import ImageContents
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import instruction


@rule(
    id="HG453",
    name="git-directory-in-image",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(IMAGE_FILES,),
    references=("dockle:DKL-LI-0003", "cwe:527", "cwe:538"),
    fix="add `.git` to .dockerignore, or copy only what the application needs",
)
def git_directory_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `.git` directories (and `.git` files of worktrees and submodules) in a built image.

    ## Why is this bad?
    A repository carries the whole history of the source: code the image does not need,
    secrets committed once and removed later, and often a remote URL with a token in
    `.git/config`. It also makes the image larger.

    ## Example
    ```dockerfile
    COPY . /app
    ```
    run in a checkout without a `.dockerignore` ships `/app/.git`.

    ## How to fix
    List `.git` in `.dockerignore`, or copy only the files the application needs.

    ## Notes
    One finding per repository, at its `.git`, whatever it holds.
    """
    roots: dict[str, str] = {}
    for path in contents.files:
        parts = path.split("/")
        if ".git" in parts:
            root = "/".join(parts[: parts.index(".git") + 1])
            if root not in roots or len(path) < len(roots[root]):
                roots[root] = path
    for root in sorted(roots):
        file = contents.files.get(root) or contents.files[roots[root]]
        yield ctx.finding(
            at=contents.at(root),
            message=f"`{root}` is a Git repository in the image, added by "
            f"{instruction(contents, file)}",
        )
