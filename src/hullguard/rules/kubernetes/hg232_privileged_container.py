"""HG232: a privileged container in a pod spec (PSS baseline, Privileged Containers)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import container_finding, containers, is_true, value_at
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG232",
    name="pod-privileged-container",
    pillar=2,
    severity=Severity.CRITICAL,
    targets=(WORKLOAD,),
    references=("pss:baseline/privileged", "checkov:CKV_K8S_16", "trivy:KSV-0017", "cwe:250"),
    fix="remove `privileged: true`; add only the capabilities the process needs",
)
def privileged_container(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `securityContext.privileged: true` on any init, regular or ephemeral container.

    ## Why is this bad?
    A privileged container gets every capability, every device of the node, no seccomp or
    AppArmor confinement and a writable `/sys`: it can mount the node's disks, load kernel
    modules and take over the node. Baseline allows only undefined/nil and `false`.

    ## Example
    ```yaml
    containers:
      - name: agent
        image: example/agent:1.2
        securityContext:
          privileged: true
    ```

    ## How to fix
    Remove `privileged: true`. Grant the single capability the process needs instead (and
    check it against the baseline list), or mount the one device it needs.
    """
    for container in containers(workload):
        found = value_at(container.security_context, "privileged")
        if is_true(found):
            assert found is not None
            yield container_finding(ctx, workload, container, found.location, "runs privileged")
