"""The Kubernetes source: workloads of every kind, containers projected with exact values and
lines, pod-level security context merged, hostPath followed, errors as data, Helm skipped."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullguard.model import Located
from hullguard.registry import WORKLOAD, Context, all_rules
from hullguard.sources.kubernetes import load_kubernetes
from hullguard.spec import KUBERNETES, ContainerSpec, Mount, PortBinding

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
  namespace: prod
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/api: unconfined
    spec:
      hostPID: true
      hostNetwork: true
      hostUsers: false
      securityContext:
        runAsUser: 1000
        runAsGroup: 3000
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
        seLinuxOptions:
          level: "s0:c1,c2"
        sysctls:
          - name: net.ipv4.tcp_syncookies
            value: "1"
      volumes:
        - name: docker
          hostPath:
            path: /var/run
        - name: scratch
          emptyDir: {}
      initContainers:
        - name: migrate
          image: example/migrate:2
          securityContext:
            runAsUser: 0
            seccompProfile:
              type: Unconfined
      containers:
        - name: api
          image: example/api:1.4
          securityContext:
            privileged: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              add: ["NET_ADMIN"]
              drop: ["ALL"]
          resources:
            limits:
              memory: 256Mi
              cpu: "500m"
          ports:
            - containerPort: 8080
              hostPort: 80
              hostIP: 127.0.0.1
            - containerPort: 9090
              protocol: UDP
          env:
            - name: MODE
              value: prod
            - name: TOKEN
              valueFrom:
                secretKeyRef: {name: api, key: token}
          volumeMounts:
            - name: docker
              mountPath: /var/run/docker.sock
              subPath: docker.sock
              readOnly: true
            - name: scratch
              mountPath: /tmp
      ephemeralContainers:
        - name: debug
          image: busybox:1.36
          securityContext:
            appArmorProfile:
              type: Localhost
              localhostProfile: debug
"""


def _containers() -> dict[str, ContainerSpec]:
    result = load_kubernetes(DEPLOYMENT, "deploy.yaml")
    assert result.errors == () and result.skipped is None
    return {c.resource: c for c in result.containers}


def _at(located: Located[object] | None) -> tuple[object, int | None] | None:
    return None if located is None else (located.value, located.location.line)


def test_workload() -> None:
    (workload,) = load_kubernetes(DEPLOYMENT, "deploy.yaml").workloads
    assert (workload.kind, workload.name, workload.namespace, workload.resource) == (
        "Deployment",
        "shop-api",
        "prod",
        "Deployment/shop-api",
    )
    assert workload.pod_spec_path == "spec.template.spec"
    assert workload.location.line == 1
    assert workload.pod_metadata is not None and "annotations" in workload.pod_metadata
    assert workload.metadata["name"] == "shop-api"
    assert workload.pod_spec.location.line == 12


def test_container_projection_with_lines() -> None:
    api = _containers()["Deployment/shop-api/containers/api"]
    assert api.kind == KUBERNETES
    assert api.name == "container `api` of Deployment/shop-api"
    assert api.anchor.line == 40
    assert _at(api.image) == ("example/api:1.4", 41)
    assert _at(api.user) == ("1000:3000", 16)  # from the pod
    assert _at(api.run_as_non_root) == (True, 18)
    assert _at(api.privileged) == (True, 43)
    assert _at(api.no_new_privileges) == (True, 44)
    assert _at(api.read_only_rootfs) == (True, 45)
    assert [_at(c) for c in api.cap_add] == [("NET_ADMIN", 47)]
    assert [_at(c) for c in api.cap_drop] == [("ALL", 48)]
    assert _at(api.pid) == ("host", 12)
    assert _at(api.network) == ("host", 13)
    assert api.ipc is None
    assert _at(api.userns) == ("private", 14)
    assert _at(api.seccomp) == ("RuntimeDefault", 20)
    assert _at(api.apparmor) == ("unconfined", 10)
    assert [_at(s) for s in api.selinux] == [("level:s0:c1,c2", 22)]
    assert _at(api.memory_limit) == ("256Mi", 51)
    assert _at(api.cpu_limit) == ("500m", 52)
    assert [(p.container_port, p.protocol, p.host_port, p.host_ip) for p in api.ports] == [
        ("8080", "tcp", "80", "127.0.0.1"),
        ("9090", "udp", None, None),
    ]
    assert isinstance(api.ports[0], PortBinding) and api.ports[0].location.line == 55
    assert [(e.name, e.value, e.location.line) for e in api.env] == [
        ("MODE", "prod", 61),
        ("TOKEN", "", 62),
    ]
    assert [(s.name, s.value, s.location.line) for s in api.sysctls] == [
        ("net.ipv4.tcp_syncookies", "1", 24)
    ]


