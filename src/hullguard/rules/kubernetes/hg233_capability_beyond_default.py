"""HG233: a capability added beyond the default set (PSS baseline, Capabilities)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import container_finding, containers, text, value_at
from hullguard.sources.kubernetes import Workload
from hullguard.sources.yaml import YList

# The container runtimes' default capability set, which baseline lets a container add back.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


@rule(
    id="HG233",
    name="pod-capability-beyond-default",
    pillar=2,
    severity=Severity.HIGH,
    targets=(WORKLOAD,),
    references=(
        "pss:baseline/capabilities",
        "checkov:CKV_K8S_25",
        "checkov:CKV_K8S_39",
        "trivy:KSV-0022",
        "trivy:KSV-0005",
        "cwe:250",
    ),
    fix="drop the added capability, or replace it with one of the runtime's default set",
)
def capability_beyond_default(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each entry of `securityContext.capabilities.add` (init, regular and ephemeral
    containers) that is not in the runtime's default set: AUDIT_WRITE, CHOWN, DAC_OVERRIDE,
    FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID,
    SYS_CHROOT. Names are compared exactly as Kubernetes passes them on (`CAP_SYS_ADMIN`
    and `sys_admin` are not in the set either).

    ## Why is this bad?
    Capabilities such as SYS_ADMIN, SYS_PTRACE, NET_ADMIN, SYS_MODULE or NET_RAW hand the
    container pieces of root on the node: mounting file systems, tracing other processes,
    reconfiguring the network, loading kernel modules, spoofing packets.

    ## Example
    ```yaml
    securityContext:
      capabilities:
        add: ["SYS_ADMIN"]
    ```

    ## How to fix
    Remove the capability. If the process needs one, find the narrowest in the default
    set, or move the privileged step to a separate, reviewed workload.
    """
    for container in containers(workload):
        added = value_at(container.security_context, "capabilities", "add")
        if added is None or not isinstance(added.value, YList):
            continue
        for index, capability in enumerate(added.value):
            if capability is None or capability in BASELINE_CAPABILITIES:
                continue
            yield container_finding(
                ctx,
                workload,
                container,
                added.value.at(index),
                f"adds capability {text(capability)}, beyond the default set",
            )
