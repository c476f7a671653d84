"""HG242: a container that may gain privileges (PSS restricted, Privilege Escalation)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import container_finding, containers, is_windows, value_at
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG242",
    name="pod-privilege-escalation-allowed",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=(
        "pss:restricted/allowPrivilegeEscalation",
        "checkov:CKV_K8S_20",
        "trivy:KSV-0001",
        "cwe:250",
    ),
    fix="set `securityContext.allowPrivilegeEscalation: false` on every container",
)
def privilege_escalation_allowed(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags every init, regular and ephemeral container that does not set
    `securityContext.allowPrivilegeEscalation: false`; unset counts, since the default
    allows escalation. Pods with `spec.os.name: windows` are exempt.

    ## Why is this bad?
    Without `no_new_privs`, a process can gain privileges through set-user-ID binaries
    (`su`, `sudo`, `ping` on some images) and file capabilities, turning a compromise of
    an unprivileged process into root in the container.

    ## Example
    ```yaml
    containers:
      - name: api
        image: example/api:1.0
        securityContext:
          runAsNonRoot: true
    ```

    ## How to fix
    Add `allowPrivilegeEscalation: false` to each container's `securityContext`.
    """
    if is_windows(workload):
        return
    for container in containers(workload):
        found = value_at(container.security_context, "allowPrivilegeEscalation")
        if found is not None and found.value is False:
            continue
        if found is not None:
            yield container_finding(
                ctx, workload, container, found.location, "allows privilege escalation"
            )
        else:
            yield container_finding(
                ctx,
                workload,
                container,
                container.spec.location,
                "does not set allowPrivilegeEscalation: false",
            )
