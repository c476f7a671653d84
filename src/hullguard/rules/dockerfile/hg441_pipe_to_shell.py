"""HG441: downloaded code run straight from the network: `curl ... | sh` and its variants."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile
from hullguard.sources.shell import Command, Script

_DOWNLOADERS = frozenset({"curl", "wget", "fetch"})
_SHELLS = re.compile(r"^(sh|bash|dash|zsh|ksh|mksh|ash|fish|csh|tcsh|busybox)$")
_INTERPRETERS = re.compile(
    r"^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*|pwsh|lua[0-9.]*|tclsh|"
    r"Rscript|deno|bun)$"
)
# Options after which an interpreter runs the given string or file rather than its stdin.
_PROGRAM_OPTIONS = frozenset({"-c", "-e", "-E", "-p", "-m", "-r", "--eval", "--print", "-Command"})
# Flags of curl and wget that write the download to a file, not to the pipe.
_SUBSTITUTED_DOWNLOAD = re.compile(r"(\$\(|`|<\()\s*(curl|wget|fetch)\b")


@rule(
    id="HG441",
    name="pipe-to-shell",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("cwe:494",),
    fix="download to a file, verify its checksum or signature, then run it",
)
def pipe_to_shell(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags RUN steps that execute what curl or wget just downloaded without checking it:
    `curl ... | sh`, `wget -qO- ... | python3`, `bash <(curl ...)`, `sh -c "$(curl ...)"`,
    `eval "$(curl ...)"`.

    ## Why is this bad?
    The script runs with the build's privileges (root, usually) the moment it arrives, with no
    checksum and no signature: whoever controls the server, the CDN, the DNS answer or the
    project's account controls the image. A server can even tell `curl | sh` from a browser
    download and serve each a different script. A truncated download runs half a script.

    ## Example
    ```dockerfile
    RUN curl -fsSL https://get.example.com/install.sh | sh
    ```
    Use instead:
    ```dockerfile
    RUN curl -fsSLo /tmp/install.sh https://get.example.com/1.4.2/install.sh \\
     && echo "<sha256 of install.sh 1.4.2>  /tmp/install.sh" | sha256sum -c - \\
     && sh /tmp/install.sh \\
     && rm /tmp/install.sh
    ```

    ## How to fix
    Download to a file, check it against a checksum you keep in the Dockerfile (or a signature
    you verify), then run it. Better, install the tool from a package repository or copy it
    from an official image with `COPY --from=`.

    ## Notes
    Every stage is checked: code run in a builder stage shapes what is built. An interpreter
    that reads a program from an argument (`python3 -c ...`, `node -e ...`, a script file)
    only gets data from the pipe and is not reported.
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword != "RUN" or instruction.script is None:
            continue
        reported: set[tuple[int, int]] = set()
        for command, how in _piped_to_interpreter(instruction.script):
            where = (command.line, command.column)
            if where not in reported:
                reported.add(where)
                yield ctx.finding(
                    at=Location(path=ctx.path, line=command.line, column=command.column),
                    message=how,
                )


def _piped_to_interpreter(script: Script) -> Iterator[tuple[Command, str]]:
    pipelines: dict[int, list[Command]] = {}
    for command in script.commands:
        pipelines.setdefault(command.pipeline, []).append(command)
    for members in pipelines.values():
        downloads = [c for c in members if c.name in _DOWNLOADERS and c.wrapped_by is None]
        for download in downloads:
            for reader in members:
                if reader.pipe_position > download.pipe_position and _runs_stdin(reader):
                    yield download, f"`{download.name}` output piped into `{reader.name}`"
                    break
    for command in script.commands:
        if not (
            _SHELLS.match(command.name)
            or _INTERPRETERS.match(command.name)
            or command.name in ("eval", "source", ".")
        ):
            continue
        for word in command.words[1:]:
            match = _SUBSTITUTED_DOWNLOAD.search(word.raw) or _SUBSTITUTED_DOWNLOAD.search(
                word.text
            )
            if match:
                yield command, f"`{command.name}` runs code from `{match.group(2)}` directly"
                break


def _runs_stdin(command: Command) -> bool:
    """True when a shell or interpreter takes its program from standard input."""
    name = command.name
    if not (_SHELLS.match(name) or _INTERPRETERS.match(name)):
        return False
    args = list(command.args)
    if name == "busybox":
        if not args or not _SHELLS.match(args[0]):
            return False
        args = args[1:]
    for arg in args:
        if arg in ("-", "-s"):
            return True
        if arg in _PROGRAM_OPTIONS or (_SHELLS.match(name) and _has_short(arg, "c")):
            return False
        if not arg.startswith("-"):
            return False  # a script file
    return True


def _has_short(arg: str, letter: str) -> bool:
    return arg.startswith("-") and not arg.startswith("--") and letter in arg[1:]
