"""HG452: a shell or tool history left in a built image."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hullguard.image.model import ImageContents
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import instruction, is_file, table, text_of
from hullguard.secrets import find_secrets


@rule(
    id="HG452",
    name="shell-history-in-image",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(IMAGE_FILES,),
    references=("cwe:538", "cwe:532"),
    fix="build the image from a Dockerfile rather than by committing a container, or delete "
    "the history in the same layer that wrote it; rotate any credential it holds",
)
def shell_history_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags non-empty shell and tool histories in a built image: `.bash_history`,
    `.zsh_history`, `.ash_history`, `.sh_history`, `.python_history`, `.mysql_history`,
    `.psql_history`, `.viminfo` and the like.

    ## Why is this bad?
    A history shows how the image was made, often by hand with `docker commit`, and holds
    the passwords and tokens that were typed on command lines. It also means the image cannot
    be rebuilt from its source.

    ## Example
    An image committed from a container after an interactive session:
    ```console
    $ docker run -it debian:12 bash
    # mysql -u root -pS3cret ...
    $ docker commit <container> app:latest
    ```
    ships `/root/.bash_history` with the password in it.

    ## How to fix
    Build images from a Dockerfile, never with `docker commit`; a history written by a build
    step must be deleted in that same step. Rotate any credential the history holds.

    ## Notes
    Credentials found in a history whose contents are kept are named, redacted. Empty
    histories are not reported. The names live in `data/image_files.toml`.
    """
    names = frozenset(table()["histories"])
    for path in sorted(contents.files):
        file = contents.files[path]
        if not is_file(file) or posixpath.basename(path) not in names or file.size == 0:
            continue
        message = f"`{path}` is a history left in the image, added by {instruction(contents, file)}"
        secrets = find_secrets(text_of(file) or "")
        if secrets:
            message += f"; it holds {', '.join(s.describe() for s in secrets[:3])}"
        yield ctx.finding(at=contents.at(path), message=message)
