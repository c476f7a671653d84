"""HG244: runAsUser 0 (PSS restricted, Running as Non-root user)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    in_user_namespace,
    is_integer,
    security_context_setters,
    setter_finding,
    value_at,
)
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG244",
    name="pod-run-as-root-uid",
    pillar=2,
    severity=Severity.HIGH,
    targets=(WORKLOAD,),
    references=("pss:restricted/runAsUser", "trivy:KSV-0105", "cwe:250"),
    fix="set `runAsUser` to a non-zero UID (or remove it and give the image a non-root USER)",
)
def run_as_root_uid(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `securityContext.runAsUser: 0` on the pod or on any init, regular or ephemeral
    container. A pod with `hostUsers: false` is exempt (Kubernetes 1.35 and later).

    ## Why is this bad?
    UID 0 is root: it owns the container's files, passes most permission checks, and with
    any added capability or writable host mount acts as root on the node.

    ## Example
    ```yaml
    securityContext:
      runAsUser: 0
    ```

    ## How to fix
    Use a non-zero UID that owns what the process must write (for example 10001), or
    remove `runAsUser` and let the image's non-root `USER` apply.
    """
    if in_user_namespace(workload):
        return
    for container, context in security_context_setters(workload):
        found = value_at(context, "runAsUser")
        if found is not None and is_integer(found.value, 0):
            yield setter_finding(ctx, workload, container, found.location, "sets runAsUser: 0")
