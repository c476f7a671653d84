"""HG236: AppArmor turned off or set to an unknown profile type (PSS baseline, AppArmor)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import (
    pod_finding,
    security_context_setters,
    setter_finding,
    text,
    value_at,
)
from hullguard.sources.kubernetes import APPARMOR_ANNOTATION_PREFIX, Workload
from hullguard.sources.yaml import YMap

ALLOWED_PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})


@rule(
    id="HG236",
    name="pod-apparmor-overridden",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:baseline/appArmorProfile", "trivy:KSV-0002"),
    fix="use the runtime's default AppArmor profile (`type: RuntimeDefault`) or a Localhost one",
)
def apparmor_overridden(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags an AppArmor profile other than the runtime default or a profile loaded on the
    node: `appArmorProfile.type` other than `RuntimeDefault` or `Localhost` on the pod or
    any container (init and ephemeral too), and an annotation
    `container.apparmor.security.beta.kubernetes.io/<container>` whose value is not
    empty, `runtime/default` or `localhost/<profile>` (typically `unconfined`).

    ## Why is this bad?
    On nodes with AppArmor, the runtime's default profile blocks writes to `/proc` and
    `/sys` and mounting file systems, which most container escapes rely on. `Unconfined`
    takes that layer away.

    ## Example
    ```yaml
    spec:
      securityContext:
        appArmorProfile:
          type: Unconfined
    ```

    ## How to fix
    Remove the override so the runtime default applies, or set `type: RuntimeDefault`, or
    `type: Localhost` with a `localhostProfile` written for the workload.
    """
    for container, context in security_context_setters(workload):
        profile = value_at(context, "appArmorProfile")
        if profile is None or not isinstance(profile.value, YMap):
            continue
        kind = value_at(profile.value, "type")
        if kind is not None and kind.value in ALLOWED_PROFILE_TYPES:
            continue
        at = kind.location if kind is not None else profile.location
        shown = text(kind.value) if kind is not None else "no type"
        yield setter_finding(ctx, workload, container, at, f"sets appArmorProfile.type to {shown}")
    annotations = value_at(workload.pod_metadata, "annotations")
    if annotations is None or not isinstance(annotations.value, YMap):
        return
    for key, value in annotations.value.items():
        if not isinstance(key, str) or not key.startswith(APPARMOR_ANNOTATION_PREFIX):
            continue
        shown = "" if value is None else text(value)
        if shown in ("", "runtime/default") or shown.startswith("localhost/"):
            continue
        yield pod_finding(
            ctx,
            workload,
            annotations.value.at(key),
            f"sets the AppArmor annotation {key} to {shown}",
        )
