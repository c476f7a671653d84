"""HG302: a hostPath volume in a pod spec (PSS baseline, HostPath Volumes)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import pod_finding, text, value_at
from hullguard.sources.kubernetes import Workload
from hullguard.sources.yaml import YList, YMap


@rule(
    id="HG302",
    name="pod-hostpath-volume",
    pillar=3,
    severity=Severity.HIGH,
    targets=(WORKLOAD,),
    references=("pss:baseline/hostPathVolumes", "trivy:KSV-0023"),
    fix="replace the hostPath volume with an emptyDir, a ConfigMap/Secret or a volume claim",
)
def hostpath_volume(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags every `spec.volumes[*].hostPath` of a pod spec, whatever path it names and
    whether or not a container mounts it.

    ## Why is this bad?
    A hostPath volume exposes the node's file system to the pod. Writable, it lets the pod
    plant files that the node runs (cron, systemd units, kubelet configuration); even read
    only, it leaks credentials and other pods' data, and paths such as `/var/run` reach the
    container runtime's socket. The baseline level forbids hostPath volumes outright.

    ## Example
    ```yaml
    volumes:
      - name: logs
        hostPath:
          path: /var/log
    ```

    ## How to fix
    Use an `emptyDir` for scratch space, a ConfigMap or Secret for configuration, a
    PersistentVolumeClaim for data, and a log or metrics agent run by the cluster operators
    for node files.
    """
    volumes = value_at(workload.pod_spec, "volumes")
    if volumes is None or not isinstance(volumes.value, YList):
        return
    for volume in volumes.value:
        if not isinstance(volume, YMap):
            continue
        host_path = value_at(volume, "hostPath")
        if host_path is None:
            continue
        path = value_at(host_path.value, "path") if isinstance(host_path.value, YMap) else None
        shown = text(path.value) if path is not None else "(no path)"
        name = text(volume.get("name", ""))
        yield pod_finding(
            ctx,
            workload,
            path.location if path is not None else host_path.location,
            f"mounts host path {shown} as volume `{name}`",
        )
