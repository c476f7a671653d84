"""HG239: seccomp turned off (PSS baseline, Seccomp)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    security_context_setters,
    setter_finding,
    text,
    value_at,
)
from hullguard.sources.kubernetes import Workload

ALLOWED_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


@rule(
    id="HG239",
    name="pod-seccomp-unconfined",
    pillar=2,
    severity=Severity.HIGH,
    targets=(WORKLOAD,),
    references=("pss:baseline/seccompProfile", "trivy:KSV-0104"),
    fix="set `seccompProfile.type: RuntimeDefault` (or Localhost with a reviewed profile)",
)
def seccomp_unconfined(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `seccompProfile.type` set to anything but `RuntimeDefault` or `Localhost`
    (in practice `Unconfined`) on the pod or any init, regular or ephemeral container.

    ## Why is this bad?
    The runtime's default seccomp profile blocks system calls that containers do not need
    and that many kernel exploits and escapes use (`unshare`, `keyctl`, `bpf`, `mount`,
    ...). `Unconfined` opens the whole kernel interface again.

    ## Example
    ```yaml
    securityContext:
      seccompProfile:
        type: Unconfined
    ```

    ## How to fix
    Set `type: RuntimeDefault`, or `type: Localhost` with a profile written for the
    workload.
    """
    for container, context in security_context_setters(workload):
        kind = value_at(context, "seccompProfile", "type")
        if kind is not None and kind.value not in ALLOWED_SECCOMP_TYPES:
            yield setter_finding(
                ctx,
                workload,
                container,
                kind.location,
                f"sets seccompProfile.type {text(kind.value)}",
            )
