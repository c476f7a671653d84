"""HG214: the container has no memory limit, or no PIDs limit (advice)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Located, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import CI, KUBERNETES, ContainerSpec

_UNLIMITED = frozenset({"", "0", "-1", "max", "unlimited"})


@rule(
    id="HG214",
    name="no-resource-limits",
    pillar=2,
    severity=Severity.LOW,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.11",
        "cis-docker:5.29",
        "checkov:CKV_K8S_13",
        "kics:bb9ac4f7-e13b-423d-a010-c74a1bfbe492",
        "kics:221e0658-cb2a-44e3-b08a-db96a341d6fa",
        "cwe:770",
    ),
    fix="set a memory limit (`mem_limit`, `deploy.resources.limits.memory`, `--memory`, "
    "`resources.limits.memory`) and a PIDs limit (`pids_limit`, `--pids-limit`)",
)
def no_resource_limits(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises resource limits: flags a container without a memory limit (low severity), and
    one with a memory limit but no PIDs limit (info).

    ## Why is this bad?
    Without a memory limit one container can exhaust the host's memory and get other
    workloads, or the daemon itself, killed; without a PIDs limit a fork bomb in one
    container exhausts the host's process table. Either turns a compromise or a bug in one
    container into an outage of the host.

    ## Example
    ```yaml
    services:
      worker:
        image: registry.example.com/worker:3
    ```
    ```sh
    docker run registry.example.com/worker:3
    ```
    Use instead:
    ```yaml
    services:
      worker:
        image: registry.example.com/worker:3
        mem_limit: 512m
        pids_limit: 200
    ```

    ## How to fix
    Measure the workload's peak and set the memory limit a little above it; set a PIDs
    limit well above its normal thread and process count.

    ## Notes
    Advice. A limit written as `0`, `-1` or `max` counts as no limit. Kubernetes sets PIDs
    limits per node (the kubelet's `podPidsLimit`), so for Kubernetes containers only the
    memory limit is in the manifest.

    Advice only: not given for the containers a CI pipeline starts for its jobs and services,
    which live for one job and run as the runner decides.
    """
    if spec.kind == CI:
        return
    memory = _limit(spec.memory_limit)
    pids = _limit(spec.pids_limit)
    if not memory:
        also = " and no PIDs limit" if not pids and spec.kind != KUBERNETES else ""
        yield ctx.finding(
            at=spec.memory_limit if spec.memory_limit is not None else spec.anchor,
            message=f"{spec.name} has no memory limit{also}",
            resource=spec.resource,
        )
    elif not pids and spec.kind != KUBERNETES:
        yield ctx.finding(
            at=spec.pids_limit if spec.pids_limit is not None else spec.anchor,
            message=f"{spec.name} has no PIDs limit: a fork bomb exhausts the host's process table",
            severity=Severity.INFO,
            resource=spec.resource,
        )


def _limit(setting: Located[str] | None) -> bool:
    return setting is not None and setting.value.strip().lower() not in _UNLIMITED