def test_hostpath_followed_to_its_mount() -> None:
    api = _containers()["Deployment/shop-api/containers/api"]
    assert api.mounts == (
        Mount("bind", "/var/run/docker.sock", "/var/run/docker.sock", True, api.mounts[0].location),
        Mount("emptyDir", None, "/tmp", False, api.mounts[1].location),
    )
    assert api.mounts[0].location.line == 29  # hostPath.path
    assert api.mounts[1].location.line == 70


def test_container_level_wins_over_pod_level() -> None:
    migrate = _containers()["Deployment/shop-api/initContainers/migrate"]
    assert migrate.name == "container `migrate` of Deployment/shop-api"
    assert _at(migrate.user) == ("0:3000", 36)
    assert _at(migrate.seccomp) == ("unconfined", 38)
    assert migrate.apparmor is None  # the annotation names another container
    debug = _containers()["Deployment/shop-api/ephemeralContainers/debug"]
    assert _at(debug.apparmor) == ("localhost/debug", 77)


WORKLOAD_KINDS = {
    "Pod": ("", "spec"),
    "Deployment": ("spec:\n  template:\n", "spec.template.spec"),
    "StatefulSet": ("spec:\n  template:\n", "spec.template.spec"),
    "DaemonSet": ("spec:\n  template:\n", "spec.template.spec"),
    "ReplicaSet": ("spec:\n  template:\n", "spec.template.spec"),
    "ReplicationController": ("spec:\n  template:\n", "spec.template.spec"),
    "Job": ("spec:\n  template:\n", "spec.template.spec"),
    "CronJob": (
        "spec:\n  jobTemplate:\n    spec:\n      template:\n",
        "spec.jobTemplate.spec.template.spec",
    ),
    "PodTemplate": ("template:\n", "template.spec"),
}


@pytest.mark.parametrize("kind", sorted(WORKLOAD_KINDS))
def test_every_workload_kind(kind: str) -> None:
    prefix, path = WORKLOAD_KINDS[kind]
    indent = " " * (2 * prefix.count("\n"))
    pod = f"{indent}spec:\n{indent}  containers:\n{indent}    - name: c\n{indent}      image: x\n"
    text = f"kind: {kind}\nmetadata:\n  name: w\n{prefix}{pod}"
    result = load_kubernetes(text, "w.yaml")
    assert result.errors == ()
    (workload,) = result.workloads
    assert (workload.resource, workload.pod_spec_path) == (f"{kind}/w", path)
    (container,) = result.containers
    assert container.resource == f"{kind}/w/containers/c"
    assert _at(container.image) == ("x", text.count("\n"))


