# ruff: noqa: E501  (the generator holds whole command lines, URLs and config snippets as literals)
"""Deterministic generators of realistic Compose files and Kubernetes manifests for the benchmarks.

Compose (``.corpus/compose/<project>/``): ``docker-compose.yml``, ``docker-compose.yaml``,
``compose.yaml`` or ``compose.yml``, some with ``docker-compose.override.yml`` or an extra
``docker-compose.prod.yml``-style file, legacy files with ``version: "2.x"``/``"3.x"``, 1 to 15
services built or pulled, databases, proxies, monitoring and CI helpers as people really run them:
short and long volume syntax (named volumes, host paths, the Docker socket), ``privileged``,
``cap_add``, ``network_mode: host``, ``security_opt``, environment lists and maps, ports,
``deploy.resources`` and v2 ``mem_limit``, ``${VAR:-default}`` interpolation with a ``.env``,
``extends`` (same file and another file), ``x-`` extension fields with anchors and merge keys.

Kubernetes (``.corpus/kubernetes/<app>/*.yaml``): every workload kind (Pod, Deployment,
StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, and ``List``s of them),
laid out as real repositories do (one object per file, all-in-one multi-document files, numbered
files, ``kubectl get -o yaml`` exports), with the Services, ConfigMaps, Secrets, Ingresses, RBAC,
autoscalers and kustomizations found beside them; security contexts at pod and container level,
careful and careless (privileged, hostPath, host namespaces, capabilities, runAsNonRoot, seccomp,
AppArmor annotations and fields), init containers, probes and resources.

The text is written by a small YAML emitter with per-project habits (list indentation, quoting,
comments, blank lines), not dumped, so files look hand-written. The same seed and counts always
give the same bytes, so figures from different runs and machines compare.

Usage::

    python bench/corpus_runtime.py                    # both sets into bench/.corpus/
    python bench/corpus_runtime.py --compose-files 2000 --kubernetes-files 500 --seed 7
    python bench/corpus_runtime.py --verify           # also parse every file back
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import random
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from corpus import DEFAULT_ROOT, PROJECT_KINDS, PROJECT_WORDS, SECRET_NAMES, TIMEZONES  # noqa: E402

# Bump when the generated text changes, so that stale corpora get rebuilt.
GENERATOR_VERSION = 1
DEFAULT_SEED = 20240917
DEFAULT_COMPOSE_FILES = 1000
DEFAULT_KUBERNETES_FILES = 1000
COMPOSE = "compose"
KUBERNETES = "kubernetes"
SETS = (COMPOSE, KUBERNETES)


def manifest_path(root: Path, which: str) -> Path:
    """The manifest sits beside the set's folder, so no scanner sees it."""
    return root / f"{which}.manifest.json"


# --------------------------------------------------------------------------------------------
# A small YAML emitter with an author's habits
# --------------------------------------------------------------------------------------------


class Flow(list):  # type: ignore[type-arg]
    """A sequence written in flow style: ``[a, b]``."""


class Lit(str):
    """A string written as a literal block scalar (``|`` or ``|-``)."""

    __slots__ = ()


class Q(str):
    """A string always written double-quoted."""

    __slots__ = ()


class SQ(str):
    """A string always written single-quoted."""

    __slots__ = ()


class Plain(str):
    """A string written as it is (an alias ``*name``, or text known to be plain-safe)."""

    __slots__ = ()


