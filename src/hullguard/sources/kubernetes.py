"""Kubernetes source: workloads (objects that run pods) and the containers they run.

A manifest stream is read with the located YAML loader; every object whose kind runs pods
(Pod, the controllers with a pod template, CronJob, PodTemplate, and `List`s of them) becomes a
`Workload` that keeps its pod spec as located YAML, so the Pod Security Standards rules can read
every field as written. Each init, regular and ephemeral container is also projected into a
`ContainerSpec` with the pod-level security context merged in as the kubelet does (the
container's own value wins), host namespaces, volumes followed to their mounts, capabilities,
limits, ports and environment, every value located where it was written.

Nothing here raises on bad input: YAML that does not parse and values of the wrong type (a string
where a list belongs) become `ErrorEntry`s with their line, and the rest still counts. A Helm
template (`{{ ... }}`) is not YAML until Helm renders it, so it is skipped with a reason.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from hullguard.model import ErrorEntry, Located, Location
from hullguard.sources.yaml import YList, YMap, load_documents
from hullguard.spec import KUBERNETES, ContainerSpec, EnvVar, Mount, PortBinding

# kind -> the keys leading from the object to its pod template (None: the object is the pod).
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...] | None] = {
    "Pod": None,
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_HELM_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_MERGED_FIELDS = (
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "seLinuxOptions",
    "seccompProfile",
    "appArmorProfile",
)


@dataclass(frozen=True)
class Workload:
    """An object that runs pods. `pod_spec` is its pod (template) spec as located YAML and
    `pod_spec_path` the logical path to it (`spec`, `spec.template.spec`, ...);
    `pod_metadata` is the pod's (template's) metadata, where annotations apply."""

    kind: str
    name: str
    namespace: str | None
    resource: str  # `Deployment/shop-api`
    location: Location
    metadata: YMap
    pod_metadata: YMap | None
    pod_spec: YMap
    pod_spec_path: str


@dataclass(frozen=True)
class KubernetesResult:
    workloads: tuple[Workload, ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    errors: tuple[ErrorEntry, ...] = ()
    skipped: str | None = None  # why the file was not read (a Helm template)
    runtime_classes: tuple[RuntimeClass, ...] = ()


@dataclass(frozen=True)
class RuntimeClass:
    """A `RuntimeClass` object: the runtime handler (`runsc`, `kata`) its name stands for."""

    name: str
    handler: Located[str]


def load_kubernetes(text: str, display: str) -> KubernetesResult:
    """Every workload and container of a manifest stream, with the errors met on the way."""
    if _HELM_EXPRESSION.search(text):
        return KubernetesResult(
            skipped="a Helm template: `{{ ... }}` expressions make it YAML only once rendered"
        )
    reader = _Reader(display)
    workloads: list[Workload] = []
    containers: list[ContainerSpec] = []
    runtime_classes: list[RuntimeClass] = []
    for document in load_documents(text, display):
        if document.error is not None:
            reader.errors.append(
                ErrorEntry(
                    path=display,
                    message=document.error.message,
                    line=document.error.line,
                    column=document.error.column,
                )
            )
            continue
        for obj, logical in _objects(document.value, reader):
            runtime_class = _runtime_class(obj, reader)
            if runtime_class is not None:
                runtime_classes.append(runtime_class)
                continue
            workload = _workload(obj, logical, reader)
            if workload is None:
                continue
            workloads.append(workload)
            containers.extend(_containers(workload, reader))
    containers = resolve_runtime_classes(containers, runtime_classes)
    return KubernetesResult(
        tuple(workloads),
        tuple(containers),
        _distinct(reader.errors),
        runtime_classes=tuple(runtime_classes),
    )


def _runtime_class(obj: YMap, reader: _Reader) -> RuntimeClass | None:
    """A RuntimeClass object (`node.k8s.io`): its name and its `handler`."""
    if obj.get("kind") != "RuntimeClass":
        return None
    metadata = reader.map(obj, "metadata", "RuntimeClass.metadata")
    name = metadata.get("name") if metadata is not None else None
    handler = reader.scalar(obj, "handler", "RuntimeClass.handler")
    if not isinstance(name, str) or handler is None:
        return None
    return RuntimeClass(name, handler)


def resolve_runtime_classes(
    containers: list[ContainerSpec], runtime_classes: list[RuntimeClass]
) -> list[ContainerSpec]:
    """Each container whose `runtimeClassName` names one of `runtime_classes`, with that
    class's handler as its `runtime_handler`."""
    handlers = {rc.name: rc.handler for rc in runtime_classes}
    resolved = []
    for spec in containers:
        if spec.runtime is not None and spec.runtime.value in handlers:
            spec = replace(spec, runtime_handler=handlers[spec.runtime.value])
        resolved.append(spec)
    return resolved


