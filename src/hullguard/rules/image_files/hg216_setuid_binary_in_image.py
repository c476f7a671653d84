"""HG216: a setuid or setgid program in a built image beyond those distributions ship."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator

from hullguard.image.model import ImageContents, ImageFile
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import instruction, is_file, table

SETUID = 0o4000
SETGID = 0o2000


@rule(
    id="HG216",
    name="setuid-binary-in-image",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(IMAGE_FILES,),
    references=("cis-docker:4.8", "dockle:CIS-DI-0008", "cwe:250"),
    fix="remove the setuid and setgid bits (`chmod u-s,g-s`) or the program, in the layer that "
    "adds it; run the container with `no-new-privileges`",
)
def setuid_binary_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags files of a built image with the setuid or setgid bit, except the programs that
    distributions ship so in their base images (`su`, `passwd`, `mount`, `ping`, `chsh`,
    `newgrp`, `unix_chkpwd`...) in their usual directories.

    ## Why is this bad?
    A setuid program runs with its owner's rights, usually root, whoever starts it. Any flaw
    in it (PwnKit in `pkexec`, Baron Samedit in `sudo`) turns a compromised application into
    root in the container, one step from the host.

    ## Example
    ```dockerfile
    RUN apt-get install -y sudo && chmod u+s /usr/local/bin/tool
    ```
    ships `/usr/bin/sudo` and `/usr/local/bin/tool` setuid root.

    ## How to fix
    Remove the bits in the same layer (`chmod u-s,g-s FILE`), or do not install the program.
    Many images strip them all:
    `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`. Run containers with
    `--security-opt no-new-privileges` so that no setuid bit takes effect.

    ## Notes
    The base set (names and directories) lives in `data/image_files.toml`; a base program
    found elsewhere (`/app/su`) is reported. Even the base set is better stripped in images
    that never switch users.
    """
    for path in sorted(contents.files):
        file = contents.files[path]
        if not is_file(file) or not file.mode & (SETUID | SETGID) or _is_base(path):
            continue
        yield ctx.finding(
            at=contents.at(path),
            message=f"`{path}` is {_bits(file)}, added by {instruction(contents, file)}",
        )


def _is_base(path: str) -> bool:
    base = table()["setuid_base"]
    directory, name = posixpath.split(path)
    return name in base["names"] and any(
        fnmatch.fnmatchcase(directory, d) for d in base["directories"]
    )


def _bits(file: ImageFile) -> str:
    bits = []
    if file.mode & SETUID:
        bits.append("setuid root" if file.uid == 0 else f"setuid (owner {file.uid})")
    if file.mode & SETGID:
        bits.append("setgid root" if file.gid == 0 else f"setgid (group {file.gid})")
    return " and ".join(bits)
