"""HG240: a sysctl outside the safe set (PSS baseline, Sysctls)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import pod_finding, pod_security_context, text, value_at
from hullguard.sources.kubernetes import Workload
from hullguard.sources.yaml import YList, YMap

# Namespaced sysctls isolated from other pods, as the standard allows them (Kubernetes 1.37).
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",  # 1.27
        "net.ipv4.tcp_keepalive_time",  # 1.29
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",  # 1.32
        "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_slow_start_after_idle",  # 1.37
        "net.ipv4.tcp_notsent_lowat",
    }
)


@rule(
    id="HG240",
    name="pod-unsafe-sysctl",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:baseline/sysctls", "trivy:KSV-0026"),
    fix="remove the sysctl, or set it on the node for the nodes that need it",
)
def unsafe_sysctl(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each `spec.securityContext.sysctls[*].name` outside the safe set of the current
    standard: `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
    `net.ipv4.ip_unprivileged_port_start`, `net.ipv4.tcp_syncookies`,
    `net.ipv4.ping_group_range`, `net.ipv4.ip_local_reserved_ports`,
    `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`,
    `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`, `net.ipv4.tcp_rmem`,
    `net.ipv4.tcp_wmem`, `net.ipv4.tcp_slow_start_after_idle` and
    `net.ipv4.tcp_notsent_lowat`.

    ## Why is this bad?
    A sysctl outside that set is either not namespaced (it changes the kernel for every pod
    on the node) or not isolated (it lets one pod starve or weaken others, such as
    `kernel.msgmax` or `net.core.somaxconn` on some kernels).

    ## Example
    ```yaml
    securityContext:
      sysctls:
        - name: kernel.msgmax
          value: "65536"
    ```

    ## How to fix
    Remove the sysctl. If the workload needs it, tune it on dedicated nodes and allow it
    there with the kubelet's `--allowed-unsafe-sysctls`.
    """
    sysctls = value_at(pod_security_context(workload), "sysctls")
    if sysctls is None or not isinstance(sysctls.value, YList):
        return
    for index, item in enumerate(sysctls.value):
        if not isinstance(item, YMap):
            continue
        name = value_at(item, "name")
        shown = text(name.value) if name is not None else ""
        if shown in SAFE_SYSCTLS:
            continue
        at = name.location if name is not None else sysctls.value.at(index)
        yield pod_finding(ctx, workload, at, f"sets the unsafe sysctl {shown or '(no name)'}")