class Note:
    """A mapping key that is written as a comment line."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Gap:
    """A mapping key that is written as a blank line."""

    __slots__ = ()


@dataclass
class Anchored:
    """A value written with an anchor: ``key: &name``."""

    name: str
    value: Any


_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")


@functools.lru_cache(maxsize=65536)
def plain_ok(text: str, flow: bool) -> bool:
    """Whether text reads back as the same string when written without quotes."""
    if not text or text[0] in _INDICATORS or text[-1] in " :" or "\n" in text or "\t" in text:
        return False
    if ": " in text or " #" in text:
        return False
    if flow and any(ch in text for ch in ",[]{}"):
        return False
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR


def dq(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def sq(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Habits:
    """How one author writes YAML."""

    indent_lists: bool  # `key:\n  - item` (True) or `key:\n- item` (kubectl's way)
    quote: float  # probability of quoting a string that needs no quotes
    single: bool  # single quotes rather than double
    doc_start: bool  # a leading `---`
    airy: bool  # blank lines between top-level sections
    airy_services: bool  # blank lines between the entries of `services:`
    flow_quoted: bool  # every string in a flow sequence double-quoted: ["CMD", "curl"]

    @staticmethod
    def draw(rng: random.Random) -> Habits:
        return Habits(
            indent_lists=rng.random() < 0.6,
            quote=rng.choice([0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 1.0]),
            single=rng.random() < 0.25,
            doc_start=rng.random() < 0.2,
            airy=rng.random() < 0.1,
            airy_services=False,
            flow_quoted=rng.random() < 0.85,
        )


class Emitter:
    def __init__(self, habits: Habits, rng: random.Random) -> None:
        self.h = habits
        self.rng = rng

    def scalar(self, value: Any, flow: bool = False) -> str:
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, Plain):
            return str(value)
        if isinstance(value, Q):
            return dq(value)
        if isinstance(value, SQ):
            return sq(value)
        text = str(value)
        if flow and self.h.flow_quoted:
            return dq(text)
        if plain_ok(text, flow) and not (self.h.quote and self.rng.random() < self.h.quote):
            return text
        return sq(text) if self.h.single and "\n" not in text else dq(text)

    def key(self, key: Any) -> str:
        text = str(key)
        return text if plain_ok(text, False) or text == "<<" else dq(text)

    def document(self, obj: Any) -> list[str]:
        out: list[str] = []
        if isinstance(obj, dict):
            self._map(obj, 0, out, top=True)
        else:
            self._seq(obj, 0, out)
        return out

    def _map(
        self,
        mapping: dict[Any, Any],
        ind: int,
        out: list[str],
        top: bool = False,
        airy: bool = False,
    ) -> None:
        pad = " " * ind
        first = True
        for key, value in mapping.items():
            if isinstance(key, Note):
                out.append(f"{pad}# {key.text}")
                continue
            if isinstance(key, Gap):
                if out and out[-1]:
                    out.append("")
                continue
            if (
                not first
                and out
                and out[-1]
                and (airy or (top and self.h.airy and isinstance(value, dict | list)))
            ):
                out.append("")
            first = False
            self._entry(
                f"{pad}{self.key(key)}:",
                value,
                ind,
                out,
                top and key == "services" and self.h.airy_services,
            )

    def _entry(self, head: str, value: Any, ind: int, out: list[str], airy: bool = False) -> None:
        if isinstance(value, Anchored):
            head = f"{head} &{value.name}"
            value = value.value
        if value is None:
            out.append(head)
        elif isinstance(value, Lit):
            body = value.rstrip("\n")
            chomp = "|" if value.endswith("\n") else "|-"
            out.append(f"{head} {chomp}")
            sub = " " * (ind + 2)
            out.extend(f"{sub}{line}" if line else "" for line in body.split("\n"))
        elif isinstance(value, Flow):
            out.append(f"{head} [{', '.join(self.scalar(v, True) for v in value)}]")
        elif isinstance(value, dict):
            if not value:
                out.append(f"{head} {{}}")
            else:
                out.append(head)
                self._map(value, ind + 2, out, airy=airy)
        elif isinstance(value, list):
            if not value:
                out.append(f"{head} []")
            else:
                out.append(head)
                self._seq(value, ind + (2 if self.h.indent_lists else 0), out)
        else:
            out.append(f"{head} {self.scalar(value)}")

    def _seq(self, items: list[Any], ind: int, out: list[str]) -> None:
        pad = " " * ind
        for item in items:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                self._map(item, ind + 2, sub)
                for i, line in enumerate(sub):
                    if line.strip() and not line.lstrip().startswith("#"):
                        sub[i] = f"{pad}- {line[ind + 2 :]}"
                        break
                out.extend(sub)
            else:
                self._entry(f"{pad}-", item, ind, out)

    def stream(self, documents: Iterable[Any], header: list[str] | None = None) -> str:
        lines: list[str] = list(header or ())
        for i, doc in enumerate(documents):
            if i or self.h.doc_start:
                lines.append("---")
            lines.extend(self.document(doc))
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Shared vocabulary
# --------------------------------------------------------------------------------------------

REGISTRIES = [
    "", "", "", "ghcr.io/{org}/", "quay.io/{org}/", "registry.gitlab.com/{org}/{project}/",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/", "europe-west1-docker.pkg.dev/{org}-prod/apps/",
    "harbor.{org}.internal/library/", "{org}.azurecr.io/", "docker.io/{org}/",
]  # fmt: skip
ORGS = [
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "tyrell",
    "cyberdyne", "soylent", "wonka", "oscorp", "aperture", "massive", "nakatomi", "pied-piper",
]  # fmt: skip
APP_PORTS = [8080, 8000, 3000, 5000, 9000, 80, 8081, 4000, 8443, 9090, 3001, 7000]
LOG_LEVELS = ["debug", "info", "warn", "error", "INFO", "DEBUG"]
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2", "us-west-2"]


def app_tag(rng: random.Random, careful: float) -> str:
    r = rng.random()
    if r > careful + 0.15:
        return rng.choice(["latest", "latest", "dev", "main", "stable"])
    if r < 0.08:
        return "sha256:" + hashlib.sha256(str(rng.random()).encode()).hexdigest()
    if r < 0.35:
        return f"{rng.getrandbits(28):07x}"
    return (
        f"{rng.choice(['v', '', ''])}{rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"
    )


def app_image(rng: random.Random, org: str, project: str, name: str, careful: float) -> str:
    reg = rng.choice(REGISTRIES).format(org=org, project=project)
    tag = app_tag(rng, careful)
    if reg == "" and rng.random() < 0.5:
        reg = f"{org}/"
    sep = "@" if tag.startswith("sha256:") else ":"
    if not reg.startswith(("ghcr", "quay", "registry", "docker.io")) and reg and rng.random() < 0.1:
        return f"{reg}{name}"  # no tag at all
    return f"{reg}{name}{sep}{tag}"


def secret_value(rng: random.Random, name: str) -> str:
    if rng.random() < 0.3:
        return rng.choice(["changeme", "secret", "password", "admin", "example", "s3cr3t"])
    raw = hashlib.sha256(f"{name}{rng.random()}".encode()).hexdigest()
    if "AWS" in name:
        return base64.b64encode(bytes.fromhex(raw)).decode()[:40]
    if "GITHUB" in name:
        return "ghp_" + raw[:36]
    if "STRIPE" in name:
        return "sk_test_" + raw[:24]
    return raw[: rng.choice([16, 24, 32, 40])]


CPU_MILLIS = (50, 100, 200, 250, 500, 750, 1000, 1500, 2000, 4000)
MEM_MIB = (32, 64, 128, 256, 384, 512, 768, 1024, 2048, 4096, 8192)


def pick(rng: random.Random, scale: tuple[int, ...], lo: int, hi: int) -> int:
    return rng.choice([m for m in scale if lo <= m <= hi] or [lo])


def cpu(rng: random.Random, millis: int) -> str | int:
    if millis >= 1000 and millis % 1000 == 0 and rng.random() < 0.5:
        return millis // 1000
    return f"{millis}m"


def mem(rng: random.Random, mib: int) -> str:
    if mib >= 1024 and mib % 1024 == 0 and rng.random() < 0.6:
        return f"{mib // 1024}Gi"
    return f"{mib}Mi"


# --------------------------------------------------------------------------------------------
# Kubernetes
# --------------------------------------------------------------------------------------------

WORKLOAD_KINDS = (
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
    "Job", "CronJob",
)  # fmt: skip
API_VERSIONS = {
    "Pod": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "ReplicationController": "v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}


@dataclass
class App:
    """One application folder and the choices shared by its objects."""

    name: str
    org: str
    namespace: str | None
    careful: float  # probability of the good practice at each security decision
    danger: float  # probability of a dangerous setting where one is plausible
    labels_style: str  # "app", "k8s" (app.kubernetes.io/*) or "both"
    rng: random.Random

    def labels(self, component: str | None = None) -> dict[str, Any]:
        if self.labels_style == "app":
            out: dict[str, Any] = {"app": self.name}
            if component:
                out["tier"] = component
            return out
        out = {"app.kubernetes.io/name": self.name}
        if self.labels_style == "both":
            out = {"app": self.name, **out}
        if component:
            out["app.kubernetes.io/component"] = component
        return out

    def selector(self) -> dict[str, Any]:
        return (
            {"app": self.name}
            if self.labels_style != "k8s"
            else {"app.kubernetes.io/name": self.name}
        )

    def metadata(
        self, name: str | None = None, component: str | None = None, extra_labels: bool = True
    ) -> dict[str, Any]:
        md: dict[str, Any] = {"name": name or self.name}
        if self.namespace:
            md["namespace"] = self.namespace
        labels = self.labels(component)
        if extra_labels and self.labels_style != "app" and self.rng.random() < 0.5:
            labels["app.kubernetes.io/part-of"] = self.org
            labels["app.kubernetes.io/managed-by"] = self.rng.choice(
                ["kustomize", "kubectl", "argocd", "Helm"]
            )
        md["labels"] = labels
        return md


def probe(rng: random.Random, port: int | None, kind: str, initial: bool) -> dict[str, Any]:
    p: dict[str, Any]
    if port is None or kind == "exec":
        p = {
            "exec": {
                "command": rng.choice(
                    [
                        ["cat", "/tmp/healthy"],
                        ["sh", "-c", "pgrep -f worker || exit 1"],
                        ["/bin/grpc_health_probe", "-addr=:9090"],
                        ["redis-cli", "ping"],
                        ["pg_isready", "-U", "postgres"],
                    ]
                )
            }
        }
    elif kind == "tcp":
        p = {"tcpSocket": {"port": port}}
    elif kind == "grpc":
        p = {"grpc": {"port": port}}
    else:
        p = {
            "httpGet": {
                "path": rng.choice(
                    [
                        "/healthz",
                        "/health",
                        "/ready",
                        "/livez",
                        "/readyz",
                        "/actuator/health",
                        "/api/health",
                        "/",
                    ]
                ),
                "port": rng.choice([port, port, "http"]),
            }
        }
        if rng.random() < 0.1:
            p["httpGet"]["scheme"] = "HTTP"
    if initial:
        p["initialDelaySeconds"] = rng.choice([5, 10, 15, 20, 30, 60])
    if rng.random() < 0.7:
        p["periodSeconds"] = rng.choice([5, 10, 15, 20, 30])
    if rng.random() < 0.4:
        p["timeoutSeconds"] = rng.choice([1, 2, 3, 5])
    if rng.random() < 0.4:
        p["failureThreshold"] = rng.choice([3, 5, 6, 10, 30])
    return p


def resources(rng: random.Random, careful: float, big: bool = False) -> dict[str, Any] | None:
    """Requests, and limits no lower than the requests (the API server refuses those)."""
    if rng.random() > careful + 0.25:
        return None if rng.random() < 0.7 else {}
    hi = 8192 if big else 2048
    req_cpu, req_mem = pick(rng, CPU_MILLIS, 50, 1000), pick(rng, MEM_MIB, 64, hi // 2)
    req = {"cpu": cpu(rng, req_cpu), "memory": mem(rng, req_mem)}
    out: dict[str, Any] = {"requests": req}
    if rng.random() < careful + 0.1:
        lim: dict[str, Any] = {"memory": mem(rng, pick(rng, MEM_MIB, req_mem, hi))}
        if rng.random() < 0.6:
            lim = {"cpu": cpu(rng, pick(rng, CPU_MILLIS, max(req_cpu, 250), 4000)), **lim}
        out = (
            {"limits": lim, "requests": req}
            if rng.random() < 0.5
            else {"requests": req, "limits": lim}
        )
    if big and rng.random() < 0.2:
        out.setdefault("limits", {})["ephemeral-storage"] = "2Gi"
    return out


def env_list(
    app: App, rng: random.Random, port: int | None, careful: float
) -> list[dict[str, Any]]:
    envs: list[dict[str, Any]] = []
    if port:
        envs.append(
            {
                "name": rng.choice(["PORT", "HTTP_PORT", "SERVER_PORT", "LISTEN_ADDR"]),
                "value": str(port) if rng.random() < 0.8 else f":{port}",
            }
        )
    envs.append({"name": "LOG_LEVEL", "value": rng.choice(LOG_LEVELS)})
    if rng.random() < 0.5:
        envs.append(
            {
                "name": rng.choice(
                    ["NODE_ENV", "APP_ENV", "RAILS_ENV", "SPRING_PROFILES_ACTIVE", "ENVIRONMENT"]
                ),
                "value": rng.choice(["production", "prod", "staging"]),
            }
        )
    if rng.random() < 0.4:
        envs.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
    if rng.random() < 0.3:
        envs.append(
            {
                "name": "POD_NAMESPACE",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
            }
        )
    if rng.random() < 0.2:
        envs.append(
            {
                "name": "HOST_IP",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.hostIP"}},
            }
        )
    if rng.random() < 0.5:
        envs.append(
            {
                "name": "DATABASE_HOST",
                "value": rng.choice(
                    [
                        "postgres",
                        "mysql",
                        "db",
                        f"{app.name}-db",
                        "10.0.12.7",
                        "postgres.database.svc.cluster.local",
                    ]
                ),
            }
        )
    for secret in rng.sample(SECRET_NAMES, rng.randint(0, 3)):
        if rng.random() < careful + 0.2:
            envs.append(
                {
                    "name": secret,
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": f"{app.name}-secrets",
                            "key": secret.lower().replace("_", "-"),
                        }
                    },
                }
            )
        else:
            envs.append({"name": secret, "value": secret_value(rng, secret)})
    if rng.random() < 0.3:
        envs.append(
            {
                "name": "CACHE_URL",
                "valueFrom": {
                    "configMapKeyRef": {"name": f"{app.name}-config", "key": "cache-url"}
                },
            }
        )
    if rng.random() < 0.15:
        envs.append(
            {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}
        )
    if rng.random() < 0.2:
        envs.append({"name": "TZ", "value": rng.choice(TIMEZONES)})
    return envs


def container_security(
    rng: random.Random, careful: float, danger: float, role: str = "app"
) -> dict[str, Any] | None:
    """A container securityContext: careful settings, careless omissions, dangerous grants."""
    sc: dict[str, Any] = {}
    if rng.random() < danger * 0.35:
        sc["privileged"] = True
        if rng.random() < 0.5:
            sc["allowPrivilegeEscalation"] = True
        if rng.random() < 0.3:
            sc["runAsUser"] = 0
        return sc
    if rng.random() < careful:
        sc["allowPrivilegeEscalation"] = False
    elif rng.random() < danger * 0.2:
        sc["allowPrivilegeEscalation"] = True
    if rng.random() < careful * 0.8:
        sc["readOnlyRootFilesystem"] = True
    if rng.random() < careful * 0.9:
        caps: dict[str, Any] = {"drop": ["ALL"]}
        if rng.random() < 0.15:
            caps["add"] = ["NET_BIND_SERVICE"]
        sc["capabilities"] = caps
    elif rng.random() < danger * 0.5:
        sc["capabilities"] = {
            "add": rng.sample(
                [
                    "NET_ADMIN",
                    "SYS_ADMIN",
                    "NET_RAW",
                    "SYS_PTRACE",
                    "SYS_TIME",
                    "IPC_LOCK",
                    "ALL",
                    "DAC_OVERRIDE",
                ],
                rng.randint(1, 2),
            )
        }
        if rng.random() < 0.3:
            sc["capabilities"]["drop"] = ["ALL"]
    if rng.random() < careful * 0.6:
        sc["runAsNonRoot"] = True
        if rng.random() < 0.6:
            sc["runAsUser"] = rng.choice([1000, 1001, 10001, 65532, 65534, 101, 999])
            if rng.random() < 0.6:
                sc["runAsGroup"] = rng.choice([1000, 3000, 10001, 65532, 101])
    elif rng.random() < danger * 0.4:
        sc["runAsUser"] = 0
        if rng.random() < 0.3:
            sc["runAsNonRoot"] = False
    if rng.random() < careful * 0.4:
        sc["seccompProfile"] = {"type": "RuntimeDefault"}
    elif rng.random() < danger * 0.15:
        sc["seccompProfile"] = {"type": "Unconfined"}
    if rng.random() < careful * 0.08:
        sc["appArmorProfile"] = {"type": "RuntimeDefault"}
    elif rng.random() < danger * 0.05:
        sc["appArmorProfile"] = {"type": "Unconfined"}
    if rng.random() < danger * 0.04:
        sc["seLinuxOptions"] = {"type": "spc_t"}
    if rng.random() < danger * 0.02:
        sc["procMount"] = "Unmasked"
    if not sc:
        return None
    return sc


def pod_security(rng: random.Random, careful: float, danger: float) -> dict[str, Any] | None:
    if rng.random() > careful + 0.1:
        if rng.random() < danger * 0.2:
            return {"runAsUser": 0, "fsGroup": 0} if rng.random() < 0.5 else {"runAsNonRoot": False}
        return None if rng.random() < 0.85 else {}
    sc: dict[str, Any] = {}
    if rng.random() < careful:
        sc["runAsNonRoot"] = True
    if rng.random() < 0.7:
        uid = rng.choice([1000, 1001, 10001, 65532, 65534, 999, 101, 2000])
        sc["runAsUser"] = uid
        if rng.random() < 0.7:
            sc["runAsGroup"] = rng.choice([uid, 1000, 3000, 2000])
    if rng.random() < 0.6:
        sc["fsGroup"] = rng.choice([1000, 2000, 10001, 65532, 999])
        if rng.random() < 0.2:
            sc["fsGroupChangePolicy"] = "OnRootMismatch"
    if rng.random() < careful * 0.7:
        sc["seccompProfile"] = {"type": "RuntimeDefault"}
    elif rng.random() < 0.05:
        sc["seccompProfile"] = {"type": "Localhost", "localhostProfile": "profiles/audit.json"}
    if rng.random() < 0.05:
        sc["sysctls"] = [{"name": "net.core.somaxconn", "value": "1024"}]
    if rng.random() < 0.05:
        sc["supplementalGroups"] = [rng.choice([4000, 5000, 65534])]
    return sc


def apparmor_annotations(
    rng: random.Random, names: list[str], careful: float, danger: float
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rng.random() < careful * 0.2 or rng.random() < danger * 0.08:
        for n in names:
            if rng.random() < danger * 0.5:
                value = "unconfined"
            else:
                value = rng.choice(
                    [
                        "runtime/default",
                        "runtime/default",
                        "localhost/k8s-apparmor-example-deny-write",
                    ]
                )
            out[f"container.apparmor.security.beta.kubernetes.io/{n}"] = value
    if rng.random() < 0.05:
        out["seccomp.security.alpha.kubernetes.io/pod"] = rng.choice(
            ["runtime/default", "docker/default", "unconfined"]
        )
    return out


@dataclass
class PodPlan:
    """What an archetype produces: the pod spec, its annotations, and companions."""

    spec: dict[str, Any]
    annotations: dict[str, Any]
    port: int | None
    component: str
    kinds: list[tuple[str, int]]  # workload kinds that suit it, with weights
    claims: list[dict[str, Any]] | None = None  # StatefulSet volumeClaimTemplates
    cluster_role: list[dict[str, Any]] | None = None  # rules, when it needs cluster access
    config_file: tuple[str, str] | None = None  # (file name, body) for a ConfigMap


def app_container(
    app: App,
    rng: random.Random,
    name: str,
    image: str,
    port: int | None,
    careful: float,
    danger: float,
) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": image}
    if rng.random() < 0.6:
        c["imagePullPolicy"] = rng.choice(["IfNotPresent", "Always", "IfNotPresent"])
    if rng.random() < 0.25:
        c["command"] = rng.choice(
            [
                ["/app/server"],
                ["node", "dist/main.js"],
                ["gunicorn"],
                ["java"],
                ["/usr/local/bin/entrypoint.sh"],
            ]
        )
        if c["command"] == ["gunicorn"]:
            c["args"] = [
                "app.wsgi:application",
                "--bind",
                f"0.0.0.0:{port or 8000}",
                "--workers",
                str(rng.randint(2, 8)),
            ]
        elif c["command"] == ["java"]:
            c["args"] = ["-XX:MaxRAMPercentage=75.0", "-jar", "/app/app.jar"]
    elif rng.random() < 0.15:
        c["args"] = rng.choice(
            [
                ["--config=/etc/app/config.yaml"],
                ["serve", "--port", str(port or 8080)],
                ["--log-format=json", f"--listen=:{port or 8080}"],
            ]
        )
    if port:
        ports: list[dict[str, Any]] = [{"containerPort": port}]
        if rng.random() < 0.6:
            ports[0] = (
                {"name": "http", "containerPort": port, "protocol": "TCP"}
                if rng.random() < 0.6
                else {"containerPort": port, "name": "http"}
            )
        if rng.random() < 0.25:
            ports.append({"name": "metrics", "containerPort": rng.choice([9090, 9100, 8081, 9102])})
        if rng.random() < danger * 0.08:
            ports[0]["hostPort"] = port
        c["ports"] = ports
    envs = env_list(app, rng, port, careful)
    if envs and rng.random() < 0.9:
        c["env"] = envs
    if rng.random() < 0.35:
        env_from: list[dict[str, Any]] = [{"configMapRef": {"name": f"{app.name}-config"}}]
        if rng.random() < 0.5:
            env_from.append({"secretRef": {"name": f"{app.name}-secrets"}})
        c["envFrom"] = env_from
    res = resources(rng, careful)
    if res is not None:
        c["resources"] = res
    if rng.random() < careful + 0.2:
        kind = rng.choice(["http", "http", "http", "tcp", "grpc", "exec"]) if port else "exec"
        if rng.random() < 0.3:
            c["startupProbe"] = probe(rng, port, kind, False)
        c["livenessProbe"] = probe(rng, port, kind, True)
        if rng.random() < 0.8:
            c["readinessProbe"] = probe(rng, port, kind, rng.random() < 0.5)
    sc = container_security(rng, careful, danger)
    if sc is not None:
        c["securityContext"] = sc
    if rng.random() < 0.05:
        c["lifecycle"] = {"preStop": {"exec": {"command": ["sh", "-c", "sleep 10"]}}}
    if rng.random() < 0.05:
        c["terminationMessagePolicy"] = "FallbackToLogsOnError"
    return c


def sidecar(app: App, rng: random.Random, careful: float, danger: float) -> dict[str, Any]:
    kind = rng.choice(["envoy", "oauth2-proxy", "cloudsql", "fluent-bit", "nginx", "vault-agent"])
    if kind == "envoy":
        c = {
            "name": "envoy",
            "image": f"envoyproxy/envoy:v1.{rng.randint(24, 31)}.{rng.randint(0, 5)}",
            "args": ["-c", "/etc/envoy/envoy.yaml", "--log-level", "warn"],
            "ports": [
                {"name": "proxy", "containerPort": 10000},
                {"name": "admin", "containerPort": 9901},
            ],
            "volumeMounts": [{"name": "envoy-config", "mountPath": "/etc/envoy", "readOnly": True}],
        }
    elif kind == "oauth2-proxy":
        c = {
            "name": "oauth2-proxy",
            "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
            "args": [
                "--provider=oidc",
                "--upstream=http://127.0.0.1:8080",
                "--http-address=0.0.0.0:4180",
                "--email-domain=*",
            ],
            "env": [
                {
                    "name": "OAUTH2_PROXY_CLIENT_SECRET",
                    "valueFrom": {"secretKeyRef": {"name": "oauth2-proxy", "key": "client-secret"}},
                }
            ],
            "ports": [{"containerPort": 4180, "name": "proxy"}],
        }
    elif kind == "cloudsql":
        c = {
            "name": "cloud-sql-proxy",
            "image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.0",
            "args": [
                "--structured-logs",
                "--port=5432",
                f"{app.org}-prod:europe-west1:{app.name}-db",
            ],
            "securityContext": {"runAsNonRoot": True},
        }
    elif kind == "fluent-bit":
        c = {
            "name": "log-shipper",
            "image": "fluent/fluent-bit:2.2",
            "volumeMounts": [{"name": "logs", "mountPath": "/var/log/app"}],
        }
    elif kind == "nginx":
        c = {
            "name": "nginx",
            "image": rng.choice(
                ["nginx:1.25-alpine", "nginx:latest", "nginxinc/nginx-unprivileged:1.25"]
            ),
            "ports": [{"containerPort": 80}],
            "volumeMounts": [{"name": "nginx-conf", "mountPath": "/etc/nginx/conf.d"}],
        }
    else:
        c = {
            "name": "vault-agent",
            "image": "hashicorp/vault:1.15",
            "args": ["agent", "-config=/etc/vault/agent.hcl"],
            "volumeMounts": [{"name": "vault-token", "mountPath": "/home/vault"}],
        }
    res = resources(rng, careful)
    if res:
        c["resources"] = res
    sc = container_security(rng, careful, danger * 0.5)
    if sc and "securityContext" not in c:
        c["securityContext"] = sc
    return c


def init_container(
    app: App, rng: random.Random, image: str, careful: float, danger: float
) -> dict[str, Any]:
    kind = rng.choice(["wait", "wait", "migrate", "chown", "sysctl", "config"])
    if kind == "wait":
        host = rng.choice(["postgres", "mysql", "redis", f"{app.name}-db", "rabbitmq"])
        port = {"postgres": 5432, "mysql": 3306, "redis": 6379, "rabbitmq": 5672}.get(host, 5432)
        return {
            "name": f"wait-for-{host.split('-')[-1]}",
            "image": rng.choice(["busybox:1.36", "busybox", "alpine:3.19"]),
            "command": [
                "sh",
                "-c",
                f"until nc -z {host} {port}; do echo waiting for {host}; sleep 2; done",
            ],
        }
    if kind == "migrate":
        c = {
            "name": "migrate",
            "image": image,
            "command": rng.choice(
                [
                    ["python", "manage.py", "migrate", "--noinput"],
                    ["npm", "run", "migrate"],
                    ["./bin/migrate", "up"],
                    ["bundle", "exec", "rails", "db:migrate"],
                ]
            ),
        }
        if rng.random() < 0.7:
            c["envFrom"] = [{"secretRef": {"name": f"{app.name}-secrets"}}]
        return c
    if kind == "chown":
        return {
            "name": "fix-permissions",
            "image": "busybox:1.36",
            "command": ["sh", "-c", "chown -R 1000:1000 /data"],
            "securityContext": {"runAsUser": 0}
            if rng.random() < 0.7
            else {"runAsUser": 0, "runAsNonRoot": False},
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        }
    if kind == "sysctl":
        return {
            "name": "sysctl",
            "image": "busybox:1.36",
            "command": [
                "sysctl",
                "-w",
                rng.choice(
                    ["vm.max_map_count=262144", "net.core.somaxconn=65535", "fs.file-max=100000"]
                ),
            ],
            "securityContext": {"privileged": True}
            if rng.random() < 0.8
            else {"privileged": True, "runAsUser": 0},
        }
    return {
        "name": "render-config",
        "image": "bhgedigital/envsubst" if rng.random() < 0.5 else "alpine:3.19",
        "command": ["sh", "-c", "envsubst < /templates/config.tmpl > /config/config.yaml"],
        "volumeMounts": [
            {"name": "config-template", "mountPath": "/templates"},
            {"name": "config", "mountPath": "/config"},
        ],
    }


def finish_pod(
    app: App,
    rng: random.Random,
    spec: dict[str, Any],
    careful: float,
    danger: float,
    host: bool = False,
) -> None:
    """Pod-level extras: service account, security context, scheduling, pull secrets."""
    if rng.random() < 0.5:
        spec["serviceAccountName"] = app.name if rng.random() < 0.7 else "default"
    if rng.random() < careful * 0.4:
        spec["automountServiceAccountToken"] = False
    psc = pod_security(rng, careful, danger)
    if psc is not None:
        spec["securityContext"] = psc
    if rng.random() < 0.3:
        spec["imagePullSecrets"] = [
            {"name": rng.choice(["regcred", "ghcr", "ecr-pull", f"{app.org}-registry"])}
        ]
    if rng.random() < 0.2:
        spec["nodeSelector"] = rng.choice(
            [
                {"kubernetes.io/os": "linux"},
                {"node-role.kubernetes.io/worker": ""},
                {"cloud.google.com/gke-nodepool": "default-pool"},
                {"kubernetes.io/arch": "amd64"},
            ]
        )
    if rng.random() < 0.15:
        spec["tolerations"] = [
            {"key": "dedicated", "operator": "Equal", "value": app.name, "effect": "NoSchedule"}
        ]
    if rng.random() < 0.15:
        spec["affinity"] = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchLabels": app.selector()},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }
                ]
            }
        }
    if rng.random() < 0.08:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": app.selector()},
            }
        ]
    if rng.random() < 0.25:
        spec["terminationGracePeriodSeconds"] = rng.choice([10, 30, 60, 120])
    if not host and rng.random() < danger * 0.06:
        spec[rng.choice(["hostNetwork", "hostPID", "hostIPC"])] = True
    if rng.random() < danger * 0.02:
        spec["shareProcessNamespace"] = True


def plan_web(app: App, rng: random.Random, worker: bool = False) -> PodPlan:
    careful, danger = app.careful, app.danger
    port = None if worker else rng.choice(APP_PORTS)
    image = app_image(
        rng,
        app.org,
        app.name,
        app.name + ("-worker" if worker and rng.random() < 0.5 else ""),
        careful,
    )
    name = (
        ("worker" if worker else rng.choice(["app", "web", "api", "server"]))
        if rng.random() < 0.4
        else app.name
    )
    main = app_container(app, rng, name, image, port, careful, danger)
    if worker and rng.random() < 0.6:
        main["args"] = rng.choice(
            [
                ["worker", "--concurrency=4"],
                ["celery", "-A", "app", "worker", "-l", "info"],
                ["bundle", "exec", "sidekiq"],
                ["node", "dist/worker.js"],
                ["consume", "--queue", "default"],
            ]
        )
    containers = [main]
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    if rng.random() < 0.5:
        mounts.append(
            {
                "name": "config",
                "mountPath": rng.choice(["/etc/app", "/app/config", "/config"]),
                "readOnly": True,
            }
        )
        volumes.append({"name": "config", "configMap": {"name": f"{app.name}-config"}})
    if main.get("securityContext", {}).get("readOnlyRootFilesystem") or rng.random() < 0.3:
        mounts.append({"name": "tmp", "mountPath": "/tmp"})
        volumes.append(
            {
                "name": "tmp",
                "emptyDir": {} if rng.random() < 0.7 else {"medium": "Memory", "sizeLimit": "64Mi"},
            }
        )
    if rng.random() < 0.15:
        mounts.append({"name": "tls", "mountPath": "/etc/tls", "readOnly": True})
        volumes.append(
            {
                "name": "tls",
                "secret": {
                    "secretName": f"{app.name}-tls",
                    "defaultMode": 0o400 if rng.random() < 0.5 else 420,
                },
            }
        )
    if rng.random() < danger * 0.12:
        path = rng.choice(
            [
                "/var/run/docker.sock",
                "/var/log",
                "/etc",
                "/",
                "/data/" + app.name,
                "/mnt/shared",
                "/var/lib/docker",
                "/proc",
                "/dev",
                "/home",
            ]
        )
        mounts.append(
            {
                "name": "host",
                "mountPath": "/host" + (path if path != "/" else "")
                if rng.random() < 0.6
                else path,
            }
        )
        hp: dict[str, Any] = {"path": path}
        if rng.random() < 0.5:
            hp["type"] = (
                "Socket"
                if path.endswith(".sock")
                else rng.choice(["Directory", "DirectoryOrCreate", ""])
            )
            if not hp["type"]:
                del hp["type"]
        volumes.append({"name": "host", "hostPath": hp})
    if rng.random() < 0.12:
        mounts.append({"name": "data", "mountPath": "/data"})
        volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": f"{app.name}-data"}})
    if rng.random() < 0.04:
        volumes.append(
            {
                "name": "podinfo",
                "downwardAPI": {
                    "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                },
            }
        )
        mounts.append({"name": "podinfo", "mountPath": "/etc/podinfo"})
    if rng.random() < 0.04:
        volumes.append(
            {
                "name": "projected",
                "projected": {
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "path": "token",
                                "expirationSeconds": 3600,
                                "audience": "vault",
                            }
                        }
                    ]
                },
            }
        )
        mounts.append({"name": "projected", "mountPath": "/var/run/secrets/tokens"})
    if mounts:
        main["volumeMounts"] = mounts
    if rng.random() < 0.15:
        sc = sidecar(app, rng, careful, danger)
        containers.append(sc)
        for m in sc.get("volumeMounts", []):
            if all(v["name"] != m["name"] for v in volumes):
                if m["name"].endswith(("config", "conf")):
                    volumes.append(
                        {"name": m["name"], "configMap": {"name": f"{app.name}-{m['name']}"}}
                    )
                else:
                    volumes.append({"name": m["name"], "emptyDir": {}})
    spec: dict[str, Any] = {}
    if rng.random() < 0.25:
        inits = [
            init_container(app, rng, image, careful, danger) for _ in range(rng.choice([1, 1, 2]))
        ]
        for ic in inits:
            for m in ic.get("volumeMounts", []):
                if all(v["name"] != m["name"] for v in volumes):
                    volumes.append({"name": m["name"], "emptyDir": {}})
        unique: dict[str, dict[str, Any]] = {}
        for ic in inits:
            unique.setdefault(ic["name"], ic)
        spec["initContainers"] = list(unique.values())
    spec["containers"] = containers
    if volumes:
        spec["volumes"] = volumes
    finish_pod(app, rng, spec, careful, danger)
    annotations: dict[str, Any] = {}
    if rng.random() < 0.3:
        annotations.update(
            {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(rng.choice([9090, 9100, port or 8080])),
            }
        )
    if rng.random() < 0.1:
        annotations["checksum/config"] = hashlib.sha256(app.name.encode()).hexdigest()
    annotations.update(apparmor_annotations(rng, [c["name"] for c in containers], careful, danger))
    kinds = [
        ("Deployment", 80),
        ("ReplicaSet", 5),
        ("ReplicationController", 4),
        ("Pod", 5),
        ("StatefulSet", 3),
    ]
    if worker:
        kinds = [
            ("Deployment", 85),
            ("ReplicaSet", 4),
            ("ReplicationController", 3),
            ("Pod", 3),
            ("StatefulSet", 5),
        ]
    return PodPlan(
        spec,
        annotations,
        port,
        "worker" if worker else rng.choice(["backend", "frontend", "api", "server"]),
        kinds,
    )


DATABASES = {
    # name: (image, port, data path, env)
    "postgres": (
        "postgres:{v}",
        ["16.2", "15-alpine", "14", "13.14", "16"],
        5432,
        "/var/lib/postgresql/data",
        {"POSTGRES_DB": "app", "POSTGRES_USER": "app", "PGDATA": "/var/lib/postgresql/data/pgdata"},
    ),
    "mysql": (
        "mysql:{v}",
        ["8.0", "8.3", "5.7"],
        3306,
        "/var/lib/mysql",
        {"MYSQL_DATABASE": "app", "MYSQL_USER": "app"},
    ),
    "mariadb": (
        "mariadb:{v}",
        ["11.2", "10.11", "10.6"],
        3306,
        "/var/lib/mysql",
        {"MARIADB_DATABASE": "app"},
    ),
    "redis": ("redis:{v}", ["7.2-alpine", "7", "6.2", "latest"], 6379, "/data", {}),
    "mongodb": (
        "mongo:{v}",
        ["7.0", "6.0", "4.4"],
        27017,
        "/data/db",
        {"MONGO_INITDB_DATABASE": "app"},
    ),
    "elasticsearch": (
        "docker.elastic.co/elasticsearch/elasticsearch:{v}",
        ["8.12.2", "7.17.18"],
        9200,
        "/usr/share/elasticsearch/data",
        {
            "discovery.type": "single-node",
            "ES_JAVA_OPTS": "-Xms1g -Xmx1g",
            "xpack.security.enabled": "false",
        },
    ),
    "rabbitmq": (
        "rabbitmq:{v}",
        ["3.13-management", "3.12-management-alpine", "3"],
        5672,
        "/var/lib/rabbitmq",
        {"RABBITMQ_DEFAULT_USER": "app"},
    ),
    "zookeeper": ("zookeeper:{v}", ["3.9", "3.8.3"], 2181, "/data", {"ZOO_MY_ID": "1"}),
    "kafka": (
        "bitnami/kafka:{v}",
        ["3.6", "3.7.0"],
        9092,
        "/bitnami/kafka",
        {"KAFKA_CFG_PROCESS_ROLES": "broker,controller", "ALLOW_PLAINTEXT_LISTENER": "yes"},
    ),
    "minio": (
        "minio/minio:{v}",
        ["RELEASE.2024-03-15T01-07-19Z", "latest"],
        9000,
        "/data",
        {"MINIO_ROOT_USER": "minio"},
    ),
    "etcd": (
        "quay.io/coreos/etcd:{v}",
        ["v3.5.12"],
        2379,
        "/var/run/etcd",
        {"ETCD_DATA_DIR": "/var/run/etcd/default.etcd"},
    ),
}


def plan_database(app: App, rng: random.Random) -> PodPlan:
    careful, danger = app.careful, app.danger
    db = rng.choice(list(DATABASES))
    tmpl, versions, port, data, env = DATABASES[db]
    image = tmpl.format(v=rng.choice(versions))
    c: dict[str, Any] = {
        "name": db,
        "image": image,
        "ports": [{"name": db[:15] if rng.random() < 0.5 else "tcp", "containerPort": port}],
    }
    envs: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in env.items()]
    pw = {
        "postgres": "POSTGRES_PASSWORD",
        "mysql": "MYSQL_ROOT_PASSWORD",
        "mariadb": "MARIADB_ROOT_PASSWORD",
        "mongodb": "MONGO_INITDB_ROOT_PASSWORD",
        "rabbitmq": "RABBITMQ_DEFAULT_PASS",
        "minio": "MINIO_ROOT_PASSWORD",
    }.get(db)
    if pw:
        if rng.random() < careful + 0.2:
            envs.append(
                {
                    "name": pw,
                    "valueFrom": {"secretKeyRef": {"name": f"{app.name}-{db}", "key": "password"}},
                }
            )
        else:
            envs.append({"name": pw, "value": secret_value(rng, pw)})
    if envs:
        c["env"] = envs
    if db == "minio":
        c["args"] = ["server", "/data", "--console-address", ":9001"]
    if db == "redis" and rng.random() < 0.5:
        c["command"] = ["redis-server", "--appendonly", "yes"]
    c["volumeMounts"] = [{"name": "data", "mountPath": data}]
    res = resources(rng, careful, big=True)
    if res is not None:
        c["resources"] = res
    if rng.random() < careful + 0.3:
        kind = "tcp" if db not in ("postgres", "redis") else "exec"
        c["livenessProbe"] = probe(rng, port, kind, True)
        if kind == "exec":
            c["livenessProbe"]["exec"]["command"] = (
                ["pg_isready", "-U", "app"] if db == "postgres" else ["redis-cli", "ping"]
            )
        c["readinessProbe"] = probe(rng, port, "tcp", True)
    sc = container_security(rng, careful, danger * 0.6)
    if sc:
        c["securityContext"] = sc
    spec: dict[str, Any] = {}
    if db == "elasticsearch" or rng.random() < 0.2:
        ic = init_container(app, rng, image, careful, danger)
        if db == "elasticsearch":
            ic = {
                "name": "sysctl",
                "image": "busybox:1.36",
                "command": ["sysctl", "-w", "vm.max_map_count=262144"],
                "securityContext": {"privileged": True, "runAsUser": 0},
            }
        ic.pop("volumeMounts", None)
        if ic["name"] == "fix-permissions":
            ic["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
        spec["initContainers"] = [ic]
    spec["containers"] = [c]
    if rng.random() < 0.15:
        exporter_port = {"postgres": 9187, "mysql": 9104, "redis": 9121, "mongodb": 9216}.get(
            db, 9100
        )
        spec["containers"].append(
            {
                "name": "metrics",
                "image": f"quay.io/prometheuscommunity/{db}-exporter:latest"
                if rng.random() < 0.5
                else f"bitnami/{db}-exporter:0.15.0",
                "ports": [{"name": "metrics", "containerPort": exporter_port}],
            }
        )
    finish_pod(app, rng, spec, careful, danger)
    kinds = [("StatefulSet", 85), ("Deployment", 10), ("ReplicationController", 5)]
    size = rng.choice(["1Gi", "5Gi", "10Gi", "20Gi", "50Gi", "100Gi"])
    claims = [
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
            },
        }
    ]
    if rng.random() < 0.5:
        claims[0]["spec"]["storageClassName"] = rng.choice(
            ["standard", "gp3", "premium-rwo", "longhorn", "local-path"]
        )
    return PodPlan(
        spec,
        apparmor_annotations(rng, [db], careful, danger),
        port,
        "database",
        kinds,
        claims=claims,
    )


# Node agents run on every node and are where host access is normal: hostPath, host namespaces,
# privileged containers and added capabilities all appear here as they do in the real charts.
AGENTS = ["fluent-bit", "fluentd", "promtail", "node-exporter", "datadog-agent", "falco", "cni-node",
          "csi-node", "nvidia-device-plugin", "kube-proxy", "cadvisor", "filebeat", "node-problem-detector", "ingress-controller"]  # fmt: skip


def host_volume(
    name: str, path: str, rng: random.Random, kind: str | None = None
) -> dict[str, Any]:
    hp: dict[str, Any] = {"path": path}
    if kind and rng.random() < 0.7:
        hp["type"] = kind
    return {"name": name, "hostPath": hp}


def plan_agent(app: App, rng: random.Random) -> PodPlan:
    careful, danger = app.careful, max(app.danger, 0.4)
    agent = rng.choice(AGENTS)
    spec: dict[str, Any] = {}
    vols: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    c: dict[str, Any] = {"name": agent}
    port: int | None = None
    rules: list[dict[str, Any]] = [
        {
            "apiGroups": [""],
            "resources": ["pods", "namespaces", "nodes"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    if agent in ("fluent-bit", "fluentd", "promtail", "filebeat"):
        c["image"] = {
            "fluent-bit": "cr.fluentbit.io/fluent/fluent-bit:2.2.2",
            "fluentd": "fluent/fluentd-kubernetes-daemonset:v1.16-debian-elasticsearch8-1",
            "promtail": "grafana/promtail:2.9.4",
            "filebeat": "docker.elastic.co/beats/filebeat:8.12.2",
        }[agent]
        vols += [
            host_volume("varlog", "/var/log", rng),
            host_volume(
                "containers", rng.choice(["/var/lib/docker/containers", "/var/log/pods"]), rng
            ),
        ]
        mounts += [
            {"name": "varlog", "mountPath": "/var/log", "readOnly": rng.random() < careful},
            {"name": "containers", "mountPath": "/var/lib/docker/containers", "readOnly": True},
        ]
        if rng.random() < 0.3:
            vols.append(host_volume("machine-id", "/etc/machine-id", rng, "File"))
            mounts.append({"name": "machine-id", "mountPath": "/etc/machine-id", "readOnly": True})
        if rng.random() < 0.5:
            c["securityContext"] = {"runAsUser": 0} if rng.random() < 0.6 else {"privileged": True}
        port = {"fluent-bit": 2020, "fluentd": 24231, "promtail": 3101, "filebeat": 5066}[agent]
    elif agent == "node-exporter":
        c["image"] = f"quay.io/prometheus/node-exporter:v1.{rng.randint(5, 7)}.0"
        c["args"] = [
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            "--path.rootfs=/host/root",
            "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|var/lib/docker/.+)($|/)",
        ]
        vols += [
            host_volume("proc", "/proc", rng),
            host_volume("sys", "/sys", rng),
            host_volume("root", "/", rng),
        ]
        mounts += [
            {"name": "proc", "mountPath": "/host/proc", "readOnly": True},
            {"name": "sys", "mountPath": "/host/sys", "readOnly": True},
            {
                "name": "root",
                "mountPath": "/host/root",
                "readOnly": True,
                "mountPropagation": "HostToContainer",
            },
        ]
        spec["hostNetwork"] = True
        spec["hostPID"] = True
        port = 9100
        c["securityContext"] = (
            {"runAsNonRoot": True, "runAsUser": 65534, "readOnlyRootFilesystem": True}
            if rng.random() < careful
            else {}
        )
    elif agent == "datadog-agent":
        c["image"] = "gcr.io/datadoghq/agent:7"
        c["env"] = [
            {
                "name": "DD_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": "datadog-secret", "key": "api-key"}},
            }
            if rng.random() < careful + 0.3
            else {"name": "DD_API_KEY", "value": secret_value(rng, "DD_API_KEY")},
            {
                "name": "DD_KUBERNETES_KUBELET_HOST",
                "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}},
            },
            {"name": "DD_LOGS_ENABLED", "value": "true"},
        ]
        sock = rng.choice(
            ["/var/run/docker.sock", "/var/run/containerd/containerd.sock", "/var/run"]
        )
        vols += [
            host_volume("runtime-socket", sock, rng, "Socket" if sock.endswith(".sock") else None),
            host_volume("procdir", "/proc", rng),
            host_volume("cgroups", "/sys/fs/cgroup", rng),
        ]
        mounts += [
            {"name": "runtime-socket", "mountPath": "/host" + sock, "readOnly": True},
            {"name": "procdir", "mountPath": "/host/proc", "readOnly": True},
            {"name": "cgroups", "mountPath": "/host/sys/fs/cgroup", "readOnly": True},
        ]
        port = 8125
        if rng.random() < 0.5:
            c["securityContext"] = {
                "capabilities": {
                    "add": [
                        "SYS_ADMIN",
                        "SYS_RESOURCE",
                        "SYS_PTRACE",
                        "NET_ADMIN",
                        "NET_BROADCAST",
                        "NET_RAW",
                        "IPC_LOCK",
                        "CHOWN",
                    ]
                }
            }
    elif agent == "falco":
        c["image"] = "falcosecurity/falco-no-driver:0.37.1"
        c["securityContext"] = {"privileged": True}
        for n, p in (
            ("dev", "/dev"),
            ("proc", "/proc"),
            ("boot", "/boot"),
            ("lib-modules", "/lib/modules"),
            ("usr", "/usr"),
            ("etc", "/etc"),
            ("docker-socket", "/var/run/docker.sock"),
            ("containerd-socket", "/run/containerd/containerd.sock"),
        ):
            vols.append(host_volume(n, p, rng))
            mounts.append({"name": n, "mountPath": "/host" + p, "readOnly": n != "dev"})
        spec["hostPID"] = rng.random() < 0.5
        port = 8765
    elif agent == "cni-node":
        c["image"] = rng.choice(
            [
                "docker.io/calico/node:v3.27.2",
                "quay.io/cilium/cilium:v1.15.1",
                "docker.io/flannel/flannel:v0.24.2",
            ]
        )
        c["securityContext"] = (
            {"privileged": True}
            if rng.random() < 0.7
            else {
                "capabilities": {
                    "add": ["NET_ADMIN", "NET_RAW", "SYS_ADMIN", "SYS_MODULE", "SYS_RESOURCE"]
                },
                "seLinuxOptions": {"type": "spc_t", "level": "s0"},
            }
        )
        for n, p, t in (
            ("lib-modules", "/lib/modules", None),
            ("var-run", "/var/run/calico", "DirectoryOrCreate"),
            ("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
            ("cni-bin-dir", "/opt/cni/bin", "DirectoryOrCreate"),
            ("cni-net-dir", "/etc/cni/net.d", None),
            ("sys-fs", "/sys/fs/", "DirectoryOrCreate"),
        ):
            vols.append(host_volume(n, p, rng, t))
            mounts.append({"name": n, "mountPath": p, "readOnly": n == "lib-modules"})
        spec["hostNetwork"] = True
        spec["initContainers"] = [
            {
                "name": "install-cni",
                "image": c["image"].replace("node", "cni"),
                "command": ["/opt/cni/bin/install"],
                "securityContext": {"privileged": True},
                "volumeMounts": [
                    {"name": "cni-bin-dir", "mountPath": "/host/opt/cni/bin"},
                    {"name": "cni-net-dir", "mountPath": "/host/etc/cni/net.d"},
                ],
            }
        ]
        rules.append({"apiGroups": ["crd.projectcalico.org"], "resources": ["*"], "verbs": ["*"]})
    elif agent == "csi-node":
        c["image"] = rng.choice(
            [
                "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.10.0",
                "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.28.0",
            ]
        )
        c["securityContext"] = {"privileged": True}
        vols += [
            host_volume("kubelet-dir", "/var/lib/kubelet", rng, "Directory"),
            host_volume(
                "plugin-dir", "/var/lib/kubelet/plugins/ebs.csi.aws.com/", rng, "DirectoryOrCreate"
            ),
            host_volume("registration-dir", "/var/lib/kubelet/plugins_registry/", rng, "Directory"),
            host_volume("device-dir", "/dev", rng, "Directory"),
        ]
        mounts += [
            {
                "name": "kubelet-dir",
                "mountPath": "/var/lib/kubelet",
                "mountPropagation": "Bidirectional",
            },
            {"name": "plugin-dir", "mountPath": "/csi"},
            {"name": "device-dir", "mountPath": "/dev"},
        ]
        spec["priorityClassName"] = "system-node-critical"
    elif agent == "nvidia-device-plugin":
        c["image"] = "nvcr.io/nvidia/k8s-device-plugin:v0.14.5"
        c["securityContext"] = (
            {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
            if rng.random() < careful
            else {"privileged": True}
        )
        vols.append(host_volume("device-plugin", "/var/lib/kubelet/device-plugins", rng))
        mounts.append({"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"})
        spec["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    elif agent == "kube-proxy":
        c["image"] = f"registry.k8s.io/kube-proxy:v1.{rng.randint(26, 30)}.{rng.randint(0, 9)}"
        c["command"] = [
            "/usr/local/bin/kube-proxy",
            "--config=/var/lib/kube-proxy/config.conf",
            "--hostname-override=$(NODE_NAME)",
        ]
        c["env"] = [
            {
                "name": "NODE_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}},
            }
        ]
        c["securityContext"] = {"privileged": True}
        vols += [
            {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
            host_volume("xtables-lock", "/run/xtables.lock", rng, "FileOrCreate"),
            host_volume("lib-modules", "/lib/modules", rng),
        ]
        mounts += [
            {"name": "kube-proxy", "mountPath": "/var/lib/kube-proxy"},
            {"name": "xtables-lock", "mountPath": "/run/xtables.lock"},
            {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
        ]
        spec["hostNetwork"] = True
        spec["priorityClassName"] = "system-node-critical"
    elif agent == "cadvisor":
        c["image"] = "gcr.io/cadvisor/cadvisor:v0.49.1"
        c["securityContext"] = {"privileged": True} if rng.random() < 0.6 else {}
        for n, p in (
            ("rootfs", "/"),
            ("var-run", "/var/run"),
            ("sys", "/sys"),
            ("docker", "/var/lib/docker"),
            ("disk", "/dev/disk"),
        ):
            vols.append(host_volume(n, p, rng))
            mounts.append({"name": n, "mountPath": "/rootfs" if p == "/" else p, "readOnly": True})
        c["devices"] = None  # removed below: not a Kubernetes field
        port = 8080
    elif agent == "node-problem-detector":
        c["image"] = "registry.k8s.io/node-problem-detector/node-problem-detector:v0.8.19"
        c["command"] = [
            "/node-problem-detector",
            "--logtostderr",
            "--config.system-log-monitor=/config/kernel-monitor.json",
        ]
        c["securityContext"] = {"privileged": True}
        vols += [
            host_volume("log", "/var/log/", rng),
            host_volume("kmsg", "/dev/kmsg", rng, "CharDevice"),
            host_volume("localtime", "/etc/localtime", rng, "File"),
        ]
        mounts += [
            {"name": "log", "mountPath": "/var/log", "readOnly": True},
            {"name": "kmsg", "mountPath": "/dev/kmsg", "readOnly": True},
            {"name": "localtime", "mountPath": "/etc/localtime", "readOnly": True},
        ]
    else:  # ingress controller on the host network
        c["image"] = (
            f"registry.k8s.io/ingress-nginx/controller:v1.{rng.randint(8, 10)}.{rng.randint(0, 4)}"
        )
        c["args"] = [
            "/nginx-ingress-controller",
            "--election-id=ingress-nginx-leader",
            "--controller-class=k8s.io/ingress-nginx",
            "--ingress-class=nginx",
        ]
        c["securityContext"] = {
            "allowPrivilegeEscalation": True,
            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "runAsUser": 101,
        }
        c["ports"] = [
            {"name": "http", "containerPort": 80, "hostPort": 80},
            {"name": "https", "containerPort": 443, "hostPort": 443},
        ]
        spec["hostNetwork"] = rng.random() < 0.6
        if spec["hostNetwork"]:
            spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        rules.append(
            {
                "apiGroups": ["networking.k8s.io"],
                "resources": ["ingresses", "ingressclasses"],
                "verbs": ["get", "list", "watch"],
            }
        )
    c.pop("devices", None)
    if not c.get("securityContext", True):
        del c["securityContext"]
    if port and "ports" not in c:
        c["ports"] = (
            [{"name": "metrics", "containerPort": port}]
            if rng.random() < 0.7
            else [{"containerPort": port, "hostPort": port, "name": "metrics"}]
        )
    if spec.get("hostPID") is False:
        del spec["hostPID"]
    if mounts:
        c["volumeMounts"] = mounts
    res = resources(rng, careful)
    if res is not None:
        c["resources"] = res
    if rng.random() < careful and port:
        c["livenessProbe"] = probe(rng, port, "http", True)
    spec["serviceAccountName"] = app.name
    spec.setdefault(
        "tolerations",
        [{"operator": "Exists"}]
        if rng.random() < 0.6
        else [
            {"effect": "NoSchedule", "operator": "Exists"},
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
        ],
    )
    if rng.random() < 0.5:
        spec.setdefault("priorityClassName", "system-node-critical")
    spec["containers"] = [c]
    if vols:
        spec["volumes"] = vols
    if rng.random() < 0.3:
        spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
    annotations = apparmor_annotations(rng, [agent], careful * 0.5, danger)
    if agent == "falco" and rng.random() < 0.5:
        annotations[f"container.apparmor.security.beta.kubernetes.io/{agent}"] = "unconfined"
    return PodPlan(
        spec,
        annotations,
        port,
        "agent",
        [("DaemonSet", 92), ("Pod", 4), ("Deployment", 4)],
        cluster_role=rules,
    )


def plan_batch(app: App, rng: random.Random) -> PodPlan:
    careful, danger = app.careful, app.danger
    job = rng.choice(["migrate", "backup", "report", "cleanup", "certbot", "reindex", "sync"])
    c: dict[str, Any]
    vols: list[dict[str, Any]] = []
    if job == "migrate":
        c = {
            "name": "migrate",
            "image": app_image(rng, app.org, app.name, app.name, careful),
            "command": rng.choice(
                [
                    ["python", "manage.py", "migrate"],
                    ["npx", "prisma", "migrate", "deploy"],
                    ["flyway", "migrate"],
                    ["./migrate", "-path", "/migrations", "-database", "$(DATABASE_URL)", "up"],
                ]
            ),
        }
        c["env"] = [
            {
                "name": "DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": f"{app.name}-db", "key": "url"}},
            }
            if rng.random() < careful + 0.2
            else {
                "name": "DATABASE_URL",
                "value": f"postgres://app:{secret_value(rng, 'DB_PASSWORD')}@postgres:5432/app",
            }
        ]
    elif job == "backup":
        c = {
            "name": "backup",
            "image": rng.choice(
                [
                    "postgres:16-alpine",
                    "bitnami/postgresql:16",
                    "mysql:8.0",
                    "amazon/aws-cli:2.15.30",
                ]
            ),
            "command": ["/bin/sh", "-c"],
            "args": [
                Lit(
                    rng.choice(
                        [
                            "set -euo pipefail\npg_dump -h $PGHOST -U $PGUSER -Fc app > /backup/app-$(date +%F).dump\nfind /backup -mtime +7 -delete\n",
                            "mysqldump --single-transaction -h mysql -u root -p$MYSQL_ROOT_PASSWORD --all-databases | gzip > /backup/all-$(date +%Y%m%d).sql.gz\n",
                            "aws s3 sync /backup s3://acme-backups/$(hostname)/ --storage-class STANDARD_IA\n",
                        ]
                    )
                )
            ],
        }
        c["envFrom"] = [{"secretRef": {"name": "backup-credentials"}}]
        c["volumeMounts"] = [{"name": "backup", "mountPath": "/backup"}]
        if rng.random() < danger * 0.6 + 0.1:
            vols.append(
                host_volume(
                    "backup",
                    rng.choice(["/mnt/backups", "/var/backups", "/srv/backup", "/data/backups"]),
                    rng,
                    "DirectoryOrCreate",
                )
            )
        else:
            vols.append({"name": "backup", "persistentVolumeClaim": {"claimName": "backup-pvc"}})
    elif job == "cleanup":
        c = {
            "name": "kubectl",
            "image": rng.choice(
                ["bitnami/kubectl:1.29", "bitnami/kubectl:latest", "alpine/k8s:1.29.2"]
            ),
            "command": [
                "kubectl",
                "delete",
                "pods",
                "--field-selector=status.phase==Succeeded",
                "-A",
            ],
        }
    elif job == "certbot":
        c = {
            "name": "certbot",
            "image": "certbot/certbot:v2.9.0",
            "args": ["renew", "--webroot", "-w", "/var/www/certbot"],
            "volumeMounts": [{"name": "letsencrypt", "mountPath": "/etc/letsencrypt"}],
        }
        vols.append(
            host_volume("letsencrypt", "/etc/letsencrypt", rng)
            if rng.random() < danger + 0.1
            else {"name": "letsencrypt", "persistentVolumeClaim": {"claimName": "letsencrypt"}}
        )
    else:
        c = {
            "name": job,
            "image": app_image(rng, app.org, app.name, f"{app.name}-{job}", careful),
            "args": [job, "--since=24h"] if rng.random() < 0.5 else Flow([job]),
        }
        if rng.random() < 0.5:
            c["env"] = env_list(app, rng, None, careful)
    res = resources(rng, careful)
    if res is not None:
        c["resources"] = res
    sc = container_security(rng, careful, danger)
    if sc:
        c["securityContext"] = sc
    spec: dict[str, Any] = {"restartPolicy": rng.choice(["Never", "OnFailure", "OnFailure"])}
    if job == "cleanup":
        spec["serviceAccountName"] = f"{app.name}-cleaner"
    spec["containers"] = [c]
    if vols:
        spec["volumes"] = vols
    finish_pod(app, rng, spec, careful, danger)
    if job == "cleanup":
        spec["serviceAccountName"] = f"{app.name}-cleaner"
    kinds = (
        [("CronJob", 55), ("Job", 45)]
        if job != "migrate"
        else [("Job", 85), ("CronJob", 5), ("Pod", 10)]
    )
    return PodPlan(
        spec,
        apparmor_annotations(rng, [c["name"]], careful, danger),
        None,
        job,
        kinds,
        cluster_role=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "delete"]}]
        if job == "cleanup"
        else None,
    )


def plan_pod(app: App, rng: random.Random) -> PodPlan:
    """Debug, test and one-off pods, from harmless to a root shell on the node."""
    careful, danger = app.careful, app.danger
    kind = rng.choice(["debug", "debug", "test", "nodeshell", "dind", "example"])
    spec: dict[str, Any] = {}
    if kind == "debug":
        c: dict[str, Any] = {
            "name": rng.choice(["debug", "netshoot", "toolbox", "shell"]),
            "image": rng.choice(
                [
                    "nicolaka/netshoot",
                    "nicolaka/netshoot:v0.12",
                    "busybox:1.36",
                    "alpine:3.19",
                    "ubuntu:22.04",
                    "curlimages/curl:8.6.0",
                ]
            ),
            "command": rng.choice(
                [
                    ["sleep", "infinity"],
                    ["sleep", "3600"],
                    ["/bin/sh", "-c", "trap : TERM INT; sleep infinity & wait"],
                ]
            ),
            "stdin": True,
            "tty": True,
        }
        if rng.random() < danger * 0.4:
            c["securityContext"] = {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}
        spec["containers"] = [c]
    elif kind == "test":
        spec["containers"] = [
            {
                "name": "wget",
                "image": "busybox",
                "command": ["wget"],
                "args": [f"{app.name}:{rng.choice(APP_PORTS)}"],
            }
        ]
        spec["restartPolicy"] = "Never"
    elif kind == "nodeshell":
        spec.update({"hostPID": True, "hostNetwork": True, "hostIPC": rng.random() < 0.5})
        spec["containers"] = [
            {
                "name": "shell",
                "image": rng.choice(["docker.io/alpine:3.19", "busybox", "ubuntu"]),
                "command": ["nsenter"],
                "args": ["-t", "1", "-m", "-u", "-i", "-n", "sleep", "14000"],
                "securityContext": {"privileged": True},
            }
        ]
        if rng.random() < 0.5:
            spec["nodeName"] = (
                f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(1, 254)}.{rng.choice(REGIONS)}.compute.internal"
            )
        spec["tolerations"] = [{"operator": "Exists"}]
        if rng.random() < 0.5:
            spec["volumes"] = [host_volume("host-root", "/", rng)]
            spec["containers"][0]["volumeMounts"] = [{"name": "host-root", "mountPath": "/host"}]
    elif kind == "dind":
        build = {
            "name": "build",
            "image": rng.choice(["docker:24-cli", "docker:latest"]),
            "command": ["sh", "-c", "docker build -t app . && docker push app"],
            "env": [
                {
                    "name": "DOCKER_HOST",
                    "value": rng.choice(["tcp://localhost:2375", "unix:///var/run/docker.sock"]),
                }
            ],
        }
        if build["env"][0]["value"].startswith("unix"):
            build["volumeMounts"] = [{"name": "docker-sock", "mountPath": "/var/run/docker.sock"}]
            spec["volumes"] = [host_volume("docker-sock", "/var/run/docker.sock", rng, "Socket")]
            spec["containers"] = [build]
        else:
            spec["containers"] = [
                build,
                {
                    "name": "dind",
                    "image": "docker:24-dind",
                    "securityContext": {"privileged": True},
                    "env": [{"name": "DOCKER_TLS_CERTDIR", "value": ""}],
                },
            ]
        spec["restartPolicy"] = "Never"
    else:
        c = {
            "name": "nginx",
            "image": rng.choice(["nginx", "nginx:1.14.2", "nginx:1.25", "nginx:latest"]),
            "ports": [{"containerPort": 80}],
        }
        sc = container_security(rng, careful, danger)
        if sc:
            c["securityContext"] = sc
        res = resources(rng, careful)
        if res:
            c["resources"] = res
        spec["containers"] = [c]
        psc = pod_security(rng, careful, danger)
        if psc is not None:
            spec["securityContext"] = psc
    return PodPlan(
        spec,
        apparmor_annotations(rng, [c["name"] for c in spec["containers"]], careful, danger),
        None,
        kind,
        [("Pod", 100)],
    )


def plan_ci(app: App, rng: random.Random) -> PodPlan:
    """CI runners and build agents: where the Docker socket and dind are found."""
    careful, danger = app.careful, max(app.danger, 0.3)
    runner = rng.choice(
        ["gitlab-runner", "jenkins-agent", "buildkitd", "actions-runner", "drone-runner"]
    )
    image = {
        "gitlab-runner": "gitlab/gitlab-runner:alpine-v16.9.1",
        "jenkins-agent": "jenkins/inbound-agent:3206.vb_15dcf73f6a_9-2",
        "buildkitd": "moby/buildkit:v0.12.5",
        "actions-runner": "summerwind/actions-runner:latest",
        "drone-runner": "drone/drone-runner-docker:1",
    }[runner]
    c: dict[str, Any] = {"name": runner, "image": image}
    spec: dict[str, Any] = {"containers": [c]}
    if runner == "buildkitd":
        c["args"] = [
            "--addr",
            "unix:///run/buildkit/buildkitd.sock",
            "--addr",
            "tcp://0.0.0.0:1234",
        ]
        if rng.random() < careful:
            c["image"] = "moby/buildkit:v0.12.5-rootless"
            c["securityContext"] = {
                "seccompProfile": {"type": "Unconfined"},
                "appArmorProfile": {"type": "Unconfined"},
                "runAsUser": 1000,
                "runAsGroup": 1000,
            }
        else:
            c["securityContext"] = {"privileged": True}
    elif rng.random() < 0.5:
        c["volumeMounts"] = [{"name": "docker-sock", "mountPath": "/var/run/docker.sock"}]
        spec["volumes"] = [host_volume("docker-sock", "/var/run/docker.sock", rng, "Socket")]
        if rng.random() < 0.3:
            c["securityContext"] = {"runAsUser": 0}
    else:
        c["env"] = [
            {"name": "DOCKER_HOST", "value": "tcp://localhost:2376"},
            {"name": "DOCKER_TLS_VERIFY", "value": "1"},
            {"name": "DOCKER_CERT_PATH", "value": "/certs/client"},
        ]
        spec["containers"].append(
            {
                "name": "dind",
                "image": rng.choice(["docker:24.0-dind", "docker:dind", "docker:25-dind-rootless"]),
                "securityContext": {"privileged": True},
                "env": [{"name": "DOCKER_TLS_CERTDIR", "value": "/certs"}],
                "volumeMounts": [
                    {"name": "docker-certs", "mountPath": "/certs/client"},
                    {"name": "dind-storage", "mountPath": "/var/lib/docker"},
                ],
            }
        )
        c["volumeMounts"] = [
            {"name": "docker-certs", "mountPath": "/certs/client", "readOnly": True}
        ]
        spec["volumes"] = [
            {"name": "docker-certs", "emptyDir": {}},
            {"name": "dind-storage", "emptyDir": {}},
        ]
    if runner == "gitlab-runner":
        c["env"] = [
            *c.get("env", []),
            {"name": "CI_SERVER_URL", "value": "https://gitlab.com/"},
            {
                "name": "RUNNER_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "gitlab-runner", "key": "runner-token"}},
            }
            if rng.random() < careful + 0.3
            else {"name": "RUNNER_TOKEN", "value": "glrt-" + secret_value(rng, "TOKEN")[:20]},
        ]
    res = resources(rng, careful, big=True)
    if res:
        c["resources"] = res
    finish_pod(app, rng, spec, careful, danger)
    return PodPlan(
        spec,
        {},
        None,
        "ci",
        [("Deployment", 70), ("StatefulSet", 15), ("Pod", 10), ("ReplicaSet", 5)],
        cluster_role=[
            {
                "apiGroups": [""],
                "resources": ["pods", "pods/exec", "pods/log", "secrets", "configmaps"],
                "verbs": ["get", "list", "watch", "create", "patch", "delete"],
            }
        ],
    )


ARCHETYPES: list[tuple[Callable[[App, random.Random], PodPlan], int]] = [
    (plan_web, 42),
    (lambda a, r: plan_web(a, r, worker=True), 12),
    (plan_database, 13),
    (plan_agent, 10),
    (plan_batch, 13),
    (plan_pod, 6),
    (plan_ci, 4),
]


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def workload(
    app: App, rng: random.Random, kind: str, plan: PodPlan, old_api: bool
) -> dict[str, Any]:
    """The object of `kind` that runs the planned pod."""
    pod_md: dict[str, Any] = {
        "labels": app.labels(plan.component) if rng.random() < 0.5 else app.selector()
    }
    if plan.annotations:
        pod_md["annotations"] = dict(plan.annotations)
    template = {"metadata": pod_md, "spec": plan.spec}
    md = app.metadata(
        app.name if rng.random() < 0.7 else f"{app.name}-{plan.component}", plan.component
    )
    obj: dict[str, Any] = {"apiVersion": API_VERSIONS[kind], "kind": kind, "metadata": md}
    if kind == "Pod":
        if plan.annotations:
            md["annotations"] = dict(plan.annotations)
        obj["spec"] = plan.spec
        return obj
    spec: dict[str, Any] = {}
    sel = app.selector()
    if kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"):
        spec["replicas"] = (
            rng.choice([1, 1, 2, 2, 3, 3, 5]) if kind != "StatefulSet" else rng.choice([1, 3, 3, 5])
        )
    if kind == "StatefulSet":
        spec["serviceName"] = f"{app.name}-headless" if rng.random() < 0.6 else app.name
    if kind == "ReplicationController":
        spec["selector"] = sel
        template["metadata"]["labels"] = {**sel, **template["metadata"]["labels"]}
    elif kind in ("Job", "CronJob"):
        pass
    else:
        spec["selector"] = {"matchLabels": sel}
        template["metadata"]["labels"] = {**sel, **template["metadata"]["labels"]}
    if kind == "Deployment" and rng.random() < 0.4:
        spec["strategy"] = rng.choice(
            [
                {
                    "type": "RollingUpdate",
                    "rollingUpdate": {
                        "maxSurge": rng.choice([1, "25%"]),
                        "maxUnavailable": rng.choice([0, "25%"]),
                    },
                },
                {"type": "Recreate"},
            ]
        )
    if kind == "Deployment" and rng.random() < 0.3:
        spec["revisionHistoryLimit"] = rng.choice([3, 5, 10])
    if kind == "DaemonSet" and rng.random() < 0.5:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    if kind == "StatefulSet" and plan.claims and rng.random() < 0.3:
        spec["podManagementPolicy"] = "Parallel"
    if kind in ("Job", "CronJob"):
        if plan.spec.get("restartPolicy") not in ("Never", "OnFailure"):
            plan.spec["restartPolicy"] = "OnFailure"
        job_spec: dict[str, Any] = {}
        if rng.random() < 0.7:
            job_spec["backoffLimit"] = rng.choice([0, 1, 3, 4, 6])
        if rng.random() < 0.4:
            job_spec["ttlSecondsAfterFinished"] = rng.choice([100, 600, 3600, 86400])
        if rng.random() < 0.2:
            job_spec["activeDeadlineSeconds"] = rng.choice([600, 1800, 3600])
        job_spec["template"] = template
        if kind == "Job":
            obj["spec"] = job_spec
            return obj
        if old_api:
            obj["apiVersion"] = "batch/v1beta1"
        cron: dict[str, Any] = {
            "schedule": rng.choice(
                [
                    "0 2 * * *",
                    "*/5 * * * *",
                    "30 3 * * 0",
                    "0 */6 * * *",
                    "@hourly",
                    "15 1 * * *",
                    "0 0 1 * *",
                ]
            )
        }
        if rng.random() < 0.2:
            cron["timeZone"] = rng.choice(TIMEZONES)
        if rng.random() < 0.6:
            cron["concurrencyPolicy"] = rng.choice(["Forbid", "Replace", "Allow"])
        if rng.random() < 0.5:
            cron["successfulJobsHistoryLimit"] = rng.choice([1, 3])
            cron["failedJobsHistoryLimit"] = rng.choice([1, 3, 5])
        if rng.random() < 0.2:
            cron["startingDeadlineSeconds"] = 200
        if rng.random() < 0.05:
            cron["suspend"] = True
        cron["jobTemplate"] = {"spec": job_spec}
        obj["spec"] = cron
        return obj
    if old_api and kind in ("Deployment", "DaemonSet", "ReplicaSet"):
        obj["apiVersion"] = rng.choice(["apps/v1", "extensions/v1beta1", "apps/v1beta2"])
    spec["template"] = template
    if kind == "StatefulSet" and plan.claims:
        spec["volumeClaimTemplates"] = plan.claims
        plan.spec["containers"][0].setdefault(
            "volumeMounts", [{"name": "data", "mountPath": "/data"}]
        )
    elif plan.claims:
        vols = plan.spec.setdefault("volumes", [])
        if all(v.get("name") != "data" for v in vols):
            vols.append(
                {"name": "data", "persistentVolumeClaim": {"claimName": f"{app.name}-data"}}
                if rng.random() < 0.8
                else {"name": "data", "emptyDir": {}}
            )
    obj["spec"] = spec
    return obj


def service(app: App, rng: random.Random, port: int, headless: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    stype = "ClusterIP"
    if headless:
        spec["clusterIP"] = "None"
    else:
        stype = rng.choice(["ClusterIP", "ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"])
        if stype != "ClusterIP" or rng.random() < 0.4:
            spec["type"] = stype
    spec["selector"] = app.selector()
    p: dict[str, Any] = {
        "port": rng.choice([80, port, port, 443]) if not headless else port,
        "targetPort": rng.choice([port, "http"]) if rng.random() < 0.8 else port,
    }
    if rng.random() < 0.6:
        p = {"name": "http" if port not in (5432, 3306, 6379, 27017, 9092, 2181) else "tcp", **p}
    if rng.random() < 0.5:
        p["protocol"] = "TCP"
    if stype == "NodePort" and rng.random() < 0.6:
        p["nodePort"] = rng.randint(30000, 32767)
    spec["ports"] = [p]
    md = app.metadata(f"{app.name}-headless" if headless else app.name, extra_labels=False)
    if stype == "LoadBalancer" and rng.random() < 0.5:
        md["annotations"] = rng.choice(
            [
                {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
                {"cloud.google.com/load-balancer-type": "Internal"},
                {"metallb.universe.tf/address-pool": "public"},
            ]
        )
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec}


CONFIG_FILES = [
    (
        "nginx.conf",
        'server {\n    listen 80;\n    server_name _;\n\n    location / {\n        proxy_pass http://127.0.0.1:8080;\n        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n    }\n\n    location /healthz {\n        access_log off;\n        return 200 "ok";\n    }\n}\n',
    ),
    (
        "config.yaml",
        "server:\n  port: 8080\n  readTimeout: 30s\nlog:\n  level: info\n  format: json\nfeatures:\n  signup: true\n  betaDashboard: false\n",
    ),
    (
        "application.properties",
        "server.port=8080\nspring.datasource.url=jdbc:postgresql://postgres:5432/app\nspring.jpa.hibernate.ddl-auto=validate\nmanagement.endpoints.web.exposure.include=health,info,prometheus\n",
    ),
    (
        "settings.json",
        '{\n  "cacheTtl": 300,\n  "upstreams": ["http://search:9200", "http://catalog:8080"],\n  "retry": {"max": 3, "backoffMs": 250}\n}\n',
    ),
    (
        "fluent-bit.conf",
        "[SERVICE]\n    Flush        5\n    Log_Level    info\n    Parsers_File parsers.conf\n\n[INPUT]\n    Name              tail\n    Path              /var/log/containers/*.log\n    Tag               kube.*\n    Mem_Buf_Limit     5MB\n\n[OUTPUT]\n    Name  es\n    Match *\n    Host  elasticsearch\n    Port  9200\n",
    ),
    ("redis.conf", "maxmemory 256mb\nmaxmemory-policy allkeys-lru\nappendonly yes\nsave 900 1\n"),
]


def configmap(app: App, rng: random.Random) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in rng.sample(
        [
            "LOG_LEVEL",
            "CACHE_URL",
            "FEATURE_FLAGS",
            "API_BASE_URL",
            "WORKERS",
            "TIMEOUT_SECONDS",
            "cache-url",
            "ALLOWED_HOSTS",
            "REGION",
        ],
        rng.randint(1, 5),
    ):
        data[key] = {
            "LOG_LEVEL": rng.choice(LOG_LEVELS),
            "CACHE_URL": "redis://redis:6379/0",
            "cache-url": "redis://redis:6379/1",
            "FEATURE_FLAGS": "signup,checkout-v2",
            "API_BASE_URL": f"https://api.{app.org}.example.com",
            "WORKERS": str(rng.randint(1, 16)),
            "TIMEOUT_SECONDS": str(rng.choice([5, 30, 60])),
            "ALLOWED_HOSTS": f"{app.name}.{app.org}.example.com,localhost",
            "REGION": rng.choice(REGIONS),
        }[key]
    if rng.random() < 0.6:
        name, body = rng.choice(CONFIG_FILES)
        data[name] = Lit(body)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": app.metadata(f"{app.name}-config", extra_labels=False),
        "data": data,
    }


def secret(app: App, rng: random.Random) -> dict[str, Any]:
    keys = rng.sample(SECRET_NAMES, rng.randint(1, 4))
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": app.metadata(f"{app.name}-secrets", extra_labels=False),
        "type": "Opaque",
    }
    if rng.random() < 0.5:
        obj["stringData"] = {k.lower().replace("_", "-"): secret_value(rng, k) for k in keys}
    else:
        obj["data"] = {
            k.lower().replace("_", "-"): base64.b64encode(secret_value(rng, k).encode()).decode()
            for k in keys
        }
    return obj


def ingress(app: App, rng: random.Random, port: int) -> dict[str, Any]:
    host = f"{app.name}.{rng.choice([app.org + '.com', app.org + '.io', 'example.com', 'apps.' + app.org + '.internal'])}"
    md = app.metadata(extra_labels=False)
    ann: dict[str, Any] = {}
    if rng.random() < 0.6:
        ann["cert-manager.io/cluster-issuer"] = rng.choice(
            ["letsencrypt-prod", "letsencrypt", "internal-ca"]
        )
    if rng.random() < 0.4:
        ann["nginx.ingress.kubernetes.io/proxy-body-size"] = rng.choice(["10m", "50m", "0"])
    if rng.random() < 0.2:
        ann["nginx.ingress.kubernetes.io/rewrite-target"] = "/$2"
    if ann:
        md["annotations"] = ann
    spec: dict[str, Any] = {}
    if rng.random() < 0.6:
        spec["ingressClassName"] = rng.choice(["nginx", "traefik", "alb", "nginx"])
    if rng.random() < 0.6:
        spec["tls"] = [{"hosts": [host], "secretName": f"{app.name}-tls"}]
    backend = {
        "service": {
            "name": app.name,
            "port": {"number": port} if rng.random() < 0.7 else {"name": "http"},
        }
    }
    spec["rules"] = [
        {
            "host": host,
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": rng.choice(["Prefix", "ImplementationSpecific"]),
                        "backend": backend,
                    }
                ]
            },
        }
    ]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": md, "spec": spec}


def extras(app: App, rng: random.Random, kind: str, plan: PodPlan) -> list[dict[str, Any]]:
    """The other objects a real folder holds beside the workload, in the order people write them."""
    out: list[dict[str, Any]] = []
    if plan.spec.get("serviceAccountName") not in (None, "default"):
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": app.metadata(plan.spec["serviceAccountName"], extra_labels=False),
            }
        )
        if plan.cluster_role:
            role_kind = "ClusterRole" if kind == "DaemonSet" or rng.random() < 0.5 else "Role"
            md = {"name": plan.spec["serviceAccountName"]}
            if role_kind == "Role" and app.namespace:
                md["namespace"] = app.namespace
            out.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": role_kind,
                    "metadata": md,
                    "rules": plan.cluster_role,
                }
            )
            out.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": role_kind + "Binding",
                    "metadata": dict(md),
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": role_kind,
                        "name": md["name"],
                    },
                    "subjects": [
                        {
                            "kind": "ServiceAccount",
                            "name": plan.spec["serviceAccountName"],
                            "namespace": app.namespace or "default",
                        }
                    ],
                }
            )
    if rng.random() < 0.55:
        out.append(configmap(app, rng))
    if rng.random() < 0.2:
        out.append(secret(app, rng))
    if (
        plan.port
        and kind
        in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DaemonSet")
        and rng.random() < 0.85
    ):
        out.append(
            service(app, rng, plan.port, headless=kind == "StatefulSet" and rng.random() < 0.6)
        )
        if plan.component in ("frontend", "api", "backend", "server") and rng.random() < 0.45:
            out.append(ingress(app, rng, plan.port))
    if kind == "Deployment" and rng.random() < 0.2:
        out.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": app.metadata(extra_labels=False),
                "spec": {
                    "scaleTargetRef": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": app.name,
                    },
                    "minReplicas": rng.choice([1, 2, 3]),
                    "maxReplicas": rng.choice([5, 10, 20]),
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {
                                    "type": "Utilization",
                                    "averageUtilization": rng.choice([60, 70, 80]),
                                },
                            },
                        }
                    ],
                },
            }
        )
    if kind in ("Deployment", "StatefulSet") and rng.random() < 0.15:
        out.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": app.metadata(extra_labels=False),
                "spec": {
                    "minAvailable" if rng.random() < 0.5 else "maxUnavailable": 1,
                    "selector": {"matchLabels": app.selector()},
                },
            }
        )
    if rng.random() < 0.08:
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": app.metadata(f"{app.name}-allow-ingress", extra_labels=False),
                "spec": {
                    "podSelector": {"matchLabels": app.selector()},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": "ingress-nginx"
                                        }
                                    }
                                }
                            ],
                            "ports": [{"protocol": "TCP", "port": plan.port or 8080}],
                        }
                    ],
                },
            }
        )
    if any(
        "persistentVolumeClaim" in v
        and v["persistentVolumeClaim"].get("claimName") == f"{app.name}-data"
        for v in plan.spec.get("volumes", [])
    ):
        out.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": app.metadata(f"{app.name}-data", extra_labels=False),
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": rng.choice(["1Gi", "10Gi", "20Gi"])}},
                },
            }
        )
    return out


def exported(rng: random.Random, obj: dict[str, Any]) -> dict[str, Any]:
    """`kubectl get -o yaml` noise: server-set metadata, last-applied annotation, status."""
    md = obj["metadata"]
    applied = json.dumps(obj, separators=(",", ":"), default=str)
    ann = dict(md.get("annotations", {}))
    if obj["kind"] in ("Deployment", "ReplicaSet"):
        ann["deployment.kubernetes.io/revision"] = str(rng.randint(1, 40))
    ann["kubectl.kubernetes.io/last-applied-configuration"] = Lit(applied + "\n")
    stamp = f"{rng.randint(2021, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    new_md = {
        "annotations": ann,
        "creationTimestamp": stamp,
        **{k: v for k, v in md.items() if k != "annotations"},
    }
    if obj["kind"] not in ("Service", "ConfigMap", "Secret", "Pod"):
        new_md["generation"] = rng.randint(1, 30)
    new_md["resourceVersion"] = str(rng.randint(10**5, 10**8))
    uid = hashlib.sha256(str(rng.random()).encode()).hexdigest()
    new_md["uid"] = "-".join(uid[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    out = {**obj, "metadata": dict(sorted(new_md.items()))}
    if obj["kind"] in ("Deployment", "StatefulSet", "ReplicaSet"):
        n = obj["spec"].get("replicas", 1)
        out["status"] = {
            "availableReplicas": n,
            "observedGeneration": new_md.get("generation", 1),
            "readyReplicas": n,
            "replicas": n,
        }
    elif obj["kind"] == "Service":
        out["spec"] = {
            **obj["spec"],
            "clusterIP": obj["spec"].get(
                "clusterIP", f"10.96.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            ),
            "sessionAffinity": "None",
        }
        out["status"] = {"loadBalancer": {}}
    elif obj["kind"] == "DaemonSet":
        n = rng.randint(3, 40)
        out["status"] = {
            "currentNumberScheduled": n,
            "desiredNumberScheduled": n,
            "numberAvailable": n,
            "numberMisscheduled": 0,
            "numberReady": n,
        }
    elif obj["kind"] == "Pod":
        out["status"] = {
            "phase": "Running",
            "podIP": f"10.244.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "qosClass": rng.choice(["Burstable", "BestEffort", "Guaranteed"]),
        }
    return sort_keys(out)


def sort_keys(value: Any) -> Any:
    """kubectl writes every mapping with its keys in order."""
    if isinstance(value, dict):
        return {k: sort_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list) and not isinstance(value, Flow):
        return [sort_keys(v) for v in value]
    return value


def kustomize(
    app: App, rng: random.Random, main: dict[str, Any], resources: list[str]
) -> list[tuple[str, list[Any]]]:
    """A kustomization over the folder's files, now and then with patches beside it."""
    kust: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    }
    if app.namespace:
        kust["namespace"] = app.namespace
    kust["resources"] = list(resources)
    out: list[tuple[str, list[Any]]] = []
    template = main["spec"].get("template") if main["kind"] != "Pod" else None
    containers = (template or main).get("spec", {}).get("containers", [])
    if containers and rng.random() < 0.4:
        image = str(containers[0]["image"])
        kust["images"] = [
            {"name": image.split("@")[0].rsplit(":", 1)[0], "newTag": app_tag(rng, 0.9)}
        ]
    if template is not None and rng.random() < 0.5:
        # strategic-merge patches: partial objects, as overlays write them
        patch: dict[str, Any] = {
            "apiVersion": main["apiVersion"],
            "kind": main["kind"],
            "metadata": {"name": main["metadata"]["name"]},
        }
        if "replicas" in main["spec"] and rng.random() < 0.5:
            patch["spec"] = {"replicas": rng.choice([2, 3, 4, 6])}
            name = "patch-replicas.yaml"
        else:
            first = containers[0]["name"] if containers else app.name
            patch["spec"] = {
                "template": {
                    "spec": {"containers": [{"name": first, "resources": resources_patch(rng)}]}
                }
            }
            name = "patch-resources.yaml"
        out.append((name, [patch]))
        kust["patches"] = [{"path": name}]
    if rng.random() < 0.3:
        kust["commonLabels" if rng.random() < 0.5 else "labels"] = (
            {"team": app.org}
            if rng.random() < 0.5
            else [{"pairs": {"team": app.org}, "includeSelectors": False}]
        )
        if "commonLabels" in kust and not isinstance(kust["commonLabels"], dict):
            kust["commonLabels"] = {"team": app.org}
    return [("kustomization.yaml", [kust]), *out]


