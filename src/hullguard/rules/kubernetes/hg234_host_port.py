"""HG234: a container port bound on the node (PSS baseline, Host Ports)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import container_finding, containers, text, value_at
from hullguard.sources.kubernetes import Workload
from hullguard.sources.yaml import YList, YMap


@rule(
    id="HG234",
    name="pod-host-port",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:baseline/hostPorts", "checkov:CKV_K8S_26", "trivy:KSV-0024"),
    fix="remove `hostPort` and expose the port with a Service",
)
def host_port(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a non-zero `ports[*].hostPort` on any init, regular or ephemeral container.

    ## Why is this bad?
    A host port binds the container to the node's own network interfaces, bypassing network
    policies and Services, tying the pod to nodes where the port is free, and letting it
    squat on a port another node service expects. Baseline allows only undefined and `0`.

    ## Example
    ```yaml
    ports:
      - containerPort: 8080
        hostPort: 80
    ```

    ## How to fix
    Remove `hostPort` and publish the port with a Service (ClusterIP, NodePort or
    LoadBalancer) or an Ingress.
    """
    for container in containers(workload):
        ports = value_at(container.spec, "ports")
        if ports is None or not isinstance(ports.value, YList):
            continue
        for port in ports.value:
            if not isinstance(port, YMap):
                continue
            found = value_at(port, "hostPort")
            if found is None or found.value in (0, "0", ""):
                continue
            yield container_finding(
                ctx, workload, container, found.location, f"binds host port {text(found.value)}"
            )
