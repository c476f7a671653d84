"""HG230: a Windows HostProcess pod or container (PSS baseline, HostProcess)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    is_true,
    security_context_setters,
    setter_finding,
    value_at,
)
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG230",
    name="pod-windows-host-process",
    pillar=2,
    severity=Severity.CRITICAL,
    targets=(WORKLOAD,),
    references=("pss:baseline/windowsHostProcess", "trivy:KSV-0103", "cwe:250"),
    fix="remove `windowsOptions.hostProcess: true`; run node agents outside application namespaces",
)
def windows_host_process(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `securityContext.windowsOptions.hostProcess: true` on the pod or on any init,
    regular or ephemeral container.

    ## Why is this bad?
    A HostProcess container runs directly on the Windows node, outside any container
    isolation, with the node's network and file system: it is the Windows equivalent of a
    privileged container. The Pod Security Standards' baseline level forbids it; allowed
    values are undefined/nil and `false`.

    ## Example
    ```yaml
    spec:
      securityContext:
        windowsOptions:
          hostProcess: true
      hostNetwork: true
    ```

    ## How to fix
    Remove `hostProcess: true`. Node-level agents that truly need it belong in a namespace
    labelled for the `privileged` level, kept apart from application workloads.
    """
    for container, context in security_context_setters(workload):
        found = value_at(context, "windowsOptions", "hostProcess")
        if is_true(found):
            assert found is not None
            yield setter_finding(
                ctx, workload, container, found.location, "sets windowsOptions.hostProcess: true"
            )