def resources_patch(rng: random.Random) -> dict[str, Any]:
    req = pick(rng, MEM_MIB, 128, 1024)
    return {
        "requests": {"cpu": cpu(rng, pick(rng, CPU_MILLIS, 100, 500)), "memory": mem(rng, req)},
        "limits": {"memory": mem(rng, pick(rng, MEM_MIB, req, 4096))},
    }


# Tools whose install manifests projects keep in their trees (generated here, not copied): a
# controller with its CRDs, RBAC, webhooks and services, hundreds to thousands of lines.
BUNDLES = [
    ("cert-manager", "cert-manager.io", ["Certificate", "Issuer", "ClusterIssuer", "CertificateRequest"]),
    ("ingress-nginx", None, []),
    ("metrics-server", None, []),
    ("external-dns", None, []),
    ("sealed-secrets", "bitnami.com", ["SealedSecret"]),
    ("argo-rollouts", "argoproj.io", ["Rollout", "AnalysisTemplate", "Experiment"]),
    ("prometheus-operator", "monitoring.coreos.com", ["ServiceMonitor", "PodMonitor", "PrometheusRule", "Alertmanager"]),
    ("keda", "keda.sh", ["ScaledObject", "ScaledJob", "TriggerAuthentication"]),
    ("velero", "velero.io", ["Backup", "Restore", "Schedule", "BackupStorageLocation"]),
    ("reloader", None, []),
]  # fmt: skip
FIELD_NAMES = [
    "replicas", "image", "selector", "template", "tolerations", "affinity", "resources",
    "storage", "tls", "issuerRef", "secretName", "duration", "renewBefore", "endpoint",
    "interval", "timeout", "retries", "labels", "annotations", "config", "mode", "enabled",
    "port", "targetRef", "conditions", "schedule", "paused", "minReplicas", "maxReplicas",
    "triggers", "metadata", "namespaceSelector", "podMetricsEndpoints", "scheme", "path",
    "bucket", "region", "credential", "ttl", "includedNamespaces", "excludedResources",
    "strategy", "steps", "analysis", "weight", "canaryService", "stableService", "dnsNames",
    "privateKey", "algorithm", "size", "rotationPolicy", "usages", "observedGeneration",
]  # fmt: skip
DESCRIPTION_SENTENCES = [
    "{field} specifies the {noun} to use. If not set, the controller default is used.",
    "{field} is the number of seconds after which the {kind} is considered failed. Defaults to 30.",
    "Deprecated: use {other} instead. {field} will be removed in a future release.",
    "{field} selects the objects this {kind} applies to. An empty selector matches every object in the namespace.",
    "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels",
    "{field} holds the {noun} of the {kind}, as observed by the controller.",
    "When true, the controller stops reconciling this {kind} until {field} is unset.",
    "This field is optional.",
    "{field} must be a valid DNS subdomain name, at most 253 characters.",
    "If {field} and {other} are both set, {other} takes precedence.",
]
NOUNS = ["name", "reference", "configuration", "duration", "policy", "endpoint", "secret", "status"]


