"""HG237: custom SELinux options (PSS baseline, SELinux)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    security_context_setters,
    setter_finding,
    text,
    value_at,
)
from hullguard.sources.kubernetes import Workload
from hullguard.sources.yaml import YMap

ALLOWED_SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)


@rule(
    id="HG237",
    name="pod-selinux-custom-options",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:baseline/seLinuxOptions", "trivy:KSV-0025"),
    fix="remove `seLinuxOptions.user`/`role` and use a container SELinux type (container_t)",
)
def selinux_custom_options(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `seLinuxOptions` on the pod or any container (init and ephemeral too) whose `type`
    is not empty, `container_t`, `container_init_t`, `container_kvm_t` or
    `container_engine_t`, or that sets a `user` or `role` at all. `level` is free.

    ## Why is this bad?
    The SELinux type decides what a process may touch. A type such as `spc_t` ("super
    privileged container") or `unconfined_t` lifts the confinement that keeps a container
    away from the node's files, and a custom user or role can grant more again.

    ## Example
    ```yaml
    securityContext:
      seLinuxOptions:
        type: spc_t
    ```

    ## How to fix
    Remove the custom options so the runtime's `container_t` applies; keep `level` if the
    workload needs a specific MCS category.
    """
    for container, context in security_context_setters(workload):
        options = value_at(context, "seLinuxOptions")
        if options is None or not isinstance(options.value, YMap):
            continue
        kind = value_at(options.value, "type")
        if kind is not None and text(kind.value) not in ALLOWED_SELINUX_TYPES:
            yield setter_finding(
                ctx,
                workload,
                container,
                kind.location,
                f"sets SELinux type {text(kind.value)}",
            )
        for part in ("user", "role"):
            found = value_at(options.value, part)
            if found is not None and found.value != "":
                yield setter_finding(
                    ctx,
                    workload,
                    container,
                    found.location,
                    f"sets SELinux {part} {text(found.value)}",
                )
