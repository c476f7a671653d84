"""HG243: a container not required to run as non-root (PSS restricted, Running as Non-root)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    container_finding,
    containers,
    in_user_namespace,
    pod_finding,
    pod_security_context,
    text,
    value_at,
)
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG243",
    name="pod-run-as-non-root-missing",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:restricted/runAsNonRoot", "checkov:CKV_K8S_23", "trivy:KSV-0012"),
    fix="set `securityContext.runAsNonRoot: true` on the pod (and not false on any container)",
)
def run_as_non_root_missing(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `runAsNonRoot` other than `true` on the pod, on any init, regular or ephemeral
    container, and every container that leaves it unset when the pod does not set it to
    `true`. A pod with `hostUsers: false` is exempt (Kubernetes 1.35 and later): root in its
    own user namespace is not root on the node.

    ## Why is this bad?
    Without `runAsNonRoot: true` the kubelet starts the image's user, which for most
    images is root: a process compromise becomes root in the container, one kernel bug
    or misconfiguration away from root on the node.

    ## Example
    ```yaml
    spec:
      containers:
        - name: api
          image: example/api:1.0
    ```

    ## How to fix
    Set `securityContext.runAsNonRoot: true` at pod level and give the image a non-root
    `USER` (or set `runAsUser` to a non-zero UID).
    """
    if in_user_namespace(workload):
        return
    pod_value = value_at(pod_security_context(workload), "runAsNonRoot")
    if pod_value is not None and pod_value.value is not True:
        yield pod_finding(
            ctx, workload, pod_value.location, f"sets runAsNonRoot: {text(pod_value.value)}"
        )
    pod_requires = pod_value is not None and pod_value.value is True
    for container in containers(workload):
        found = value_at(container.security_context, "runAsNonRoot")
        if found is not None:
            if found.value is not True:
                yield container_finding(
                    ctx,
                    workload,
                    container,
                    found.location,
                    f"sets runAsNonRoot: {text(found.value)}",
                )
        elif not pod_requires:
            yield container_finding(
                ctx,
                workload,
                container,
                container.spec.location,
                "may run as root: neither it nor the pod sets runAsNonRoot: true",
            )