def description(rng: random.Random, field_name: str, kind: str) -> str:
    sentences = rng.sample(DESCRIPTION_SENTENCES, rng.randint(1, 3))
    other = rng.choice(FIELD_NAMES)
    return " ".join(
        t.format(field=field_name, kind=kind, noun=rng.choice(NOUNS), other=other)
        for t in sentences
    )


def schema_props(
    rng: random.Random, kind_name: str, depth: int, budget: list[int]
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name in rng.sample(FIELD_NAMES, rng.randint(2, 8)):
        if budget[0] <= 0:
            break
        budget[0] -= 1
        kind = rng.choice(["string", "string", "integer", "boolean", "object", "array"])
        if depth <= 0 and kind in ("object", "array"):
            kind = "string"
        prop: dict[str, Any] = {}
        if rng.random() < 0.8:
            prop["description"] = description(rng, name, kind_name)
        if kind == "object":
            prop["properties"] = schema_props(rng, kind_name, depth - 1, budget)
            prop["type"] = "object"
        elif kind == "array":
            prop["items"] = (
                {"type": "string"}
                if rng.random() < 0.5
                else {
                    "properties": schema_props(rng, kind_name, depth - 1, budget),
                    "type": "object",
                }
            )
            prop["type"] = "array"
        else:
            prop["type"] = kind
            if kind == "integer" and rng.random() < 0.5:
                prop["format"] = "int32"
                prop["minimum"] = 0
            if kind == "string" and rng.random() < 0.15:
                prop["enum"] = rng.sample(["Always", "Never", "IfNotPresent", "Auto", "Manual"], 2)
        props[name] = prop
    return dict(sorted(props.items()))


def crd(rng: random.Random, group: str, kind: str) -> dict[str, Any]:
    plural = kind.lower() + ("es" if kind.endswith("s") else "s")
    budget = [rng.randint(40, 220)]
    schema = {
        "description": f"{kind} is the Schema for the {plural} API.",
        "properties": {
            "apiVersion": {"description": description(rng, "apiVersion", kind), "type": "string"},
            "kind": {"description": description(rng, "kind", kind), "type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "description": f"{kind}Spec defines the desired state.",
                "properties": schema_props(rng, kind, 3, budget),
                "type": "object",
            },
            "status": {
                "properties": schema_props(rng, kind, 1, [12]),
                "type": "object",
            },
        },
        "type": "object",
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "annotations": {"controller-gen.kubebuilder.io/version": "v0.14.0"},
            "name": f"{plural}.{group}",
        },
        "spec": {
            "group": group,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "additionalPrinterColumns": [
                        {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"}
                    ],
                    "name": "v1",
                    "schema": {"openAPIV3Schema": schema},
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                }
            ],
        },
    }


