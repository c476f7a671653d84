"""HG455: compilers, debuggers and editors in a built image."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator

from hullguard.image.model import ImageContents
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import in_bin_directory, instruction, is_command, table


@rule(
    id="HG455",
    name="dev-tool-in-image",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(IMAGE_FILES,),
    references=("cis-docker:4.3", "cwe:1104"),
    fix="build in a separate stage and copy only the result into a slim final stage; remove "
    "debuggers and editors from images that run in production",
)
def dev_tool_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags compilers and build tools (`gcc`, `cc`, `g++`, `clang`, `make`), debuggers and
    tracers (`gdb`, `strace`, `ltrace`, `valgrind`) and editors (`vim`, `nano`, `emacs`)
    found among the commands of a built image (`/usr/bin`, `/bin`, `/usr/local/bin`,
    `/usr/sbin`, ...).

    ## Why is this bad?
    An attacker who gets a shell in the container can build exploits with its compiler,
    attach to processes with its debugger and rewrite files with its editor. These tools also
    bring hundreds of megabytes and packages whose vulnerabilities the image then carries.

    ## Example
    ```dockerfile
    FROM python:3.12
    RUN apt-get update && apt-get install -y build-essential gdb vim
    COPY . /app
    RUN pip install -r /app/requirements.txt
    ```
    Use instead:
    ```dockerfile
    FROM python:3.12 AS build
    RUN pip wheel --wheel-dir /wheels -r requirements.txt
    FROM python:3.12-slim
    COPY --from=build /wheels /wheels
    RUN pip install --no-cache-dir /wheels/*
    ```

    ## How to fix
    Build in a builder stage and copy only the artefacts into a slim or distroless final
    stage; leave debuggers and editors to ephemeral debug containers
    (`kubectl debug`, `docker debug`).

    ## Notes
    One finding per tool, at the first of its commands (`gcc`, `gcc-12`,
    `x86_64-linux-gnu-gcc` are one tool). `vi` is not reported: BusyBox provides it in every
    Alpine image. HG434 flags the same tools where a Dockerfile installs them. The tools
    live in `data/image_files.toml`.
    """
    commands = sorted(
        (path for path, file in contents.files.items() if is_command(file)),
        key=lambda p: (len(posixpath.basename(p)), p),
    )
    commands = [p for p in commands if in_bin_directory(p)]
    for tool in table()["tool"]:
        found = [
            p
            for p in commands
            if any(fnmatch.fnmatchcase(posixpath.basename(p), c) for c in tool["commands"])
        ]
        if not found:
            continue
        first = found[0]
        message = f"{tool['kind']} `{tool['name']}` is in the image at `{first}`"
        if len(found) > 1:
            message += f" (and {len(found) - 1} more commands)"
        message += f", added by {instruction(contents, contents.files[first])}"
        yield ctx.finding(at=contents.at(first), message=message)
