"""HG430: apt installs recommended packages into the final image."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import Action, Manager, Option, package_commands
from hullguard.sources.dockerfile import Dockerfile, Instruction

_RECOMMENDS_OFF = re.compile(r"^apt::install-recommends\s*=\s*\"?(false|0|no|off)\"?$", re.I)
# `APT::Install-Recommends "false";` written to an apt.conf.d file by an earlier RUN or COPY.
_CONFIG_OFF = re.compile(r"apt::install-recommends\s+\"?(false|0|no|off)\"?", re.I)


@rule(
    id="HG430",
    name="apt-install-recommends",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3015",
        "trivy:DS-0029",
        "kics:7384dfb2-fcd1-4fbf-91cd-6c44c318c33c",
        "cis-docker:4.3",
    ),
    fix="add `--no-install-recommends` to `apt-get install`",
)
def apt_install_recommends(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `apt-get install` and `apt install` in the stages that ship when they install
    recommended packages too: no `--no-install-recommends` and no
    `-o APT::Install-Recommends=false`.

    ## Why is this bad?
    APT installs a package's "Recommends" by default: documentation, helper programs, extra
    libraries that the application never uses. They often double the size of what was asked
    for, and every one of them is more code to patch and more vulnerabilities for a scanner to
    report and for an attacker to use.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    ```
    Use instead:
    ```dockerfile
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends curl \\
     && rm -rf /var/lib/apt/lists/*
    ```

    ## How to fix
    Add `--no-install-recommends` to every `apt-get install`, then add back by name the few
    recommended packages the application really needs (often `ca-certificates`).

    ## Notes
    Only the stages that end up in the final image are checked; what a builder stage installs
    does not ship. An `APT::Install-Recommends "false";` setting written by an earlier RUN or
    COPY heredoc of those stages counts as the option. `aptitude install -R` counts too.
    """
    configured = False
    for instruction in dockerfile.shipped_instructions("RUN", "COPY", "ADD"):
        if instruction.keyword == "RUN":
            for pc in package_commands(instruction.script):
                if pc.manager is not Manager.APT or pc.action is not Action.INSTALL:
                    continue
                if pc.subcommand == "build-dep" or configured or _recommends_off(pc.options):
                    continue
                cmd = pc.command
                yield ctx.finding(
                    at=Location(path=ctx.path, line=cmd.line, column=cmd.column),
                    message=f"`{pc.text}` without --no-install-recommends",
                )
        configured = configured or _writes_config(instruction)


def _recommends_off(options: tuple[Option, ...]) -> bool:
    for option in options:
        if option.name in ("--no-install-recommends", "-R", "--without-recommends"):
            return True
        value = option.value
        if option.name in ("-o", "--option") and value and _RECOMMENDS_OFF.match(value.strip()):
            return True
    return False


def _writes_config(instruction: Instruction) -> bool:
    texts = [h.content for h in instruction.heredocs]
    if instruction.script is not None:
        texts.extend(" ".join(c.args) for c in instruction.script.named("echo", "printf"))
    return any(_CONFIG_OFF.search(text) for text in texts)