def bundle(rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    """A vendored install manifest: namespace, CRDs, RBAC, config, services, controllers."""
    tool, group, kinds = rng.choice(BUNDLES)
    ns = tool if rng.random() < 0.7 else "kube-system"
    app = App(tool, "upstream", ns, 0.9, 0.05, "k8s", rng)
    em = Emitter(Habits(False, 0.0, False, True, False, False, True), rng)
    docs: list[Any] = []
    if ns != "kube-system":
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": app.labels()},
            }
        )
    docs += [crd(rng, group, k) for k in kinds] if group else []
    components = ["controller"] + (["webhook"] if group and rng.random() < 0.6 else [])
    if rng.random() < 0.3:
        components.append("cainjector")
    for comp in components:
        sa = f"{tool}-{comp}" if comp != "controller" else tool
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": sa, "namespace": ns, "labels": app.labels(comp)},
            }
        )
        rules = [
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
            {
                "apiGroups": [""],
                "resources": ["secrets", "configmaps", "services", "pods"],
                "verbs": ["get", "list", "watch"],
            },
        ]
        if group:
            rules.append(
                {
                    "apiGroups": [group],
                    "resources": [k.lower() + "s" for k in kinds]
                    + [k.lower() + "s/status" for k in kinds],
                    "verbs": ["get", "list", "watch", "update", "patch"],
                }
            )
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": sa, "labels": app.labels(comp)},
                "rules": rules,
            }
        )
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": sa, "labels": app.labels(comp)},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": sa,
                },
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
            }
        )
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": f"{sa}:leaderelection", "namespace": ns},
                "rules": [
                    {
                        "apiGroups": ["coordination.k8s.io"],
                        "resources": ["leases"],
                        "verbs": ["get", "create", "update", "patch"],
                    }
                ],
            }
        )
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": f"{sa}:leaderelection", "namespace": ns},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": f"{sa}:leaderelection",
                },
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
            }
        )
    port = rng.choice([9402, 10250, 8443, 8080, 9443])
    for comp in components:
        sa = f"{tool}-{comp}" if comp != "controller" else tool
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": sa, "namespace": ns, "labels": app.labels(comp)},
                "spec": {
                    "ports": [
                        {
                            "name": "https" if comp == "webhook" else "metrics",
                            "port": 443 if comp == "webhook" else port,
                            "protocol": "TCP",
                            "targetPort": port,
                        }
                    ],
                    "selector": app.labels(comp),
                    "type": "ClusterIP",
                },
            }
        )
    for comp in components:
        sa = f"{tool}-{comp}" if comp != "controller" else tool
        c = {
            "args": [
                f"--v={rng.choice([2, 4])}",
                f"--leader-election-namespace={ns}",
                f"--metrics-bind-address=:{port}",
            ],
            "image": f"{rng.choice(['quay.io/jetstack', 'registry.k8s.io', 'ghcr.io/' + tool, 'docker.io/bitnami'])}/{tool}-{comp}:v{rng.randint(0, 3)}.{rng.randint(1, 16)}.{rng.randint(0, 9)}",
            "imagePullPolicy": "IfNotPresent",
            "name": f"{tool}-{comp}",
            "ports": [
                {
                    "containerPort": port,
                    "name": "http-metrics" if comp != "webhook" else "https",
                    "protocol": "TCP",
                }
            ],
            "resources": resources(rng, 1.0) or {"requests": {"cpu": "10m", "memory": "32Mi"}},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
            },
        }
        if rng.random() < 0.7:
            c["livenessProbe"] = probe(rng, port, "http", True)
        pod = {
            "containers": [c],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "serviceAccountName": sa,
        }
        if tool == "ingress-nginx" and rng.random() < 0.5:
            pod["hostNetwork"] = True
            c["ports"].append({"containerPort": 80, "hostPort": 80, "name": "http"})
        docs.append(
            sort_keys(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment"
                    if tool != "ingress-nginx" or rng.random() < 0.6
                    else "DaemonSet",
                    "metadata": {"labels": app.labels(comp), "name": sa, "namespace": ns},
                    "spec": {
                        "selector": {"matchLabels": app.labels(comp)},
                        "template": {"metadata": {"labels": app.labels(comp)}, "spec": pod},
                    },
                }
            )
        )
        if docs[-1]["kind"] == "Deployment":
            docs[-1]["spec"]["replicas"] = rng.choice([1, 2])
    if "webhook" in components:
        docs.append(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingWebhookConfiguration",
                "metadata": {"name": f"{tool}-webhook", "labels": app.labels("webhook")},
                "webhooks": [
                    {
                        "name": f"webhook.{group}",
                        "admissionReviewVersions": ["v1"],
                        "sideEffects": "None",
                        "failurePolicy": "Fail",
                        "clientConfig": {
                            "service": {
                                "name": f"{tool}-webhook",
                                "namespace": ns,
                                "path": "/validate",
                            }
                        },
                        "rules": [
                            {
                                "apiGroups": [group],
                                "apiVersions": ["v1"],
                                "operations": ["CREATE", "UPDATE"],
                                "resources": ["*/*"],
                            }
                        ],
                    }
                ],
            }
        )
    if rng.random() < 0.4:
        docs.append(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": f"{tool}-startupapicheck", "namespace": ns},
                "spec": {
                    "backoffLimit": 4,
                    "template": {
                        "metadata": {"labels": app.labels("startupapicheck")},
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "serviceAccountName": tool,
                            "securityContext": {
                                "runAsNonRoot": True,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "containers": [
                                {
                                    "name": "check",
                                    "image": f"quay.io/jetstack/{tool}-ctl:v1.14.4",
                                    "args": ["check", "api", "--wait=1m"],
                                    "securityContext": {
                                        "allowPrivilegeEscalation": False,
                                        "capabilities": {"drop": ["ALL"]},
                                    },
                                }
                            ],
                        },
                    },
                },
            }
        )
    fname = rng.choice(
        ["install.yaml", f"{tool}.yaml", "deploy.yaml", "components.yaml", "bundle.yaml"]
    )
    header = (
        [f"# {tool} install manifest, vendored; regenerate with `make vendor`"]
        if rng.random() < 0.5
        else None
    )
    files = [(fname, em.stream(docs, header))]
    if rng.random() < 0.5:
        files.append(
            (
                "kustomization.yaml",
                em.stream(
                    [
                        {
                            "apiVersion": "kustomize.config.k8s.io/v1beta1",
                            "kind": "Kustomization",
                            "resources": [fname],
                        }
                    ]
                ),
            )
        )
    return tool, files


