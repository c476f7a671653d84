"""HG235: a probe or lifecycle hook aimed at another host (PSS baseline, Host Probes /
Lifecycle Hooks)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import container_finding, containers, text, value_at
from hullguard.sources.kubernetes import Workload

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HOOKS = ("postStart", "preStop")
HANDLERS = ("httpGet", "tcpSocket")


@rule(
    id="HG235",
    name="pod-probe-or-hook-host",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:baseline/hostProbesAndHostLifecycle", "cwe:918"),
    fix="remove `host` from the probe or hook so that it targets the pod's own IP",
)
def probe_or_hook_host(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a non-empty `host` in the `httpGet` or `tcpSocket` handler of a liveness,
    readiness or startup probe, or of a `postStart`/`preStop` lifecycle hook, on any init,
    regular or ephemeral container.

    ## Why is this bad?
    Probes and HTTP hooks are sent by the kubelet, from the node. A `host` field points them
    at any address the node can reach (the node's own localhost services, the cloud
    metadata endpoint, other tenants), so whoever writes the pod spec gets a request forger
    running with the node's network position. Baseline (Kubernetes 1.34 and later) allows
    only undefined/nil and `""`.

    ## Example
    ```yaml
    livenessProbe:
      httpGet:
        host: 169.254.169.254
        path: /latest/meta-data/
        port: 80
    ```

    ## How to fix
    Remove `host`: the kubelet then probes the pod's own IP, which is what a health check
    should test.
    """
    for container in containers(workload):
        places = [(probe,) for probe in PROBES] + [("lifecycle", hook) for hook in HOOKS]
        for place in places:
            for handler in HANDLERS:
                found = value_at(container.spec, *place, handler, "host")
                if found is None or found.value == "":
                    continue
                where = ".".join((*place, handler))
                yield container_finding(
                    ctx,
                    workload,
                    container,
                    found.location,
                    f"sends its {where} to host {text(found.value)}",
                )
