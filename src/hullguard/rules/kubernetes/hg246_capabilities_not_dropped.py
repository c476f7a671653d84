"""HG246: capabilities not dropped to the minimum (PSS restricted, Capabilities)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    container_finding,
    containers,
    is_windows,
    text,
    value_at,
)
from hullguard.rules.kubernetes.hg233_capability_beyond_default import BASELINE_CAPABILITIES
from hullguard.sources.kubernetes import Workload
from hullguard.sources.yaml import YList


@rule(
    id="HG246",
    name="pod-capabilities-not-dropped",
    pillar=2,
    severity=Severity.LOW,
    targets=(WORKLOAD,),
    references=("pss:restricted/capabilities", "trivy:KSV-0003", "trivy:KSV-0106"),
    fix='set `capabilities: {drop: ["ALL"]}` and add back only NET_BIND_SERVICE if needed',
)
def capabilities_not_dropped(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags every init, regular and ephemeral container whose
    `securityContext.capabilities.drop` does not include `ALL`, and each capability it adds
    back other than `NET_BIND_SERVICE`. (Capabilities outside the runtime's default set are
    reported by HG233, which both levels include.) Pods with `spec.os.name: windows` are
    exempt.

    ## Why is this bad?
    Even the runtime's default capabilities are more than most services need: CHOWN,
    DAC_OVERRIDE, FOWNER, SETUID, SETGID and the like help an attacker who gets a shell
    tamper with files and switch users. Dropping them all leaves only what the process
    proves it needs.

    ## Example
    ```yaml
    securityContext:
      capabilities:
        drop: ["NET_RAW"]
        add: ["CHOWN"]
    ```

    ## How to fix
    Use `drop: ["ALL"]`; keep `add: ["NET_BIND_SERVICE"]` only for a process that binds a
    port below 1024 (or configure `net.ipv4.ip_unprivileged_port_start` instead).
    """
    if is_windows(workload):
        return
    for container in containers(workload):
        capabilities = value_at(container.security_context, "capabilities")
        dropped = value_at(capabilities.value, "drop") if capabilities is not None else None
        if dropped is None or not isinstance(dropped.value, YList) or "ALL" not in dropped.value:
            at = (
                dropped.location
                if dropped is not None
                else capabilities.location
                if capabilities is not None
                else container.spec.location
            )
            yield container_finding(
                ctx, workload, container, at, 'does not drop ALL capabilities (drop: ["ALL"])'
            )
        added = value_at(capabilities.value, "add") if capabilities is not None else None
        if added is None or not isinstance(added.value, YList):
            continue
        for index, capability in enumerate(added.value):
            if capability == "NET_BIND_SERVICE" or capability not in BASELINE_CAPABILITIES:
                continue
            yield container_finding(
                ctx,
                workload,
                container,
                added.value.at(index),
                f"adds capability {text(capability)}; only NET_BIND_SERVICE may be added",
            )
