"""HG231: the pod shares the node's network, PID or IPC namespace (PSS baseline)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import is_true, pod_finding, value_at
from hullguard.sources.kubernetes import Workload

HOST_NAMESPACE_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


@rule(
    id="HG231",
    name="pod-host-namespace",
    pillar=2,
    severity=Severity.HIGH,
    targets=(WORKLOAD,),
    references=(
        "pss:baseline/hostNamespaces",
        "checkov:CKV_K8S_17",
        "checkov:CKV_K8S_18",
        "checkov:CKV_K8S_19",
        "trivy:KSV-0008",
        "trivy:KSV-0009",
        "trivy:KSV-0010",
    ),
    fix="remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false)",
)
def host_namespace(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `hostNetwork: true`, `hostPID: true` and `hostIPC: true` in a pod spec.

    ## Why is this bad?
    With the node's PID namespace a container sees and signals every process on the node
    and can read their environment and memory through `/proc`; with the node's network it
    reaches services bound to localhost and sniffs traffic; with the node's IPC it reads
    other workloads' shared memory. The baseline level allows only undefined/nil and `false`.

    ## Example
    ```yaml
    spec:
      hostPID: true
      containers:
        - name: debug
          image: busybox
    ```

    ## How to fix
    Remove the field. Use a Service or a NodePort to reach the pod, `kubectl debug` for
    troubleshooting, and a dedicated namespace at the `privileged` level for node agents.
    """
    for field in HOST_NAMESPACE_FIELDS:
        found = value_at(workload.pod_spec, field)
        if is_true(found):
            assert found is not None
            yield pod_finding(ctx, workload, found.location, f"sets {field}: true")
