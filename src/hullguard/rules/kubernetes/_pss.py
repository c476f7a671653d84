"""What the Pod Security Standards rules share: the containers of a pod spec with their paths,
located field look-ups that treat absent, null and wrongly typed values alike, and the pod-level
facts that exempt a pod from some controls (a Windows pod, a pod in a user namespace)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hullguard.model import Finding, Located, Location
from hullguard.registry import Context
from hullguard.sources.kubernetes import CONTAINER_LISTS, Workload
from hullguard.sources.yaml import YList, YMap

_LIST_LABELS = {
    "initContainers": "init container",
    "containers": "container",
    "ephemeralContainers": "ephemeral container",
}


@dataclass(frozen=True)
class PodContainer:
    """One container of a pod spec: which list it is in, its name and its located mapping."""

    list_key: str
    index: int
    name: str
    spec: YMap
    path: str  # logical, from the object: `spec.template.spec.containers[0]`

    @property
    def label(self) -> str:
        return f"{_LIST_LABELS[self.list_key]} `{self.name}`"

    @property
    def security_context(self) -> YMap | None:
        context = self.spec.get("securityContext")
        return context if isinstance(context, YMap) else None


def containers(workload: Workload) -> Iterator[PodContainer]:
    """Every init, regular and ephemeral container, in that order."""
    for list_key in CONTAINER_LISTS:
        items = workload.pod_spec.get(list_key)
        if not isinstance(items, YList):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, YMap):
                continue
            name = item.get("name")
            yield PodContainer(
                list_key=list_key,
                index=index,
                name=str(name) if isinstance(name, str | int) else f"#{index}",
                spec=item,
                path=f"{workload.pod_spec_path}.{list_key}[{index}]",
            )


def pod_security_context(workload: Workload) -> YMap | None:
    context = workload.pod_spec.get("securityContext")
    return context if isinstance(context, YMap) else None


def value_at(mapping: YMap | None, *keys: str) -> Located[Any] | None:
    """The value at `keys` under `mapping` with its location; None when any step is absent,
    null or not a mapping (Kubernetes reads a null field as unset)."""
    current: Any = mapping
    location: Location | None = None
    for key in keys:
        if not isinstance(current, YMap) or current.get(key) is None:
            return None
        location = current.at(key)
        current = current[key]
    if location is None:
        return None
    return Located(current, location)


def mapping_at(mapping: YMap | None, *keys: str) -> YMap | None:
    found = value_at(mapping, *keys)
    return found.value if found is not None and isinstance(found.value, YMap) else None


def is_true(found: Located[Any] | None) -> bool:
    return found is not None and found.value is True


def is_integer(value: Any, number: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == number


def text(value: Any) -> str:
    """A scalar as it reads in a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, YMap | YList):
        return "a " + ("mapping" if isinstance(value, YMap) else "list")
    return str(value)


def is_windows(workload: Workload) -> bool:
    """A pod with `spec.os.name: windows`, exempt from the Linux-only restricted controls."""
    found = value_at(workload.pod_spec, "os", "name")
    return found is not None and found.value == "windows"


def in_user_namespace(workload: Workload) -> bool:
    """`hostUsers: false`: the pod runs in its own user namespace (root in it is not root on
    the node), which relaxes the controls about running as root and /proc masks."""
    found = value_at(workload.pod_spec, "hostUsers")
    return found is not None and found.value is False


def container_finding(
    ctx: Context, workload: Workload, container: PodContainer, at: Location, message: str
) -> Finding:
    return ctx.finding(
        at=at,
        message=f"{container.label} of {workload.resource} {message}",
        resource=f"{workload.resource}/{container.list_key}/{container.name}",
    )


def pod_finding(ctx: Context, workload: Workload, at: Location, message: str) -> Finding:
    return ctx.finding(
        at=at, message=f"pod {workload.resource} {message}", resource=workload.resource
    )


def security_context_setters(
    workload: Workload,
) -> Iterator[tuple[PodContainer | None, YMap]]:
    """The pod's security context (container None), then each container's, where present."""
    pod = pod_security_context(workload)
    if pod is not None:
        yield None, pod
    for container in containers(workload):
        context = container.security_context
        if context is not None:
            yield container, context


def setter_finding(
    ctx: Context, workload: Workload, container: PodContainer | None, at: Location, message: str
) -> Finding:
    """A finding about a value set at pod level (container None) or in a container."""
    if container is None:
        return pod_finding(ctx, workload, at, message)
    return container_finding(ctx, workload, container, at, message)
