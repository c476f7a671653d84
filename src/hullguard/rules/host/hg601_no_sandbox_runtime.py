"""HG601: no sandbox runtime (gVisor, Kata) is registered with the daemon."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import API, docker_present, file_settings, unset_location

SANDBOX_MARKERS = ("runsc", "gvisor", "kata")


def is_sandbox(runtime: str) -> bool:
    name = runtime.strip().lower()
    return any(marker in name for marker in SANDBOX_MARKERS)


@rule(
    id="HG601",
    name="no-sandbox-runtime",
    pillar=6,
    severity=Severity.INFO,
    targets=(HOST,),
    references=("cwe:653",),
    fix="install gVisor (runsc) or Kata Containers, register it under `runtimes` in "
    "/etc/docker/daemon.json, and run untrusted workloads with `--runtime runsc`",
)
def no_sandbox_runtime(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises when neither gVisor (`runsc`) nor Kata Containers is registered as a runtime,
    judged from the runtimes the Engine API lists and the `runtimes` of `daemon.json` or
    `--add-runtime`.

    ## Why is this bad?
    With `runc` alone, every container shares the host's kernel: one kernel bug reachable
    from a container is a host escape. A sandbox runtime puts untrusted code (customer
    jobs, CI builds from forks, plugins) behind a second kernel or a virtual machine.

    ## Example
    ```json
    {"default-runtime": "runc"}
    ```
    Use instead:
    ```json
    {"runtimes": {"runsc": {"path": "/usr/local/bin/runsc"}}}
    ```

    ## How to fix
    Install gVisor or Kata, register it, and start untrusted containers with
    `--runtime runsc` (or `kata`).

    ## Notes
    Advice: a host that runs only its own trusted images may not need one.
    """
    if not docker_present(audit):
        return
    names = [r.value for r in file_settings(audit).runtimes]
    sources = ["the daemon's configuration files"]
    if audit.daemon is not None:
        names.extend(audit.daemon.runtimes)
        sources.insert(0, API)
    if not any(is_sandbox(n) for n in names):
        listed = ", ".join(sorted(set(names))) or "none listed"
        yield ctx.finding(
            at=unset_location(audit),
            message=f"no sandbox runtime (gVisor runsc, Kata) is registered; runtimes: {listed} "
            f"({' and '.join(sources)})",
        )
