"""HG245: no seccomp profile chosen (PSS restricted, Seccomp)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    container_finding,
    containers,
    is_windows,
    pod_security_context,
    value_at,
)
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG245",
    name="pod-seccomp-profile-missing",
    pillar=2,
    severity=Severity.LOW,
    targets=(WORKLOAD,),
    references=("pss:restricted/seccompProfile", "checkov:CKV_K8S_31", "trivy:KSV-0030"),
    fix="set `securityContext.seccompProfile.type: RuntimeDefault` at pod level",
)
def seccomp_profile_missing(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags every init, regular and ephemeral container for which no seccomp profile type is
    set, neither in its own `securityContext.seccompProfile` nor in the pod's. The
    restricted level requires `RuntimeDefault` or `Localhost`; a type set to anything else
    (`Unconfined`) is reported by HG239, which both levels include. Pods with
    `spec.os.name: windows` are exempt.

    ## Why is this bad?
    Kubernetes runs containers `Unconfined` unless a profile is chosen (or the kubelet's
    `--seccomp-default` is on, which a manifest cannot count on), leaving every system
    call of the kernel open to the container.

    ## Example
    ```yaml
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: example/api:1.0
    ```

    ## How to fix
    Set `seccompProfile: {type: RuntimeDefault}` in the pod's `securityContext`, so that
    every container inherits it.
    """
    if is_windows(workload):
        return
    pod_profile = value_at(pod_security_context(workload), "seccompProfile")
    pod_type = value_at(pod_profile.value, "type") if pod_profile is not None else None
    for container in containers(workload):
        own = value_at(container.security_context, "seccompProfile")
        if own is not None:
            if value_at(own.value, "type") is None:
                yield container_finding(
                    ctx, workload, container, own.location, "sets a seccompProfile without a type"
                )
            continue
        if pod_type is None:
            yield container_finding(
                ctx,
                workload,
                container,
                container.spec.location,
                "has no seccomp profile: neither it nor the pod sets seccompProfile.type",
            )
