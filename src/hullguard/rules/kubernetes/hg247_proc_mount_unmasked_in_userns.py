"""HG247: /proc unmasked in a user-namespaced pod (PSS restricted, /proc Mount Type)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import in_user_namespace
from hullguard.rules.kubernetes.hg238_proc_mount_unmasked import unmasked_proc_mounts
from hullguard.sources.kubernetes import Workload


@rule(
    id="HG247",
    name="pod-proc-mount-unmasked-in-userns",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:restricted/procMount", "trivy:KSV-0027"),
    fix="remove `procMount` (or set it to `Default`)",
)
def proc_mount_unmasked_in_userns(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `securityContext.procMount` other than `Default` in a pod with
    `hostUsers: false`. Baseline lets such pods unmask `/proc` (Kubernetes 1.35 and later);
    the restricted level does not. Pods that share the node's user namespace are reported
    by HG238, which both levels include.

    ## Why is this bad?
    A user namespace makes the container's root harmless to the node's files, but an
    unmasked `/proc` still exposes kernel interfaces (`/proc/sys`, `/proc/sysrq-trigger`,
    `/proc/kcore`) that hardened workloads have no use for.

    ## Example
    ```yaml
    spec:
      hostUsers: false
      containers:
        - name: builder
          image: example/builder:1.0
          securityContext:
            procMount: Unmasked
    ```

    ## How to fix
    Remove `procMount`, unless the workload runs a nested container runtime, which then
    belongs at the baseline level.
    """
    if in_user_namespace(workload):
        yield from unmasked_proc_mounts(workload, ctx)