def _distinct(errors: list[ErrorEntry]) -> tuple[ErrorEntry, ...]:
    """One error per place: a pod-level value is read once for every container."""
    seen: set[tuple[int | None, int | None]] = set()
    kept = []
    for error in errors:
        if (error.line, error.column) not in seen:
            seen.add((error.line, error.column))
            kept.append(error)
    return tuple(kept)


class _Reader:
    """Typed access to located YAML: a value of the wrong type is recorded as an error (with
    its line) and read as absent."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.errors: list[ErrorEntry] = []

    def wrong(self, location: Location, what: str, expected: str, value: Any) -> None:
        self.errors.append(
            ErrorEntry(
                path=self.display,
                message=f"{what} must be {expected}, not {_type_name(value)}",
                line=location.line,
                column=location.column,
            )
        )

    def map(self, parent: YMap, key: str, what: str) -> YMap | None:
        value = parent.get(key)
        if value is None or isinstance(value, YMap):
            return value
        self.wrong(parent.at(key), what, "a mapping", value)
        return None

    def list(self, parent: YMap, key: str, what: str) -> YList | None:
        value = parent.get(key)
        if value is None or isinstance(value, YList):
            return value
        self.wrong(parent.at(key), what, "a list", value)
        return None

    def maps(self, parent: YMap, key: str, what: str) -> Iterator[tuple[int, YMap]]:
        items = self.list(parent, key, what)
        for index, item in enumerate(items or ()):
            if isinstance(item, YMap):
                yield index, item
            elif item is not None:
                self.wrong(
                    items.at(index) if items else parent.at(key),
                    f"{what}[{index}]",
                    "a mapping",
                    item,
                )

    def scalar(self, parent: YMap, key: str, what: str) -> Located[str] | None:
        """A string, number or boolean as text (`true`/`false` for booleans)."""
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return Located("true" if value else "false", parent.at(key))
        if isinstance(value, str | int | float):
            return Located(str(value), parent.at(key))
        self.wrong(parent.at(key), what, "a string or a number", value)
        return None

    def boolean(self, parent: YMap, key: str, what: str) -> Located[bool] | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return Located(value, parent.at(key))
        self.wrong(parent.at(key), what, "true or false", value)
        return None


def _type_name(value: Any) -> str:
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YList):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__


def _objects(value: Any, reader: _Reader) -> Iterator[tuple[YMap, str]]:
    """The objects of a document: the document itself, or the items of a `List`."""
    if not isinstance(value, YMap):
        return
    kind = value.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in value:
        for index, item in reader.maps(value, "items", f"{kind}.items"):
            yield item, f"items[{index}]"
        return
    yield value, ""


def _workload(obj: YMap, logical: str, reader: _Reader) -> Workload | None:
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in POD_TEMPLATE_PATHS:
        return None
    metadata = reader.map(obj, "metadata", f"{kind}.metadata")
    if metadata is None:
        metadata = YMap(obj.location)
    name = metadata.get("name") or metadata.get("generateName") or "unnamed"
    name = str(name) if isinstance(name, str | int | float) else "unnamed"
    namespace = metadata.get("namespace")
    resource = f"{kind}/{name}"
    template_path = POD_TEMPLATE_PATHS[kind]
    prefix = f"{logical}." if logical else ""
    if template_path is None:
        pod, pod_path = obj, "spec"
    else:
        template: YMap | None = obj
        walked: list[str] = []
        for key in template_path:
            walked.append(key)
            assert template is not None
            template = reader.map(template, key, f"{resource}: {'.'.join(walked)}")
            if template is None:
                return None
        assert template is not None
        pod, pod_path = template, ".".join((*template_path, "spec"))
    pod_spec = reader.map(pod, "spec", f"{resource}: {pod_path}")
    if pod_spec is None:
        return None
    pod_metadata = (
        metadata
        if template_path is None
        else reader.map(pod, "metadata", f"{resource}: {'.'.join(template_path)}.metadata")
    )
    return Workload(
        kind=kind,
        name=name,
        namespace=namespace if isinstance(namespace, str) else None,
        resource=resource,
        location=obj.location,
        metadata=metadata,
        pod_metadata=pod_metadata,
        pod_spec=pod_spec,
        pod_spec_path=prefix + pod_path,
    )


# --- containers -------------------------------------------------------------------------------


def _containers(workload: Workload, reader: _Reader) -> Iterator[ContainerSpec]:
    spec = workload.pod_spec
    where = f"{workload.resource}: {workload.pod_spec_path}"
    pod_context = reader.map(spec, "securityContext", f"{where}.securityContext")
    volumes = _volumes(spec, reader, where)
    annotations = (
        reader.map(workload.pod_metadata, "annotations", f"{workload.resource}: annotations")
        if workload.pod_metadata is not None
        else None
    )
    for list_key in CONTAINER_LISTS:
        for index, container in reader.maps(spec, list_key, f"{where}.{list_key}"):
            name_value = container.get("name")
            name = str(name_value) if isinstance(name_value, str | int) else f"#{index}"
            path = f"{where}.{list_key}[{index}]"
            yield _container_spec(
                workload,
                list_key,
                name,
                container,
                pod_context,
                volumes,
                annotations,
                reader,
                path,
            )


def _volumes(spec: YMap, reader: _Reader, where: str) -> dict[str, tuple[str, YMap]]:
    """Volume name -> (volume type, the volume's mapping)."""
    found: dict[str, tuple[str, YMap]] = {}
    for _, volume in reader.maps(spec, "volumes", f"{where}.volumes"):
        name = volume.get("name")
        if not isinstance(name, str):
            continue
        kinds = [k for k in volume if k != "name"]
        found[name] = (str(kinds[0]) if kinds else "emptyDir", volume)
    return found


def _container_spec(
    workload: Workload,
    list_key: str,
    name: str,
    container: YMap,
    pod_context: YMap | None,
    volumes: dict[str, tuple[str, YMap]],
    annotations: YMap | None,
    reader: _Reader,
    path: str,
) -> ContainerSpec:
    spec = workload.pod_spec
    context = reader.map(container, "securityContext", f"{path}.securityContext")
    merged = _merge_contexts(pod_context, context)
    capabilities = (
        reader.map(context, "capabilities", f"{path}.securityContext.capabilities")
        if context is not None
        else None
    )
    user = _user(merged, reader, path)
    run_as_non_root = _merged_boolean(merged, "runAsNonRoot", reader, path)
    resources = reader.map(container, "resources", f"{path}.resources")
    limits = reader.map(resources, "limits", f"{path}.resources.limits") if resources else None
    return ContainerSpec(
        kind=KUBERNETES,
        name=f"container `{name}` of {workload.resource}",
        resource=f"{workload.resource}/{list_key}/{name}",
        anchor=container.location,
        image=reader.scalar(container, "image", f"{path}.image"),
        user=user,
        run_as_non_root=run_as_non_root,
        privileged=(
            reader.boolean(context, "privileged", f"{path}.securityContext.privileged")
            if context is not None
            else None
        ),
        cap_add=_strings(capabilities, "add", reader, f"{path}.securityContext.capabilities"),
        cap_drop=_strings(capabilities, "drop", reader, f"{path}.securityContext.capabilities"),
        pid=_host_namespace(spec, "hostPID", reader, path),
        ipc=_host_namespace(spec, "hostIPC", reader, path),
        network=_host_namespace(spec, "hostNetwork", reader, path),
        userns=_userns(spec, reader, path),
        mounts=tuple(_mounts(container, volumes, reader, path)),
        seccomp=_seccomp(merged, reader, path),
        apparmor=_apparmor(name, context, pod_context, annotations, reader, path),
        selinux=_selinux(merged, reader, path),
        no_new_privileges=_no_new_privileges(context, reader, path),
        read_only_rootfs=(
            reader.boolean(
                context, "readOnlyRootFilesystem", f"{path}.securityContext.readOnlyRootFilesystem"
            )
            if context is not None
            else None
        ),
        runtime=reader.scalar(spec, "runtimeClassName", f"{path}: runtimeClassName"),
        memory_limit=reader.scalar(limits, "memory", f"{path}.resources.limits.memory")
        if limits is not None
        else None,
        cpu_limit=reader.scalar(limits, "cpu", f"{path}.resources.limits.cpu")
        if limits is not None
        else None,
        env=tuple(_env(container, reader, path)),
        ports=tuple(_ports(container, reader, path)),
        sysctls=tuple(_sysctls(pod_context, reader, path)),
        namespace=workload.namespace,
        labels=_labels(workload, reader),
    )


def _labels(workload: Workload, reader: _Reader) -> tuple[EnvVar, ...]:
    """The pod's labels: the pod template's, with the object's own for keys it lacks."""
    found: dict[str, EnvVar] = {}
    for metadata in (workload.pod_metadata, workload.metadata):
        if metadata is None:
            continue
        labels = reader.map(metadata, "labels", f"{workload.resource}: labels")
        if labels is None:
            continue
        for key in labels:
            if not isinstance(key, str) or key in found:
                continue
            value = reader.scalar(labels, key, f"{workload.resource}: label {key}")
            if value is not None:
                found[key] = EnvVar(key, value.value, value.location)
    return tuple(found.values())


def _merge_contexts(pod: YMap | None, container: YMap | None) -> dict[str, tuple[YMap, str]]:
    """For each field the kubelet merges: the context (container's first) that sets it."""
    merged: dict[str, tuple[YMap, str]] = {}
    for field in _MERGED_FIELDS:
        for context in (container, pod):
            if context is not None and context.get(field) is not None:
                merged[field] = (context, field)
                break
    return merged


def _merged_boolean(
    merged: dict[str, tuple[YMap, str]], field: str, reader: _Reader, path: str
) -> Located[bool] | None:
    if field not in merged:
        return None
    context, key = merged[field]
    return reader.boolean(context, key, f"{path}: securityContext.{field}")


def _user(merged: dict[str, tuple[YMap, str]], reader: _Reader, path: str) -> Located[str] | None:
    uid = gid = None
    if "runAsUser" in merged:
        context, key = merged["runAsUser"]
        uid = reader.scalar(context, key, f"{path}: securityContext.runAsUser")
    if "runAsGroup" in merged:
        context, key = merged["runAsGroup"]
        gid = reader.scalar(context, key, f"{path}: securityContext.runAsGroup")
    if uid is None:
        return None
    if gid is None:
        return uid
    return Located(f"{uid.value}:{gid.value}", uid.location)


def _strings(parent: YMap | None, key: str, reader: _Reader, what: str) -> tuple[Located[str], ...]:
    if parent is None:
        return ()
    items = reader.list(parent, key, f"{what}.{key}")
    found: list[Located[str]] = []
    for index, item in enumerate(items or ()):
        if isinstance(item, str):
            found.append(Located(item, items.at(index) if items else parent.at(key)))
        elif item is not None:
            reader.wrong(
                items.at(index) if items else parent.at(key),
                f"{what}.{key}[{index}]",
                "a string",
                item,
            )
    return tuple(found)


def _host_namespace(spec: YMap, key: str, reader: _Reader, path: str) -> Located[str] | None:
    value = reader.boolean(spec, key, f"{path}: {key}") if key in spec else None
    if value is None:
        return None
    return Located("host" if value.value else "private", value.location)


def _userns(spec: YMap, reader: _Reader, path: str) -> Located[str] | None:
    value = reader.boolean(spec, "hostUsers", f"{path}: hostUsers") if "hostUsers" in spec else None
    if value is None:
        return None
    return Located("host" if value.value else "private", value.location)


def _mounts(
    container: YMap, volumes: dict[str, tuple[str, YMap]], reader: _Reader, path: str
) -> Iterator[Mount]:
    for _, mount in reader.maps(container, "volumeMounts", f"{path}.volumeMounts"):
        volume_name = mount.get("name")
        target = mount.get("mountPath")
        if not isinstance(volume_name, str) or volume_name not in volumes:
            continue
        read_only = mount.get("readOnly") is True
        target_text = str(target) if isinstance(target, str) else ""
        volume_type, volume = volumes[volume_name]
        sub_path = mount.get("subPath")
        if volume_type == "hostPath":
            host_path = reader.map(volume, "hostPath", f"volume `{volume_name}`.hostPath")
            source = host_path.get("path") if host_path is not None else None
            if not isinstance(source, str):
                continue
            if isinstance(sub_path, str) and sub_path:
                source = posixpath.join(source, sub_path)
            assert host_path is not None
            yield Mount("bind", source, target_text, read_only, host_path.at("path"))
        else:
            yield Mount(volume_type, None, target_text, read_only, mount.location)


def _seccomp(
    merged: dict[str, tuple[YMap, str]], reader: _Reader, path: str
) -> Located[str] | None:
    if "seccompProfile" not in merged:
        return None
    context, key = merged["seccompProfile"]
    profile = reader.map(context, key, f"{path}: securityContext.seccompProfile")
    if profile is None:
        return None
    kind = reader.scalar(profile, "type", f"{path}: securityContext.seccompProfile.type")
    if kind is None:
        return None
    if kind.value == "Unconfined":
        return Located("unconfined", kind.location)
    if kind.value == "Localhost":
        local = reader.scalar(
            profile, "localhostProfile", f"{path}: seccompProfile.localhostProfile"
        )
        return Located(local.value, local.location) if local else kind
    return kind


_APPARMOR_TYPES = {"RuntimeDefault": "runtime/default", "Unconfined": "unconfined"}


def _apparmor(
    name: str,
    context: YMap | None,
    pod_context: YMap | None,
    annotations: YMap | None,
    reader: _Reader,
    path: str,
) -> Located[str] | None:
    """The container's field, else its annotation, else the pod's field, as `runtime/default`,
    `unconfined` or `localhost/<profile>`."""
    field = _apparmor_field(context, reader, path)
    if field is not None:
        return field
    key = APPARMOR_ANNOTATION_PREFIX + name
    if annotations is not None and key in annotations:
        value = reader.scalar(annotations, key, f"annotation {key}")
        if value is not None:
            return value
    return _apparmor_field(pod_context, reader, path)


def _apparmor_field(context: YMap | None, reader: _Reader, path: str) -> Located[str] | None:
    if context is None:
        return None
    profile = reader.map(context, "appArmorProfile", f"{path}: securityContext.appArmorProfile")
    if profile is None:
        return None
    kind = reader.scalar(profile, "type", f"{path}: securityContext.appArmorProfile.type")
    if kind is None:
        return None
    if kind.value == "Localhost":
        local = profile.get("localhostProfile")
        return Located(f"localhost/{local if isinstance(local, str) else ''}", kind.location)
    return Located(_APPARMOR_TYPES.get(kind.value, kind.value), kind.location)


def _selinux(
    merged: dict[str, tuple[YMap, str]], reader: _Reader, path: str
) -> tuple[Located[str], ...]:
    if "seLinuxOptions" not in merged:
        return ()
    context, key = merged["seLinuxOptions"]
    options = reader.map(context, key, f"{path}: securityContext.seLinuxOptions")
    if options is None:
        return ()
    found = []
    for part in ("user", "role", "type", "level"):
        value = reader.scalar(options, part, f"{path}: seLinuxOptions.{part}")
        if value is not None and value.value:
            found.append(Located(f"{part}:{value.value}", value.location))
    return tuple(found)


def _no_new_privileges(context: YMap | None, reader: _Reader, path: str) -> Located[bool] | None:
    if context is None:
        return None
    value = reader.boolean(
        context, "allowPrivilegeEscalation", f"{path}.securityContext.allowPrivilegeEscalation"
    )
    return Located(not value.value, value.location) if value is not None else None


def _env(container: YMap, reader: _Reader, path: str) -> Iterator[EnvVar]:
    for _, item in reader.maps(container, "env", f"{path}.env"):
        name = item.get("name")
        if not isinstance(name, str):
            continue
        if "value" in item and item.get("value") is not None:
            value = reader.scalar(item, "value", f"{path}.env `{name}`")
            if value is not None:
                yield EnvVar(name, value.value, value.location)
                continue
        yield EnvVar(name, "", item.at("name"))


def _ports(container: YMap, reader: _Reader, path: str) -> Iterator[PortBinding]:
    for index, port in reader.maps(container, "ports", f"{path}.ports"):
        where = f"{path}.ports[{index}]"
        container_port = reader.scalar(port, "containerPort", f"{where}.containerPort")
        protocol = reader.scalar(port, "protocol", f"{where}.protocol")
        host_port = reader.scalar(port, "hostPort", f"{where}.hostPort")
        host_ip = reader.scalar(port, "hostIP", f"{where}.hostIP")
        published = host_port is not None and host_port.value not in ("0", "")
        yield PortBinding(
            container_port=container_port.value if container_port else "",
            protocol=(protocol.value if protocol else "TCP").lower(),
            host_port=host_port.value if published and host_port else None,
            host_ip=host_ip.value if host_ip else None,
            location=(
                host_port.location
                if published and host_port
                else (container_port.location if container_port else port.location)
            ),
        )


def _sysctls(pod_context: YMap | None, reader: _Reader, path: str) -> Iterator[EnvVar]:
    if pod_context is None:
        return
    for _, item in reader.maps(pod_context, "sysctls", f"{path}: securityContext.sysctls"):
        name = item.get("name")
        if isinstance(name, str):
            value = item.get("value")
            yield EnvVar(name, "" if value is None else str(value), item.at("name"))
