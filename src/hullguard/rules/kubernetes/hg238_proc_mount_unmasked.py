"""HG238: /proc mounted without its default masks (PSS baseline, /proc Mount Type)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    container_finding,
    containers,
    in_user_namespace,
    text,
    value_at,
)
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG238",
    name="pod-proc-mount-unmasked",
    pillar=2,
    severity=Severity.HIGH,
    targets=(WORKLOAD,),
    references=("pss:baseline/procMount", "trivy:KSV-0027"),
    fix="remove `procMount` (or set it to `Default`)",
)
def proc_mount_unmasked(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `securityContext.procMount` set to anything but `Default` on any init, regular or
    ephemeral container of a pod that shares the node's user namespace. A pod with
    `hostUsers: false` runs in its own user namespace and may set any value at baseline
    (Kubernetes 1.35 and later); HG247 still reports it at the restricted level.

    ## Why is this bad?
    The runtime masks and makes read-only parts of `/proc` (`/proc/kcore`,
    `/proc/sysrq-trigger`, `/proc/sys`, ...) that expose or change the node's kernel.
    `Unmasked` removes those masks.

    ## Example
    ```yaml
    securityContext:
      procMount: Unmasked
    ```

    ## How to fix
    Remove `procMount`. Nested container runtimes that need an unmasked `/proc` must run
    with `hostUsers: false`.
    """
    if in_user_namespace(workload):
        return
    yield from unmasked_proc_mounts(workload, ctx)


def unmasked_proc_mounts(workload: Workload, ctx: Context) -> Iterator[Finding]:
    for container in containers(workload):
        found = value_at(container.security_context, "procMount")
        if found is not None and found.value != "Default":
            yield container_finding(
                ctx, workload, container, found.location, f"sets procMount {text(found.value)}"
            )