def kubernetes_app(seed: int) -> tuple[str, list[tuple[str, str]]]:
    """The application's name and (file name, text) for every file of its folder."""
    rng = random.Random(seed)
    if rng.random() < 0.03:
        return bundle(rng)
    name = f"{rng.choice(PROJECT_WORDS)}-{rng.choice(PROJECT_KINDS)}"
    careful = rng.choice([0.1, 0.3, 0.5, 0.7, 0.9, 0.95])
    app = App(
        name=name,
        org=rng.choice(ORGS),
        namespace=rng.choice(
            [
                None,
                None,
                None,
                name.split("-")[0],
                "default",
                "production",
                "staging",
                "monitoring",
                "kube-system",
            ]
        ),
        careful=careful,
        danger=rng.choice([0.02, 0.1, 0.2, 0.4, 0.7]) * (1.2 - careful),
        labels_style=rng.choice(["app", "app", "k8s", "both"]),
        rng=rng,
    )
    habits = Habits.draw(rng)
    em = Emitter(habits, rng)
    arche = rng.choices([a for a, _ in ARCHETYPES], weights=[w for _, w in ARCHETYPES])[0]
    plan = arche(app, rng)
    if plan.component == "agent" and app.namespace is None and rng.random() < 0.5:
        app.namespace = rng.choice(["monitoring", "logging", "kube-system", "observability"])
    kind = weighted(rng, plan.kinds)
    old_api = rng.random() < 0.06
    main = workload(app, rng, kind, plan, old_api)
    others = extras(app, rng, kind, plan)
    # A second workload in the same folder now and then: an app with its worker or its database.
    second: dict[str, Any] | None = None
    if plan.component in ("backend", "api", "server", "frontend") and rng.random() < 0.2:
        app2 = App(
            f"{name}-{rng.choice(['worker', 'db', 'cache', 'cron'])}",
            app.org,
            app.namespace,
            careful,
            app.danger,
            app.labels_style,
            rng,
        )
        plan2 = (
            plan_database
            if app2.name.endswith(("db", "cache"))
            else plan_batch
            if app2.name.endswith("cron")
            else lambda a, r: plan_web(a, r, worker=True)
        )(app2, rng)
        second = workload(app2, rng, weighted(rng, plan2.kinds), plan2, old_api)
        if plan2.port and second["kind"] != "Pod":
            others.append(service(app2, rng, plan2.port, headless=second["kind"] == "StatefulSet"))
    workloads = [main] + ([second] if second else [])
    comment_header = None
    if rng.random() < 0.2:
        comment_header = [
            f"# {rng.choice(['Managed by', 'Owned by', 'Maintained by'])} the {app.org} platform team",
            f"# {rng.choice(['Apply with', 'Deploy:'])} kubectl apply -f {rng.choice(['.', 'k8s/', 'deploy/'])}",
        ]

    layout = rng.choices(["split", "single", "numbered", "list"], weights=[44, 30, 15, 11])[0]
    files: list[tuple[str, list[Any]]] = []
    if layout == "list":
        items = [
            exported(rng, o)
            for o in [*workloads, *(x for x in others if x["kind"] in ("Service", "ConfigMap"))]
        ]
        files.append(
            (
                rng.choice([f"{name}.yaml", "export.yaml", f"{name}-list.yaml", "all.yaml"]),
                [
                    {
                        "apiVersion": "v1",
                        "items": items,
                        "kind": "List",
                        "metadata": {"resourceVersion": ""},
                    }
                ],
            )
        )
        rest = [x for x in others if x["kind"] not in ("Service", "ConfigMap")]
        if rest:
            files.append(
                ("rbac.yaml" if any("Role" in x["kind"] for x in rest) else "extras.yaml", rest)
            )
    elif layout == "single":
        docs = []
        if app.namespace and app.namespace not in ("default", "kube-system") and rng.random() < 0.4:
            docs.append(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": app.namespace}}
            )
        configs = [
            x
            for x in others
            if x["kind"] in ("ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim")
            or "Role" in x["kind"]
        ]
        rest = [x for x in others if x not in configs]
        docs += configs + workloads + rest
        files.append(
            (
                rng.choice(
                    [
                        f"{name}.yaml",
                        "manifests.yaml",
                        "all-in-one.yaml",
                        "k8s.yaml",
                        "deploy.yaml",
                        f"{name}.yml",
                    ]
                ),
                docs,
            )
        )
    elif layout == "numbered":
        n = 0
        if app.namespace and app.namespace not in ("default", "kube-system"):
            files.append(
                (
                    "00-namespace.yaml",
                    [
                        {
                            "apiVersion": "v1",
                            "kind": "Namespace",
                            "metadata": {"name": app.namespace},
                        }
                    ],
                )
            )
        groups: dict[str, list[Any]] = {}
        for x in others:
            group = (
                "rbac"
                if x["kind"] in ("ServiceAccount",) or "Role" in x["kind"]
                else x["kind"].lower()
            )
            groups.setdefault(group, []).append(x)
        order = ["rbac", "configmap", "secret", "persistentvolumeclaim"]
        for g in order:
            if g in groups:
                n += 1
                files.append((f"{n:02d}-{g}.yaml", groups.pop(g)))
        n += 1
        files.append((f"{n:02d}-{main['kind'].lower()}.yaml", workloads))
        for g, objs in groups.items():
            n += 1
            files.append((f"{n:02d}-{g}.yaml", objs))
    else:
        ext = ".yaml" if rng.random() < 0.85 else ".yml"
        bundle_service = rng.random() < 0.35
        wl_docs = list(workloads)
        rbac = [x for x in others if x["kind"] == "ServiceAccount" or "Role" in x["kind"]]
        for x in others:
            if x in rbac:
                continue
            if bundle_service and x["kind"] == "Service":
                wl_docs.append(x)
                continue
            files.append(
                (
                    f"{x['kind'].lower()}{ext}"
                    if x["kind"] != "HorizontalPodAutoscaler"
                    else f"hpa{ext}",
                    [x],
                )
            )
        files.insert(0, (f"{main['kind'].lower()}{ext}", wl_docs))
        if rbac:
            files.append((f"rbac{ext}" if len(rbac) > 1 else f"serviceaccount{ext}", rbac))
        if rng.random() < 0.25:
            files.extend(kustomize(app, rng, main, [f for f, _ in files]))
    # merge files that ended up with the same name
    merged: dict[str, list[Any]] = {}
    for fname, docs in files:
        merged.setdefault(fname, []).extend(docs)
    out = []
    for i, (fname, docs) in enumerate(merged.items()):
        header = comment_header if i == 0 else None
        out.append((fname, em.stream(docs, header)))
    return name, out


# --------------------------------------------------------------------------------------------
# Compose
# --------------------------------------------------------------------------------------------


@dataclass
class Project:
    name: str
    org: str
    version: str | None  # the legacy `version:` value, or None (Compose Specification)
    careful: float
    danger: float
    interpolate: float  # probability of writing a value as ${VAR:-default}
    env: dict[str, str]  # what goes into .env
    rng: random.Random
    long_volumes: float  # probability of the long volume syntax
    uses_common: bool = False  # a service extends one from common-services.yml
    env_files: set[str] = field(default_factory=set)  # files named by `env_file:`
    secret_file: bool = False  # a top-level secret read from ./secrets/db_password.txt

    @property
    def v2(self) -> bool:
        return bool(self.version) and str(self.version).startswith("2")

    def var(self, name: str, default: str | int, *, required: bool = False) -> str:
        """`${NAME:-default}` (and remember it for .env) or the plain value."""
        if self.rng.random() < self.interpolate:
            if self.rng.random() < 0.6:
                self.env.setdefault(name, str(default))
            style = self.rng.random()
            if required and style < 0.2:
                self.env.setdefault(name, str(default))
                return f"${{{name}:?{name} must be set}}"
            if style < 0.75:
                return f"${{{name}:-{default}}}"
            if style < 0.9:
                return f"${{{name}-{default}}}"
            self.env.setdefault(name, str(default))
            return f"${{{name}}}" if self.rng.random() < 0.7 else f"${name}"
        return str(default)


def c_ports(p: Project, pairs: list[tuple[int, int]]) -> list[Any]:
    rng = p.rng
    out: list[Any] = []
    for host, cont in pairs:
        r = rng.random()
        if r < 0.12 and not p.v2 and p.version != "3":
            entry: dict[str, Any] = {
                "target": cont,
                "published": host if rng.random() < 0.6 else str(host),
                "protocol": "tcp",
            }
            if rng.random() < 0.4:
                entry["mode"] = "host"
            out.append(entry)
            continue
        if r < 0.25:
            text = f"127.0.0.1:{host}:{cont}"
        elif r < 0.4:
            var = f"{p.name.split('-')[0].upper()}_PORT" if cont in APP_PORTS else f"PORT_{cont}"
            text = f"{p.var(var, host)}:{cont}"
        elif r < 0.45:
            text = str(cont)
        else:
            text = f"{host}:{cont}"
        out.append(Q(text) if rng.random() < 0.7 else text)
    return out


def c_volume(p: Project, source: str, target: str, mode: str = "", kind: str | None = None) -> Any:
    """One volume entry, short (`src:dst:ro`) or long syntax."""
    rng = p.rng
    if p.v2 or rng.random() > p.long_volumes:
        text = f"{source}:{target}" + (f":{mode}" if mode else "")
        return Q(text) if rng.random() < 0.2 else text
    vtype = kind or ("volume" if not source.startswith(("/", ".", "~", "$")) else "bind")
    entry: dict[str, Any] = {"type": vtype, "source": source, "target": target}
    if mode == "ro":
        entry["read_only"] = True
    if vtype == "bind" and rng.random() < 0.1:
        entry["bind"] = {"create_host_path": True}
    return entry


def c_env(p: Project, values: dict[str, str]) -> Any:
    rng = p.rng
    if not values:
        return None
    if rng.random() < 0.45:
        return [f"{k}={v}" if v != "" else k for k, v in values.items()]
    return {
        k: (Q(v) if v in ("true", "false", "yes", "no") or v.isdigit() else v)
        for k, v in values.items()
    }