def test_list_and_multi_document_and_other_kinds() -> None:
    text = """\
apiVersion: v1
kind: Service
metadata: {name: svc}
---
apiVersion: v1
kind: List
items:
  - kind: Pod
    metadata: {name: a}
    spec:
      containers: [{name: c, image: x}]
  - kind: ConfigMap
    metadata: {name: cm}
---
kind: Pod
metadata: {name: b}
spec:
  containers:
    - name: d
      image: y
"""
    result = load_kubernetes(text, "many.yaml")
    assert result.errors == ()
    assert [(w.resource, w.pod_spec_path, w.location.line) for w in result.workloads] == [
        ("Pod/a", "items[0].spec", 8),
        ("Pod/b", "spec", 15),
    ]
    assert [c.resource for c in result.containers] == ["Pod/a/containers/c", "Pod/b/containers/d"]


def test_invalid_yaml_is_an_error_and_other_documents_count() -> None:
    text = "kind: Pod\nmetadata: {name: a}\nspec:\n  containers: [\n---\n" + (
        "kind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n    - name: c\n"
    )
    result = load_kubernetes(text, "broken.yaml")
    assert [w.resource for w in result.workloads] == ["Pod/b"]
    (error,) = result.errors
    assert error.path == "broken.yaml" and error.line == 5
    assert error.message.startswith("invalid YAML")


def test_wrong_types_are_errors_with_lines() -> None:
    text = """\
kind: Pod
metadata: {name: p}
spec:
  hostPID: "yes please"
  securityContext: [1, 2]
  containers:
    - name: a
      ports: "8080"
      securityContext:
        capabilities:
          add: NET_ADMIN
    - just a string
"""
    result = load_kubernetes(text, "types.yaml")
    assert [c.resource for c in result.containers] == ["Pod/p/containers/a"]
    assert sorted((e.line, e.message) for e in result.errors) == [
        (
            4,
            "Pod/p: spec.containers[0]: hostPID must be true or false, not the string 'yes please'",
        ),
        (5, "Pod/p: spec.securityContext must be a mapping, not a list"),
        (8, "Pod/p: spec.containers[0].ports must be a list, not the string '8080'"),
        (
            11,
            "Pod/p: spec.containers[0].securityContext.capabilities.add must be a list, "
            "not the string 'NET_ADMIN'",
        ),
        (12, "Pod/p: spec.containers[1] must be a mapping, not the string 'just a string'"),
    ]


def test_helm_template_is_skipped() -> None:
    text = "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
    result = load_kubernetes(text, "templates/deploy.yaml")
    assert result.skipped is not None and "Helm" in result.skipped
    assert (result.workloads, result.containers, result.errors) == ((), (), ())


MANIFEST_PIECES = [
    "kind: Pod\n",
    "kind: Deployment\n",
    "kind: CronJob\n",
    "kind: List\n",
    "items:\n",
    "metadata:\n  name: x\n",
    "spec:\n",
    "  template:\n",
    "  jobTemplate:\n",
    "    spec:\n",
    "  containers:\n",
    "    - name: c\n",
    "      securityContext:\n",
    "        capabilities: {add: 3}\n",
    "      ports: [{hostPort: [], containerPort: {}}]\n",
    "      volumeMounts: [{name: v, mountPath: 1}]\n",
    "  volumes: [{name: v, hostPath: {path: 7}}, {name: w, hostPath: []}]\n",
    "  securityContext: {sysctls: 5, seLinuxOptions: [], seccompProfile: {type: []}}\n",
    "  hostUsers: null\n",
    "metadata: {annotations: {container.apparmor.security.beta.kubernetes.io/c: []}}\n",
    "---\n",
    "- [\n",
    "&a [*a]\n",
    "\t\n",
    "null\n",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.sampled_from(MANIFEST_PIECES), max_size=20) | st.text(max_size=300))
def test_no_exception_escapes(pieces: list[str] | str) -> None:
    text = pieces if isinstance(pieces, str) else "".join(pieces)
    result = load_kubernetes(text, "fuzz.yaml")
    rules = [r for r in all_rules() if WORKLOAD in r.targets]
    for workload in result.workloads:
        for rule in rules:
            ctx = Context(rule, target_kind=WORKLOAD, path="fuzz.yaml", options={})
            list(rule.func(workload, ctx))
