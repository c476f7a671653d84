"""HG432: the package manager's lists or cache are left in the layer that fetched them."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import (
    CACHE_DIRS,
    Action,
    Manager,
    PackageCommand,
    cache_mounted,
    family,
    package_commands,
    removes_path,
    same_family,
)
from hullguard.sources.dockerfile import Dockerfile, Instruction

_CLEAN_ADVICE = {
    Manager.YUM: "yum clean all",
    Manager.DNF: "dnf clean all",
    Manager.MICRODNF: "microdnf clean all",
    Manager.ZYPPER: "zypper clean --all",
}
_RPM_CACHES = ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5")


@rule(
    id="HG432",
    name="package-cache-left-behind",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3009",
        "hadolint:DL3032",
        "hadolint:DL3040",
        "hadolint:DL3036",
        "trivy:DS-0015",
        "trivy:DS-0019",
        "trivy:DS-0027",
        "trivy:DS-0020",
        "dockle:DKL-DI-0005",
        "kics:df746b39-6564-4fed-bf85-e9c44382303c",
        "kics:00481784-25aa-4a55-8633-3136dfcf4f37",
        "kics:295acb63-9246-4b21-b441-7c1f1fb62dc0",
        "kics:38300d1a-feb2-4a48-936a-d1ef1cd24313",
    ),
    fix="clean up in the same RUN: `rm -rf /var/lib/apt/lists/*`, `dnf clean all`, "
    "`zypper clean --all`",
)
def package_cache_left_behind(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    In the stages that ship, flags a RUN that runs `apt-get update` without removing
    `/var/lib/apt/lists/*`, and a RUN that installs or upgrades with yum, dnf, microdnf or
    zypper without `clean all` (`zypper clean`) in that same RUN.

    ## Why is this bad?
    Package lists and downloaded packages are tens of megabytes that the running application
    never reads. Removed in a later RUN they still sit in the earlier layer, so the cleanup has to
    happen in the RUN that fetched them. A stale index left in the image also hands an attacker a
    ready list of what can be installed.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y --no-install-recommends curl
    RUN dnf install -y nginx
    ```
    Use instead:
    ```dockerfile
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends curl \\
     && rm -rf /var/lib/apt/lists/*
    RUN dnf install -y nginx && dnf clean all
    ```

    ## How to fix
    End the RUN with `rm -rf /var/lib/apt/lists/*` (apt), `yum clean all`, `dnf clean all`,
    `microdnf clean all` or `zypper clean --all`, or mount a cache over the manager's cache
    directory: `RUN --mount=type=cache,target=/var/lib/apt/lists ...`.

    ## Notes
    Only the stages that end up in the final image are checked; a builder stage's cache does not
    ship. Removing the cache directory (`rm -rf /var/cache/dnf`) counts as a clean, and so does a
    `--mount=type=cache` or `type=tmpfs` over it. apk is covered by HG431 and pip by HG433.
    """
    for instruction in dockerfile.shipped_instructions("RUN"):
        commands = package_commands(instruction.script)
        reported: set[Manager] = set()
        for pc in commands:
            message = _left_behind(instruction, pc, commands)
            if message and family(pc.manager) not in reported:
                reported.add(family(pc.manager))
                cmd = pc.command
                yield ctx.finding(
                    at=Location(path=ctx.path, line=cmd.line, column=cmd.column), message=message
                )


def _left_behind(
    instruction: Instruction, pc: PackageCommand, commands: list[PackageCommand]
) -> str | None:
    script = instruction.script
    if pc.manager is Manager.APT:
        if pc.action is not Action.UPDATE:
            return None
        if cache_mounted(instruction, Manager.APT) or removes_path(script, "/var/lib/apt/lists"):
            return None
        return f"`{pc.text}` without `rm -rf /var/lib/apt/lists/*` in the same RUN"
    if pc.manager in _CLEAN_ADVICE:
        if pc.action not in (Action.INSTALL, Action.UPGRADE):
            return None
        if any(o.action is Action.CLEAN and same_family(o.manager, pc.manager) for o in commands):
            return None
        caches = CACHE_DIRS[pc.manager] + (_RPM_CACHES if pc.manager is not Manager.ZYPPER else ())
        if cache_mounted(instruction, pc.manager) or removes_path(script, *caches):
            return None
        return f"`{pc.text}` without `{_CLEAN_ADVICE[pc.manager]}` in the same RUN"
    return None