def c_deploy(p: Project, svc: dict[str, Any], big: bool = False) -> None:
    rng = p.rng
    if rng.random() > p.careful + 0.1:
        return
    if p.v2:
        svc["mem_limit"] = (
            rng.choice(["256m", "512m", "1g", "2g"]) if not big else rng.choice(["2g", "4g"])
        )
        if rng.random() < 0.4:
            svc["cpus"] = rng.choice([0.5, 1, 2, "1.5"])
        if rng.random() < 0.2:
            svc["cpu_shares"] = rng.choice([512, 1024])
        return
    dep: dict[str, Any] = {}
    if rng.random() < 0.3:
        dep["replicas"] = rng.choice([1, 2, 3])
    res: dict[str, Any] = {
        "limits": {
            "cpus": Q(rng.choice(["0.25", "0.50", "1", "1.5", "2"])),
            "memory": rng.choice(["128M", "256M", "512M", "1G", "2G"] if not big else ["2G", "4G"]),
        }
    }
    if rng.random() < 0.5:
        res["reservations"] = {"memory": rng.choice(["64M", "128M", "256M"])}
    dep["resources"] = res
    if rng.random() < 0.3:
        dep["restart_policy"] = (
            {"condition": "on-failure", "max_attempts": 3}
            if rng.random() < 0.5
            else {"condition": "any", "delay": "5s"}
        )
    if rng.random() < 0.05:
        dep["resources"]["reservations"] = {
            "devices": [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
        }
    svc["deploy"] = dep


def c_hardening(p: Project, svc: dict[str, Any], role: str) -> None:
    """Careful projects add user, read_only, no-new-privileges and cap_drop; careless ones
    reach for privileged, cap_add, host namespaces and unconfined profiles."""
    rng = p.rng
    if rng.random() < p.careful * 0.35:
        svc["user"] = rng.choice(
            [
                Q("1000:1000"),
                "1000",
                Q(f"{p.var('UID', 1000)}:{p.var('GID', 1000)}"),
                "node",
                "nobody",
                "65534:65534",
                "app",
            ]
        )
    elif rng.random() < p.danger * 0.25:
        svc["user"] = rng.choice(["root", Q("0:0"), "0"])
    if rng.random() < p.careful * 0.25:
        svc["read_only"] = True
        svc["tmpfs"] = ["/tmp"] if rng.random() < 0.6 else ["/tmp", "/run"]
    opts: list[Any] = []
    if rng.random() < p.careful * 0.35:
        opts.append(
            rng.choice(["no-new-privileges:true", "no-new-privileges", "no-new-privileges=true"])
        )
    if rng.random() < p.danger * 0.15:
        opts.append(
            rng.choice(
                [
                    "seccomp:unconfined",
                    "apparmor:unconfined",
                    "seccomp=unconfined",
                    "apparmor=unconfined",
                    "label:disable",
                    "label=disable",
                ]
            )
        )
    if opts:
        svc["security_opt"] = opts
    if rng.random() < p.careful * 0.25:
        svc["cap_drop"] = ["ALL"]
        if rng.random() < 0.3:
            svc["cap_add"] = ["NET_BIND_SERVICE"]
    elif rng.random() < p.danger * 0.2:
        svc["cap_add"] = rng.sample(
            [
                "SYS_ADMIN",
                "NET_ADMIN",
                "SYS_PTRACE",
                "NET_RAW",
                "ALL",
                "SYS_MODULE",
                "IPC_LOCK",
                "SYS_TIME",
            ],
            rng.randint(1, 3),
        )
    if rng.random() < p.danger * 0.08:
        svc["privileged"] = True
    if rng.random() < p.danger * 0.04:
        svc[rng.choice(["pid", "ipc"])] = "host"
    if rng.random() < p.danger * 0.04 and "ports" not in svc:
        svc["network_mode"] = "host"
    if rng.random() < p.danger * 0.03:
        svc["devices"] = [
            rng.choice(["/dev/fuse:/dev/fuse", "/dev/kvm", "/dev/snd:/dev/snd", "/dev/net/tun"])
        ]
    if rng.random() < p.danger * 0.02:
        svc["userns_mode"] = "host"


def c_logging(p: Project) -> dict[str, Any]:
    rng = p.rng
    if rng.random() < 0.8:
        return {
            "driver": "json-file",
            "options": {
                "max-size": Q(rng.choice(["10m", "50m", "100m"])),
                "max-file": Q(rng.choice(["3", "5"])),
            },
        }
    return {
        "driver": rng.choice(["local", "syslog", "gelf"]),
        **({"options": {"gelf-address": "udp://graylog:12201"}} if rng.random() < 0.5 else {}),
    }


def c_healthcheck(p: Project, test: list[str] | str) -> dict[str, Any]:
    rng = p.rng
    hc: dict[str, Any] = {
        "test": Flow(test) if isinstance(test, list) else test,
        "interval": rng.choice(["10s", "30s", "5s", "1m"]),
        "timeout": rng.choice(["5s", "3s", "10s"]),
        "retries": rng.choice([3, 5, 10]),
    }
    if rng.random() < 0.3:
        hc["start_period"] = rng.choice(["10s", "30s", "40s", "1m"])
    return hc


# Catalog of third-party services, as they are found in real compose files.
def svc_postgres(p: Project) -> tuple[str, dict[str, Any], list[str]]:
    rng = p.rng
    name = rng.choice(["db", "postgres", "database", "pg"])
    env = {
        "POSTGRES_DB": p.var("POSTGRES_DB", p.name.split("-")[0]),
        "POSTGRES_USER": p.var("POSTGRES_USER", "postgres"),
        "POSTGRES_PASSWORD": p.var(
            "POSTGRES_PASSWORD", secret_value(rng, "POSTGRES_PASSWORD"), required=True
        ),
    }
    svc: dict[str, Any] = {
        "image": f"postgres:{rng.choice(['16', '16-alpine', '15', '14.11', '13-alpine', 'latest', '12'])}"
    }
    if rng.random() < 0.3:
        svc["container_name"] = f"{p.name}-db"
    if rng.random() < 0.7:
        svc["restart"] = rng.choice(["always", "unless-stopped", "on-failure"])
    svc["environment"] = c_env(p, env)
    vols = [
        c_volume(
            p, "pgdata" if rng.random() < 0.7 else "./data/postgres", "/var/lib/postgresql/data"
        )
    ]
    if rng.random() < 0.3:
        vols.append(
            c_volume(
                p, "./initdb", "/docker-entrypoint-initdb.d", "ro" if rng.random() < 0.5 else ""
            )
        )
    svc["volumes"] = vols
    if rng.random() < 0.6:
        svc["ports"] = c_ports(p, [(5432, 5432)])
    if rng.random() < 0.5:
        svc["healthcheck"] = c_healthcheck(p, ["CMD-SHELL", "pg_isready -U postgres"])
    first = vols[0]
    source = first["source"] if isinstance(first, dict) else first.split(":")[0]
    return name, svc, [source] if source == "pgdata" else []


def _simple(
    image: str,
    port: int | None,
    data: str | None,
    env: dict[str, str] | None = None,
    cmd: str | list[str] | None = None,
) -> Callable[[Project], tuple[str, dict[str, Any], list[str]]]:
    def make(p: Project) -> tuple[str, dict[str, Any], list[str]]:
        rng = p.rng
        base = image.split("/")[-1].split(":")[0]
        svc: dict[str, Any] = {"image": image}
        if rng.random() < 0.6:
            svc["restart"] = rng.choice(["always", "unless-stopped", "on-failure", "no"])
        if env:
            svc["environment"] = c_env(
                p, {k: p.var(k, v) if "PASS" in k or "SECRET" in k else v for k, v in env.items()}
            )
        if cmd:
            svc["command"] = cmd if isinstance(cmd, str) else Flow(cmd)
        named: list[str] = []
        if data:
            vol = f"{base}-data" if rng.random() < 0.7 else f"./data/{base}"
            svc["volumes"] = [c_volume(p, vol, data)]
            if not vol.startswith("."):
                named.append(vol)
        if port and rng.random() < 0.7:
            svc["ports"] = c_ports(p, [(port, port)])
        elif port and rng.random() < 0.5:
            svc["expose"] = [Q(str(port))]
        return base, svc, named

    return make


def svc_redis(p: Project) -> tuple[str, dict[str, Any], list[str]]:
    _, svc, named = _simple(
        f"redis:{p.rng.choice(['7', '7-alpine', '6.2-alpine', 'latest', 'alpine'])}", 6379, "/data"
    )(p)
    if p.rng.random() < 0.4:
        svc["command"] = p.rng.choice(
            [
                "redis-server --appendonly yes",
                Flow(["redis-server", "--requirepass", p.var("REDIS_PASSWORD", "redis")]),
                "redis-server --save 60 1 --loglevel warning",
            ]
        )
    if p.rng.random() < 0.3:
        svc["healthcheck"] = c_healthcheck(p, ["CMD", "redis-cli", "ping"])
    return "redis" if p.rng.random() < 0.8 else "cache", svc, named


def svc_proxy(p: Project) -> tuple[str, dict[str, Any], list[str]]:
    """Reverse proxies: nginx with host config mounts, traefik and nginx-proxy with the socket."""
    rng = p.rng
    kind = rng.choice(["nginx", "nginx", "traefik", "nginx-proxy", "caddy"])
    svc: dict[str, Any]
    if kind == "nginx":
        svc = {
            "image": f"nginx:{rng.choice(['1.25-alpine', 'alpine', 'latest', 'stable', '1.24'])}",
            "ports": c_ports(p, [(80, 80)] + ([(443, 443)] if rng.random() < 0.5 else [])),
            "volumes": [
                c_volume(
                    p,
                    "./nginx/nginx.conf" if rng.random() < 0.5 else "./nginx.conf",
                    "/etc/nginx/nginx.conf",
                    "ro",
                ),
                *([c_volume(p, "./certs", "/etc/nginx/certs", "ro")] if rng.random() < 0.4 else []),
                *(
                    [
                        c_volume(
                            p,
                            "/etc/letsencrypt",
                            "/etc/letsencrypt",
                            "ro" if rng.random() < 0.6 else "",
                        )
                    ]
                    if rng.random() < 0.2
                    else []
                ),
            ],
        }
    elif kind == "traefik":
        svc = {
            "image": f"traefik:{rng.choice(['v2.11', 'v3.0', 'latest', 'v2.10'])}",
            "command": [
                "--api.insecure=true",
                "--providers.docker=true",
                "--providers.docker.exposedbydefault=false",
                "--entrypoints.web.address=:80",
            ],
            "ports": c_ports(p, [(80, 80), (8080, 8080)]),
            "volumes": [
                c_volume(
                    p,
                    "/var/run/docker.sock",
                    "/var/run/docker.sock",
                    "ro" if rng.random() < 0.6 else "",
                )
            ],
        }
        if rng.random() < 0.3:
            svc["labels"] = [
                "traefik.enable=true",
                f"traefik.http.routers.dashboard.rule=Host(`traefik.{p.org}.local`)",
            ]
    elif kind == "nginx-proxy":
        svc = {
            "image": "nginxproxy/nginx-proxy:1.4" if rng.random() < 0.5 else "jwilder/nginx-proxy",
            "ports": c_ports(p, [(80, 80), (443, 443)]),
            "volumes": [
                c_volume(p, "/var/run/docker.sock", "/tmp/docker.sock", "ro"),
                c_volume(p, "certs", "/etc/nginx/certs"),
            ],
        }
    else:
        svc = {
            "image": "caddy:2-alpine",
            "ports": c_ports(p, [(80, 80), (443, 443)]),
            "volumes": [
                c_volume(p, "./Caddyfile", "/etc/caddy/Caddyfile"),
                c_volume(p, "caddy_data", "/data"),
            ],
        }
        if rng.random() < 0.3:
            svc["cap_add"] = ["NET_ADMIN"]
    if rng.random() < 0.6:
        svc["restart"] = rng.choice(["always", "unless-stopped"])
    named = [
        v.split(":")[0]
        for v in svc["volumes"]
        if isinstance(v, str) and not v.startswith(("/", "."))
    ]
    named += [v["source"] for v in svc["volumes"] if isinstance(v, dict) and v["type"] == "volume"]
    return kind.replace("-", "_") if kind != "nginx-proxy" else "proxy", svc, named


def svc_monitoring(p: Project) -> tuple[str, dict[str, Any], list[str]]:
    """Monitoring and ops helpers: where host paths, host namespaces and the socket show up."""
    rng = p.rng
    kind = rng.choice(
        [
            "prometheus",
            "grafana",
            "node-exporter",
            "cadvisor",
            "portainer",
            "watchtower",
            "netdata",
            "promtail",
            "dozzle",
            "loki",
        ]
    )
    named: list[str] = []
    svc: dict[str, Any]
    if kind == "prometheus":
        svc = {
            "image": "prom/prometheus:v2.50.1",
            "volumes": [
                c_volume(p, "./prometheus.yml", "/etc/prometheus/prometheus.yml", "ro"),
                c_volume(p, "prometheus-data", "/prometheus"),
            ],
            "command": [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.retention.time=15d",
            ],
            "ports": c_ports(p, [(9090, 9090)]),
        }
        named.append("prometheus-data")
    elif kind == "grafana":
        svc = {
            "image": f"grafana/grafana:{rng.choice(['10.3.3', 'latest', '10.2.0'])}",
            "ports": c_ports(p, [(3000, 3000)]),
            "environment": c_env(
                p,
                {
                    "GF_SECURITY_ADMIN_PASSWORD": p.var("GRAFANA_PASSWORD", "admin"),
                    "GF_USERS_ALLOW_SIGN_UP": "false",
                },
            ),
            "volumes": [c_volume(p, "grafana-data", "/var/lib/grafana")],
        }
        named.append("grafana-data")
        if rng.random() < 0.3:
            svc["user"] = Q("472") if rng.random() < 0.6 else "root"
    elif kind == "node-exporter":
        svc = {
            "image": "prom/node-exporter:v1.7.0",
            "command": [
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/rootfs",
            ],
            "volumes": [
                c_volume(p, "/proc", "/host/proc", "ro"),
                c_volume(p, "/sys", "/host/sys", "ro"),
                c_volume(p, "/", "/rootfs", "ro"),
            ],
        }
        if rng.random() < 0.6:
            svc["network_mode"] = "host"
            svc["pid"] = "host"
        else:
            svc["ports"] = c_ports(p, [(9100, 9100)])
    elif kind == "cadvisor":
        svc = {
            "image": "gcr.io/cadvisor/cadvisor:v0.47.2",
            "ports": c_ports(p, [(8080, 8080)]),
            "volumes": [
                c_volume(p, "/", "/rootfs", "ro"),
                c_volume(p, "/var/run", "/var/run", "ro" if rng.random() < 0.5 else "rw"),
                c_volume(p, "/sys", "/sys", "ro"),
                c_volume(p, "/var/lib/docker/", "/var/lib/docker", "ro"),
                c_volume(p, "/dev/disk/", "/dev/disk", "ro"),
            ],
        }
        if rng.random() < 0.6:
            svc["privileged"] = True
            svc["devices"] = ["/dev/kmsg"]
    elif kind == "portainer":
        svc = {
            "image": "portainer/portainer-ce:2.19.4",
            "ports": c_ports(p, [(9443, 9443), (8000, 8000)]),
            "volumes": [
                c_volume(p, "/var/run/docker.sock", "/var/run/docker.sock"),
                c_volume(p, "portainer_data", "/data"),
            ],
        }
        named.append("portainer_data")
    elif kind == "watchtower":
        svc = {
            "image": "containrrr/watchtower",
            "volumes": [c_volume(p, "/var/run/docker.sock", "/var/run/docker.sock")],
            "command": "--interval 300 --cleanup",
        }
        if rng.random() < 0.3:
            svc["environment"] = c_env(
                p,
                {
                    "WATCHTOWER_NOTIFICATION_URL": p.var(
                        "WATCHTOWER_NOTIFICATION_URL", "slack://token@channel"
                    )
                },
            )
    elif kind == "netdata":
        svc = {
            "image": "netdata/netdata:stable",
            "hostname": f"{p.name}.local",
            "pid": "host",
            "network_mode": "host",
            "cap_add": ["SYS_PTRACE", "SYS_ADMIN"],
            "security_opt": ["apparmor:unconfined"],
            "volumes": [
                c_volume(p, "/etc/passwd", "/host/etc/passwd", "ro"),
                c_volume(p, "/etc/group", "/host/etc/group", "ro"),
                c_volume(p, "/proc", "/host/proc", "ro"),
                c_volume(p, "/sys", "/host/sys", "ro"),
                c_volume(p, "/etc/os-release", "/host/etc/os-release", "ro"),
                c_volume(p, "/var/run/docker.sock", "/var/run/docker.sock", "ro"),
            ],
        }
    elif kind == "promtail":
        svc = {
            "image": "grafana/promtail:2.9.4",
            "volumes": [
                c_volume(p, "/var/log", "/var/log", "ro"),
                c_volume(p, "/var/lib/docker/containers", "/var/lib/docker/containers", "ro"),
                c_volume(p, "./promtail.yml", "/etc/promtail/config.yml"),
            ],
            "command": "-config.file=/etc/promtail/config.yml",
        }
    elif kind == "dozzle":
        svc = {
            "image": "amir20/dozzle:latest",
            "ports": c_ports(p, [(8888, 8080)]),
            "volumes": [c_volume(p, "/var/run/docker.sock", "/var/run/docker.sock", "ro")],
        }
    else:
        svc = {
            "image": "grafana/loki:2.9.4",
            "ports": c_ports(p, [(3100, 3100)]),
            "command": "-config.file=/etc/loki/local-config.yaml",
        }
    if rng.random() < 0.6:
        svc["restart"] = "unless-stopped"
    return kind.replace("-", "_") if rng.random() < 0.5 else kind, svc, named


def svc_ci(p: Project) -> tuple[str, dict[str, Any], list[str]]:
    rng = p.rng
    kind = rng.choice(["jenkins", "gitlab-runner", "dind", "drone-runner", "registry"])
    named: list[str] = []
    svc: dict[str, Any]
    if kind == "jenkins":
        svc = {
            "image": f"jenkins/jenkins:{rng.choice(['lts', 'lts-jdk17', '2.440.1'])}",
            "ports": c_ports(p, [(8080, 8080), (50000, 50000)]),
            "volumes": [
                c_volume(p, "jenkins_home", "/var/jenkins_home"),
                c_volume(p, "/var/run/docker.sock", "/var/run/docker.sock"),
            ],
        }
        named.append("jenkins_home")
        if rng.random() < 0.6:
            svc["user"] = "root"
        if rng.random() < 0.3:
            svc["privileged"] = True
    elif kind == "gitlab-runner":
        svc = {
            "image": "gitlab/gitlab-runner:latest",
            "volumes": [
                c_volume(p, "./gitlab-runner/config", "/etc/gitlab-runner"),
                c_volume(p, "/var/run/docker.sock", "/var/run/docker.sock"),
            ],
        }
    elif kind == "dind":
        svc = {
            "image": rng.choice(["docker:dind", "docker:24-dind", "docker:25.0-dind"]),
            "privileged": True,
            "environment": c_env(p, {"DOCKER_TLS_CERTDIR": rng.choice(["", "/certs"])}),
            "volumes": [c_volume(p, "docker-certs", "/certs/client")],
        }
        named.append("docker-certs")
        if rng.random() < 0.3:
            svc["command"] = Flow(
                ["--host=tcp://0.0.0.0:2375", "--host=unix:///var/run/docker.sock"]
            )
            svc["ports"] = c_ports(p, [(2375, 2375)])
    elif kind == "drone-runner":
        svc = {
            "image": "drone/drone-runner-docker:1",
            "volumes": [c_volume(p, "/var/run/docker.sock", "/var/run/docker.sock")],
            "environment": c_env(
                p,
                {
                    "DRONE_RPC_HOST": "drone",
                    "DRONE_RPC_SECRET": p.var(
                        "DRONE_RPC_SECRET", secret_value(rng, "DRONE_RPC_SECRET")
                    ),
                    "DRONE_RUNNER_CAPACITY": "2",
                },
            ),
        }
    else:
        svc = {
            "image": "registry:2",
            "ports": c_ports(p, [(5000, 5000)]),
            "volumes": [c_volume(p, "./registry", "/var/lib/registry")],
        }
    svc["restart"] = rng.choice(["always", "unless-stopped"])
    return kind.replace("-", "_") if rng.random() < 0.3 else kind, svc, named


def svc_vpn(p: Project) -> tuple[str, dict[str, Any], list[str]]:
    """Network appliances people self-host: capabilities, sysctls and host networking."""
    rng = p.rng
    kind = rng.choice(["wireguard", "pihole", "openvpn", "tailscale", "homeassistant"])
    svc: dict[str, Any]
    if kind == "wireguard":
        svc = {
            "image": "lscr.io/linuxserver/wireguard:latest",
            "cap_add": ["NET_ADMIN", "SYS_MODULE"],
            "environment": c_env(
                p,
                {
                    "PUID": "1000",
                    "PGID": "1000",
                    "TZ": rng.choice(TIMEZONES),
                    "SERVERURL": p.var("SERVERURL", "vpn.example.com"),
                },
            ),
            "volumes": [
                c_volume(p, "./config", "/config"),
                c_volume(p, "/lib/modules", "/lib/modules", "ro"),
            ],
            "ports": [Q("51820:51820/udp")],
            "sysctls": ["net.ipv4.conf.all.src_valid_mark=1"]
            if rng.random() < 0.5
            else {"net.ipv4.conf.all.src_valid_mark": 1},
        }
    elif kind == "pihole":
        svc = {
            "image": "pihole/pihole:latest",
            "ports": [Q("53:53/tcp"), Q("53:53/udp"), Q("8081:80/tcp")],
            "environment": c_env(
                p,
                {
                    "TZ": rng.choice(TIMEZONES),
                    "WEBPASSWORD": p.var("PIHOLE_PASSWORD", secret_value(rng, "PIHOLE")),
                },
            ),
            "volumes": [
                c_volume(p, "./etc-pihole", "/etc/pihole"),
                c_volume(p, "./etc-dnsmasq.d", "/etc/dnsmasq.d"),
            ],
            "cap_add": ["NET_ADMIN"],
        }
    elif kind == "openvpn":
        svc = {
            "image": "kylemanna/openvpn",
            "cap_add": ["NET_ADMIN"],
            "ports": [Q("1194:1194/udp")],
            "volumes": [c_volume(p, "./openvpn-data/conf", "/etc/openvpn")],
        }
        if rng.random() < 0.3:
            svc["privileged"] = True
    elif kind == "tailscale":
        svc = {
            "image": "tailscale/tailscale:latest",
            "hostname": p.name,
            "network_mode": "host",
            "cap_add": ["NET_ADMIN", "NET_RAW"],
            "volumes": [
                c_volume(p, "/dev/net/tun", "/dev/net/tun"),
                c_volume(p, "./tailscale", "/var/lib/tailscale"),
            ],
            "environment": c_env(
                p,
                {
                    "TS_AUTHKEY": p.var("TS_AUTHKEY", "tskey-auth-" + secret_value(rng, "TS")[:20]),
                    "TS_STATE_DIR": "/var/lib/tailscale",
                },
            ),
        }
    else:
        svc = {
            "image": "ghcr.io/home-assistant/home-assistant:stable",
            "network_mode": "host",
            "privileged": True,
            "volumes": [
                c_volume(p, "./config", "/config"),
                c_volume(p, "/etc/localtime", "/etc/localtime", "ro"),
                c_volume(p, "/run/dbus", "/run/dbus", "ro"),
            ],
        }
    svc["restart"] = "unless-stopped"
    return kind, svc, []


THIRD_PARTY: list[tuple[Callable[[Project], tuple[str, dict[str, Any], list[str]]], int]] = [
    (svc_postgres, 30),
    (svc_redis, 25),
    (
        _simple(
            "mysql:8.0",
            3306,
            "/var/lib/mysql",
            {"MYSQL_ROOT_PASSWORD": "root", "MYSQL_DATABASE": "app"},
        ),
        10,
    ),
    (
        _simple(
            "mariadb:10.11",
            3306,
            "/var/lib/mysql",
            {"MARIADB_ROOT_PASSWORD": "secret", "MARIADB_DATABASE": "app"},
        ),
        5,
    ),
    (
        _simple(
            "mongo:7",
            27017,
            "/data/db",
            {"MONGO_INITDB_ROOT_USERNAME": "root", "MONGO_INITDB_ROOT_PASSWORD": "example"},
        ),
        8,
    ),
    (
        _simple(
            "rabbitmq:3-management",
            15672,
            "/var/lib/rabbitmq",
            {"RABBITMQ_DEFAULT_USER": "guest", "RABBITMQ_DEFAULT_PASS": "guest"},
        ),
        7,
    ),
    (
        _simple(
            "docker.elastic.co/elasticsearch/elasticsearch:8.12.2",
            9200,
            "/usr/share/elasticsearch/data",
            {
                "discovery.type": "single-node",
                "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
                "xpack.security.enabled": "false",
            },
        ),
        5,
    ),
    (_simple("memcached:1.6-alpine", 11211, None, None, "memcached -m 64"), 3),
    (_simple("mailhog/mailhog", 8025, None), 4),
    (_simple("adminer", 8080, None), 4),
    (
        _simple(
            "minio/minio",
            9000,
            "/data",
            {"MINIO_ROOT_USER": "minio", "MINIO_ROOT_PASSWORD": "minio123"},
            "server /data --console-address :9001",
        ),
        4,
    ),
    (
        _simple(
            "bitnami/kafka:3.6",
            9092,
            "/bitnami/kafka",
            {"KAFKA_CFG_NODE_ID": "0", "ALLOW_PLAINTEXT_LISTENER": "yes"},
        ),
        3,
    ),
    (
        _simple(
            "quay.io/keycloak/keycloak:24.0",
            8080,
            None,
            {"KEYCLOAK_ADMIN": "admin", "KEYCLOAK_ADMIN_PASSWORD": "admin"},
            ["start-dev"],
        ),
        3,
    ),
    (_simple("jaegertracing/all-in-one:1.55", 16686, None, {"COLLECTOR_OTLP_ENABLED": "true"}), 3),
    (_simple("localstack/localstack", 4566, "/var/lib/localstack", {"SERVICES": "s3,sqs"}), 2),
    (svc_proxy, 18),
    (svc_monitoring, 14),
    (svc_ci, 5),
    (svc_vpn, 4),
]


def app_service(
    p: Project, name: str, role: str, build_dir: str | None, deps: list[str]
) -> dict[str, Any]:
    rng = p.rng
    svc: dict[str, Any] = {}
    if build_dir is not None:
        r = rng.random()
        if r < 0.45:
            svc["build"] = build_dir
        else:
            b: dict[str, Any] = {"context": build_dir}
            if rng.random() < 0.5:
                b["dockerfile"] = rng.choice(
                    ["Dockerfile", "Dockerfile.dev", "docker/Dockerfile", "Dockerfile.prod"]
                )
            if rng.random() < 0.3 and not p.v2:
                b["target"] = rng.choice(["dev", "production", "runtime", "builder"])
            if rng.random() < 0.3:
                b["args"] = (
                    [f"NODE_ENV={rng.choice(['production', 'development'])}"]
                    if rng.random() < 0.5
                    else {"PYTHON_VERSION": Q("3.12"), "APP_VERSION": p.var("APP_VERSION", "0.1.0")}
                )
            svc["build"] = b
        if rng.random() < 0.4:
            tag = app_tag(rng, p.careful)
            ref = f"@{tag}" if tag.startswith("sha256:") else f":{p.var('TAG', tag)}"
            svc["image"] = f"{p.var('REGISTRY', 'ghcr.io/' + p.org)}/{p.name}-{name}{ref}"
    else:
        svc["image"] = app_image(
            rng, p.org, p.name, f"{p.name}-{name}" if rng.random() < 0.6 else p.name, p.careful
        )
        if rng.random() < 0.3:
            svc["image"] = (
                f"{p.var('IMAGE', svc['image'].rsplit(':', 1)[0])}:{p.var('TAG', 'latest')}"
                if "@" not in svc["image"]
                else svc["image"]
            )
    if rng.random() < 0.25:
        svc["container_name"] = f"{p.name}-{name}" if rng.random() < 0.7 else name
    if rng.random() < 0.7:
        svc["restart"] = rng.choice(
            ["always", "unless-stopped", "on-failure", "unless-stopped", "no"]
        )
        if svc["restart"] == "no":
            svc["restart"] = Q("no")
    if role == "worker" and rng.random() < 0.7:
        svc["command"] = rng.choice(
            [
                "celery -A app worker -l info",
                Flow(["npm", "run", "worker"]),
                "bundle exec sidekiq",
                Flow(["python", "-m", "app.worker"]),
                "./bin/worker --queues=default,mail",
            ]
        )
    elif role == "web" and rng.random() < 0.2:
        svc["command"] = rng.choice(
            [
                "npm run dev",
                "python manage.py runserver 0.0.0.0:8000",
                Flow(["gunicorn", "-b", "0.0.0.0:8000", "app:app"]),
                "bin/rails server -b 0.0.0.0",
                "air -c .air.toml",
            ]
        )
    if role == "web":
        port = rng.choice(APP_PORTS)
        svc["ports"] = c_ports(p, [(rng.choice([port, port, 80, 8080, 3000]), port)])
    env: dict[str, str] = {}
    env["NODE_ENV" if rng.random() < 0.3 else "APP_ENV"] = p.var(
        "APP_ENV", rng.choice(["production", "development", "local"])
    )
    if deps:
        for d in deps[:3]:
            if "db" in d or "postgres" in d or d == "database":
                env["DATABASE_URL"] = (
                    f"postgres://postgres:{p.var('POSTGRES_PASSWORD', 'postgres')}@{d}:5432/{p.name.split('-')[0]}"
                )
            elif "redis" in d or "cache" in d:
                env["REDIS_URL"] = f"redis://{d}:6379/0"
            elif "mongo" in d:
                env["MONGO_URL"] = f"mongodb://root:example@{d}:27017"
            elif "rabbitmq" in d:
                env["AMQP_URL"] = f"amqp://guest:guest@{d}:5672/"
    for secret in rng.sample(SECRET_NAMES, rng.randint(0, 2)):
        env[secret] = (
            p.var(secret, secret_value(rng, secret))
            if rng.random() < 0.6
            else secret_value(rng, secret)
        )
    if rng.random() < 0.3:
        env["LOG_LEVEL"] = rng.choice(LOG_LEVELS)
    if rng.random() < 0.15:
        env["TZ"] = rng.choice(TIMEZONES)
    if rng.random() < 0.35:
        env_files = rng.choice([[".env"], [".env"], [".env", ".env.local"], ["./config/app.env"]])
        p.env_files.update(env_files)
        svc["env_file"] = env_files[0] if len(env_files) == 1 and rng.random() < 0.6 else env_files
    svc["environment"] = c_env(p, env)
    vols: list[Any] = []
    if build_dir is not None and rng.random() < 0.45:
        vols.append(
            c_volume(
                p,
                build_dir if build_dir != "." else ".",
                rng.choice(["/app", "/usr/src/app", "/code", "/var/www/html"]),
            )
        )
        if rng.random() < 0.3:
            vols.append(rng.choice(["/app/node_modules", "/usr/src/app/node_modules"]))
    if rng.random() < 0.2:
        vols.append(
            c_volume(
                p,
                rng.choice(["./logs", "./data", "uploads", "./storage", "static"]),
                rng.choice(["/app/logs", "/data", "/app/uploads", "/app/storage", "/app/static"]),
            )
        )
    if rng.random() < p.danger * 0.15:
        src = rng.choice(
            [
                "/var/run/docker.sock",
                "/var/run/docker.sock",
                "/etc",
                "/",
                "/root/.ssh",
                "/home",
                "/var/log",
                "/proc",
                "/run/containerd/containerd.sock",
                "~/.aws",
                "/etc/localtime",
            ]
        )
        vols.append(
            c_volume(
                p,
                src,
                src if src.startswith("/") and rng.random() < 0.6 else "/host" + src.lstrip("~"),
                "ro" if rng.random() < 0.4 else "",
            )
        )
    if vols:
        svc["volumes"] = vols
    if deps:
        if rng.random() < 0.25 and p.version in (None, "2.1", "2.2", "2.4"):
            svc["depends_on"] = {
                d: {"condition": rng.choice(["service_healthy", "service_started"])} for d in deps
            }
        else:
            svc["depends_on"] = list(deps)
    if role == "web" and rng.random() < 0.3:
        svc["healthcheck"] = c_healthcheck(
            p,
            rng.choice(
                [
                    ["CMD", "curl", "-f", "http://localhost/health"],
                    ["CMD-SHELL", "wget -qO- http://localhost:8080/healthz || exit 1"],
                    "curl --fail http://localhost:3000 || exit 1",
                ]
            ),
        )
    c_hardening(p, svc, role)
    c_deploy(p, svc)
    if rng.random() < 0.15:
        svc["logging"] = c_logging(p)
    if rng.random() < 0.1:
        svc["extra_hosts"] = ["host.docker.internal:host-gateway"]
    if rng.random() < 0.1:
        svc["labels"] = {"com.example.team": p.org, "com.example.service": name}
    if rng.random() < 0.05:
        svc["stdin_open"] = True
        svc["tty"] = True
    if rng.random() < 0.05:
        svc["init"] = True
    if rng.random() < 0.05:
        svc["ulimits"] = {"nofile": {"soft": 65536, "hard": 65536}}
    if rng.random() < 0.05:
        svc["shm_size"] = Q("2gb")
    return svc


def compose_document(
    p: Project, n_services: int, kind: str, base: list[str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A compose file; `kind` is main, override or variant (which touch some of the `base`
    services). Returns the document and the services it defines."""
    rng = p.rng
    doc: dict[str, Any] = {}
    if rng.random() < 0.1:
        doc[
            Note(
                f"{p.name}: local development stack"
                if kind != "variant"
                else "production overrides"
            )
        ] = None
    if p.version and (kind != "override" or rng.random() < 0.7):
        doc["version"] = Q(p.version) if rng.random() < 0.85 else SQ(p.version)
    if not p.version and rng.random() < 0.15 and kind == "main":
        doc["name"] = p.name
    anchors: dict[str, Any] = {}
    if not p.v2 and rng.random() < 0.15 and kind == "main":
        anchors["logging"] = c_logging(p)
        doc["x-logging"] = Anchored("default-logging", anchors["logging"])
    if not p.v2 and rng.random() < 0.12 and kind == "main":
        doc["x-common-env"] = Anchored(
            "common-env",
            {
                "TZ": rng.choice(TIMEZONES),
                "LOG_LEVEL": rng.choice(LOG_LEVELS),
                "APP_ENV": p.var("APP_ENV", "production"),
            },
        )
        anchors["env"] = True
    services: dict[str, Any] = {}
    named_volumes: list[str] = []
    stack: list[str] = []
    app_names: list[str] = []
    if kind == "main":
        third: list[tuple[str, dict[str, Any]]] = []
        tries = 0
        n_apps = max(1, min(n_services, rng.choice([1, 1, 1, 2, 2, 3, 4])))
        while len(third) < n_services - n_apps and tries < 40:
            tries += 1
            maker = rng.choices([m for m, _ in THIRD_PARTY], weights=[w for _, w in THIRD_PARTY])[0]
            name, svc, named = maker(p)
            if name in {n for n, _ in third}:
                continue
            third.append((name, svc))
            named_volumes.extend(named)
        deps = [
            n
            for n, _ in third
            if n
            in (
                "db",
                "postgres",
                "database",
                "pg",
                "redis",
                "cache",
                "mysql",
                "mongo",
                "rabbitmq",
                "mariadb",
                "elasticsearch",
                "kafka",
            )
        ]
        roles = ["web"] + [
            rng.choice(["worker", "web", "worker", "scheduler", "migrate"])
            for _ in range(n_apps - 1)
        ]
        monorepo = rng.random() < 0.4
        for role in roles:
            base = {
                "web": rng.choice(["app", "web", "api", "backend", "frontend", "server"]),
                "worker": "worker",
                "scheduler": rng.choice(["scheduler", "beat", "cron"]),
                "migrate": "migrate",
            }[role]
            name = base if base not in app_names else f"{base}{len(app_names) + 1}"
            app_names.append(name)
            build = (f"./{name}" if monorepo else ".") if rng.random() < 0.65 else None
            svc = app_service(
                p,
                name,
                role if role != "scheduler" else "worker",
                build,
                [d for d in deps if rng.random() < 0.8],
            )
            if "env" in anchors and isinstance(svc.get("environment"), dict) and rng.random() < 0.8:
                svc["environment"] = {"<<": Plain("*common-env"), **svc["environment"]}
            if "logging" in anchors and rng.random() < 0.8:
                svc["logging"] = Plain("*default-logging")
            if role == "migrate":
                svc.pop("ports", None)
                svc["command"] = rng.choice(
                    ["python manage.py migrate", "npm run migrate", Flow(["./bin/migrate", "up"])]
                )
                svc["restart"] = Q("no") if rng.random() < 0.5 else "on-failure"
            services[name] = svc
            for v in svc.get("volumes", []):
                src = (
                    v.split(":")[0]
                    if isinstance(v, str)
                    else v.get("source", "")
                    if isinstance(v, dict)
                    else ""
                )
                if src and not src.startswith(("/", ".", "~", "$")) and src not in named_volumes:
                    named_volumes.append(src)
        for name, svc in third:
            if "logging" in anchors and rng.random() < 0.5:
                svc["logging"] = Plain("*default-logging")
            services[name] = svc
        stack = list(services)
        # `extends` within the file: a base service others build upon
        if len(app_names) >= 2 and rng.random() < 0.12 and not (p.version or "").startswith("3"):
            base_name = "base" if "base" not in services else "app-base"
            first = services[app_names[0]]
            base_svc = {
                k: first[k]
                for k in ("build", "image", "environment", "env_file", "volumes")
                if k in first
            }
            services = {base_name: base_svc, **services}
            for n in app_names[1:]:
                services[n] = {
                    "extends": {"service": base_name},
                    **{k: v for k, v in services[n].items() if k not in base_svc},
                }
            stack = list(services)
    else:
        pool = base or ["app"]
        stack = rng.sample(pool, k=min(n_services, len(pool)))
        for name in stack:
            svc: dict[str, Any] = {}
            if kind == "override":
                if rng.random() < 0.6:
                    svc["build"] = "." if rng.random() < 0.5 else {"context": ".", "target": "dev"}
                if rng.random() < 0.6:
                    svc["volumes"] = [
                        c_volume(p, ".", rng.choice(["/app", "/usr/src/app", "/code"]))
                    ]
                if rng.random() < 0.5:
                    svc["environment"] = c_env(p, {"DEBUG": "true", "LOG_LEVEL": "debug"})
                if rng.random() < 0.4:
                    svc["ports"] = c_ports(p, [(rng.choice(APP_PORTS), rng.choice(APP_PORTS))])
                if rng.random() < p.danger * 0.2:
                    svc["privileged"] = True
                if rng.random() < 0.2:
                    svc["command"] = rng.choice(
                        ["npm run dev", "python -m debugpy --listen 0.0.0.0:5678 -m app", "air"]
                    )
            else:
                svc["image"] = app_image(rng, p.org, p.name, f"{p.name}-{name}", p.careful + 0.2)
                svc["restart"] = "always"
                c_deploy(p, svc)
                if rng.random() < 0.5:
                    svc["logging"] = c_logging(p)
                if rng.random() < 0.3:
                    svc["environment"] = c_env(p, {"APP_ENV": "production", "LOG_LEVEL": "warn"})
                c_hardening(p, svc, "web")
            if not svc:
                svc["environment"] = c_env(p, {"DEBUG": "1"})
            services[name] = svc
    doc["services"] = services
    candidates = [n for n in app_names if "extends" not in services[n]]
    if kind == "main" and candidates and rng.random() < 0.08:
        # an app service extends one kept in another file, as shared stacks do
        target = rng.choice(candidates)
        services[target] = {
            "extends": {"file": "common-services.yml", "service": "app"},
            **{k: v for k, v in services[target].items() if k not in ("build", "image")},
        }
        p.uses_common = True
    if named_volumes and kind == "main":
        vols: dict[str, Any] = {}
        for v in dict.fromkeys(named_volumes):
            r = rng.random()
            vols[v] = (
                None
                if r < 0.6
                else {}
                if r < 0.7
                else {"driver": "local"}
                if r < 0.9
                else {"external": True}
            )
        doc["volumes"] = vols
    if kind == "main" and rng.random() < 0.3:
        nets = rng.sample(
            ["frontend", "backend", "internal", "proxy", "default", "web"], rng.randint(1, 2)
        )
        doc["networks"] = {
            n: (
                {"external": True}
                if n == "proxy"
                else {"driver": "bridge"}
                if rng.random() < 0.5
                else None
            )
            for n in nets
        }
        for s in services.values():
            if isinstance(s, dict) and rng.random() < 0.6 and "network_mode" not in s:
                s["networks"] = (
                    list(nets)
                    if rng.random() < 0.7
                    else {nets[0]: {"aliases": [p.name]}}
                    if rng.random() < 0.5
                    else [nets[0]]
                )
    if kind == "main" and not p.v2 and rng.random() < 0.06:
        doc["secrets"] = {"db_password": {"file": "./secrets/db_password.txt"}}
        p.secret_file = True
        first = next(iter(services.values()))
        first["secrets"] = ["db_password"]
    if kind == "main":
        return doc, app_names
    return doc, stack


COMPOSE_VERSIONS = ["2", "2.1", "2.2", "2.4", "3", "3.3", "3.4", "3.7", "3.8", "3.8", "3.9"]


def compose_project(seed: int) -> tuple[str, list[tuple[str, str]]]:
    """The project's name and (file name, text) for every file of its folder."""
    rng = random.Random(seed)
    name = f"{rng.choice(PROJECT_WORDS)}-{rng.choice(PROJECT_KINDS)}"
    careful = rng.choice([0.1, 0.3, 0.5, 0.7, 0.9])
    p = Project(
        name=name,
        org=rng.choice(ORGS),
        version=rng.choice(COMPOSE_VERSIONS) if rng.random() < 0.38 else None,
        careful=careful,
        danger=rng.choice([0.05, 0.2, 0.4, 0.7, 1.0]) * (1.2 - careful),
        interpolate=rng.choice([0.0, 0.0, 0.1, 0.3, 0.6]),
        env={},
        rng=rng,
        long_volumes=rng.choice([0.0, 0.0, 0.0, 0.2, 0.8]),
    )
    habits = Habits.draw(rng)
    habits.doc_start = rng.random() < 0.03
    habits.indent_lists = rng.random() < 0.8
    habits.airy = rng.random() < 0.6
    habits.airy_services = rng.random() < 0.4
    em = Emitter(habits, rng)
    n = min(15, max(1, int(rng.lognormvariate(1.1, 0.6))))
    main_name = rng.choices(
        ["docker-compose.yml", "compose.yaml", "docker-compose.yaml", "compose.yml"],
        weights=[60, 20, 12, 8],
    )[0]
    files: list[tuple[str, str]] = []
    doc, stack = compose_document(p, n, "main")
    files.append((main_name, em.stream([doc])))
    if rng.random() < 0.25:
        stem = "docker-compose" if main_name.startswith("docker") else "compose"
        odoc, _ = compose_document(p, rng.randint(1, 3), "override", stack)
        files.append(
            (f"{stem}.override.{'yml' if main_name.endswith('yml') else 'yaml'}", em.stream([odoc]))
        )
    if rng.random() < 0.1:
        vdoc, _ = compose_document(p, rng.randint(1, 3), "variant", stack)
        files.append(
            (
                f"docker-compose.{rng.choice(['prod', 'production', 'dev', 'test', 'ci', 'staging'])}.yml",
                em.stream([vdoc]),
            )
        )
    if p.uses_common:
        common = {
            "services": {
                "app": {
                    "image": app_image(rng, p.org, p.name, p.name, careful),
                    "restart": "unless-stopped",
                    "environment": c_env(p, {"APP_ENV": "production"}),
                    "logging": c_logging(p),
                }
            }
        }
        if p.version:
            common = {"version": Q(p.version), **common}
        files.append(("common-services.yml", em.stream([common])))
    if p.env or ".env" in p.env_files:
        lines = (
            [
                f"# {rng.choice(['Copy to .env and adjust', 'Local settings', 'Defaults for docker compose'])}"
            ]
            if rng.random() < 0.4
            else []
        )
        lines += [f"{k}={v}" for k, v in p.env.items()] or [
            f"COMPOSE_PROJECT_NAME={name}",
            "APP_ENV=development",
        ]
        files.append((".env", "\n".join(lines) + "\n"))
    for extra in sorted(p.env_files - {".env"}):
        keys = rng.sample(SECRET_NAMES, 2)
        body = [f"{k}={secret_value(rng, k)}" for k in keys] + [
            f"LOG_LEVEL={rng.choice(LOG_LEVELS)}"
        ]
        files.append((extra.removeprefix("./"), "\n".join(body) + "\n"))
    if p.secret_file:
        files.append(("secrets/db_password.txt", secret_value(rng, "DB_PASSWORD") + "\n"))
    return name, files


# --------------------------------------------------------------------------------------------
# Building the corpora
# --------------------------------------------------------------------------------------------


def is_scanned(which: str, rel: str) -> bool:
    """Whether a generated file is one the set counts (compose files, manifests)."""
    name = rel.rsplit("/", 1)[-1]
    if which == COMPOSE:
        return (
            name.endswith((".yml", ".yaml")) and "compose" in name and name != "common-services.yml"
        )
    return name.endswith((".yml", ".yaml"))


def generate(which: str, seed: int, target_files: int) -> Iterable[tuple[str, str]]:
    """(relative path, text) of every file of a set, until `target_files` counted files."""
    rng = random.Random(f"{which}:{seed}")
    make = compose_project if which == COMPOSE else kubernetes_app
    counted = index = 0
    while counted < target_files:
        index += 1
        name, files = make(rng.getrandbits(48))
        for fname, text in files:
            rel = f"{index:04d}-{name}/{fname}"
            counted += is_scanned(which, rel)
            yield rel, text


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
COMPOSE_TRAITS = [
    ("version:", "\nversion:"), ("build", "build:"), ("docker.sock", "docker.sock"),
    ("privileged", "privileged: true"), ("cap_add", "cap_add:"), ("network_mode: host", "network_mode: host"),
    ("security_opt", "security_opt:"), ("deploy.resources", "resources:"), ("${VAR}", "${"),
    ("extends", "extends:"), ("long volume syntax", "type: bind"), ("anchors", ": &"),
]  # fmt: skip
KUBERNETES_TRAITS = [
    ("privileged", "privileged: true"), ("hostPath", "hostPath:"), ("hostNetwork", "hostNetwork: true"),
    ("hostPID", "hostPID: true"), ("capabilities.add", "add:"), ("runAsNonRoot", "runAsNonRoot: true"),
    ("seccompProfile", "seccompProfile:"), ("AppArmor annotation", "container.apparmor.security.beta.kubernetes.io/"),
    ("initContainers", "initContainers:"), ("livenessProbe", "livenessProbe:"), ("resources.limits", "limits:"),
    ("docker.sock", "docker.sock"),
]  # fmt: skip


def build(
    root: Path, which: str, seed: int, target_files: int, quiet: bool = False
) -> dict[str, Any]:
    """Write one set under root/<which> and its manifest beside it; return the manifest."""
    files_dir = root / which
    if files_dir.exists():
        shutil.rmtree(files_dir)
    files_dir.mkdir(parents=True)
    folders: set[str] = set()
    names: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    traits: Counter[str] = Counter()
    total_lines = total_bytes = multi_doc = 0
    sizes: list[int] = []
    for rel, text in generate(which, seed, target_files):
        path = files_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        folders.add(rel.split("/", 1)[0])
        base = rel.rsplit("/", 1)[-1]
        if not is_scanned(which, rel):
            names[base] += 1
            continue
        n = text.count("\n")
        sizes.append(n)
        total_lines += n
        total_bytes += len(text.encode())
        if which == COMPOSE:
            main_names = (
                "compose.yaml",
                "compose.yml",
                "docker-compose.yml",
                "docker-compose.yaml",
            )
            names[
                base if "override" in base or base in main_names else "docker-compose.<env>.yml"
            ] += 1
            wanted = COMPOSE_TRAITS
        else:
            docs = [d for d in yaml.load_all(text, Loader=_LOADER) if isinstance(d, dict)]
            multi_doc += len(docs) > 1
            for d in docs:
                kinds[str(d.get("kind"))] += 1
                for item in d.get("items") or () if d.get("kind") == "List" else ():
                    kinds[f"{item.get('kind')} (in a List)"] += 1
            wanted = KUBERNETES_TRAITS
        for trait, needle in wanted:
            traits[trait] += needle in "\n" + text
    sizes.sort()
    manifest: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "set": which,
        "seed": seed,
        "target_files": target_files,
        "folders": len(folders),
        "files": len(sizes),
        "lines": total_lines,
        "bytes": total_bytes,
        "min_lines": sizes[0],
        "median_lines": sizes[len(sizes) // 2],
        "max_lines": sizes[-1],
        "files_with": dict(sorted(traits.items())),
    }
    if which == COMPOSE:
        manifest["file_names"] = dict(sorted(names.items()))
    else:
        manifest["multi_document_files"] = multi_doc
        manifest["objects"] = dict(sorted(kinds.items()))
    manifest_path(root, which).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(
            f"wrote {len(sizes)} {which} files in {len(folders)} folders ({total_lines} lines, {total_bytes / 1024:.0f} KiB) to {files_dir}"
        )
        print(f"  lines per file: min {sizes[0]}, median {sizes[len(sizes) // 2]}, max {sizes[-1]}")
        if which == KUBERNETES:
            print(f"  multi-document files: {multi_doc}")
            print(
                "  objects: "
                + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
            )
        else:
            print(
                "  names: "
                + ", ".join(f"{k} {v}" for k, v in sorted(names.items(), key=lambda kv: -kv[1]))
            )
        print("  files with: " + ", ".join(f"{k} {v}" for k, v in sorted(traits.items())))
    return manifest


def list_files(root: Path, which: str) -> list[Path]:
    """Every counted file of a set, in a stable order."""
    files_dir = root / which
    return sorted(
        p
        for p in files_dir.rglob("*")
        if p.is_file() and is_scanned(which, p.relative_to(files_dir).as_posix())
    )


def is_current(root: Path, which: str, seed: int, target_files: int) -> bool:
    try:
        m = json.loads(manifest_path(root, which).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        m.get("generator_version") == GENERATOR_VERSION
        and m.get("seed") == seed
        and m.get("target_files") == target_files
        and len(list_files(root, which)) == m.get("files")
    )


def ensure(
    root: Path, which: str, seed: int = DEFAULT_SEED, target_files: int | None = None
) -> Path:
    """Build a set unless an identical one is already there; return its folder."""
    if target_files is None:
        target_files = DEFAULT_COMPOSE_FILES if which == COMPOSE else DEFAULT_KUBERNETES_FILES
    if not is_current(root, which, seed, target_files):
        build(root, which, seed, target_files)
    return root / which


def verify(root: Path, which: str) -> list[str]:
    """Parse every file back with PyYAML's safe loader; the problems found."""
    problems = []
    for path in list_files(root, which):
        try:
            docs = [
                d
                for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER)
                if d is not None
            ]
        except yaml.YAMLError as exc:
            problems.append(f"{path}: {exc}")
            continue
        for d in docs:
            if not isinstance(d, dict):
                problems.append(f"{path}: a document is not a mapping")
            elif which == KUBERNETES and not ("apiVersion" in d and "kind" in d):
                problems.append(f"{path}: a document without apiVersion and kind")
            elif which == COMPOSE and not isinstance(d.get("services"), dict):
                problems.append(f"{path}: no services mapping")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_ROOT, help="corpus root (default: bench/.corpus)"
    )
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--compose-files",
        type=int,
        default=DEFAULT_COMPOSE_FILES,
        help="compose files to write (at least; default 1000)",
    )
    ap.add_argument(
        "--kubernetes-files",
        type=int,
        default=DEFAULT_KUBERNETES_FILES,
        help="manifest files to write (at least; default 1000)",
    )
    ap.add_argument(
        "--sets", default=",".join(SETS), help="comma-separated subset of compose,kubernetes"
    )
    ap.add_argument(
        "--force", action="store_true", help="rebuild even if an identical corpus exists"
    )
    ap.add_argument(
        "--verify", action="store_true", help="parse every file back and report problems"
    )
    args = ap.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not sets or any(s not in SETS for s in sets):
        ap.error(f"--sets takes a subset of {','.join(SETS)}")
    status = 0
    for which in sets:
        target = args.compose_files if which == COMPOSE else args.kubernetes_files
        if target < 1:
            ap.error("file counts must be at least 1")
        if not args.force and is_current(args.out, which, args.seed, target):
            print(
                f"{which} corpus up to date: {args.out / which} ({len(list_files(args.out, which))} files)"
            )
        else:
            build(args.out, which, args.seed, target)
        if args.verify:
            problems = verify(args.out, which)
            print(f"  verify {which}: {len(problems)} problems")
            for prob in problems[:20]:
                print("   ", prob)
            status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())
