"""HG241: a volume type outside the restricted allow-list (PSS restricted, Volume Types)."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import WORKLOAD, Context, rule
from hullguard.rules.kubernetes._pss import pod_finding, text, value_at
from hullguard.sources.kubernetes import Workload
from hullguard.sources.yaml import YList, YMap

ALLOWED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)


@rule(
    id="HG241",
    name="pod-non-core-volume-type",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(WORKLOAD,),
    references=("pss:restricted/restrictedVolumes", "trivy:KSV-0028"),
    fix="mount the storage through a PersistentVolumeClaim (or a CSI volume) instead",
)
def non_core_volume_type(workload: Workload, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a pod volume of a type outside the restricted level's list: `configMap`, `csi`,
    `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`
    and `secret`. Inline `nfs`, `iscsi`, `rbd`, `cephfs`, `gitRepo`, cloud disks and the
    like are reported; a volume with only a name is an `emptyDir`. hostPath volumes are
    reported by HG302, which both levels include.

    ## Why is this bad?
    Inline volume sources let whoever writes a pod reach storage directly, with
    credentials or addresses chosen in the pod spec, bypassing the PersistentVolume layer
    where administrators decide what storage a namespace may use. `gitRepo` even runs
    `git` on the node.

    ## Example
    ```yaml
    volumes:
      - name: shared
        nfs:
          server: 10.0.0.5
          path: /exports
    ```

    ## How to fix
    Have an administrator define a PersistentVolume (or StorageClass) for the storage and
    mount it with a `persistentVolumeClaim`; clone repositories in an init container into
    an `emptyDir`.
    """
    volumes = value_at(workload.pod_spec, "volumes")
    if volumes is None or not isinstance(volumes.value, YList):
        return
    for volume in volumes.value:
        if not isinstance(volume, YMap):
            continue
        sources = [k for k, v in volume.items() if k != "name" and v is not None]
        if not sources or "hostPath" in sources:
            continue
        bad = [k for k in sources if k not in ALLOWED_VOLUME_TYPES]
        if not bad or len(bad) < len(sources):
            continue
        name = text(volume.get("name", ""))
        yield pod_finding(
            ctx,
            workload,
            volume.key_locations.get(bad[0], volume.location),
            f"uses a {text(bad[0])} volume `{name}`, not allowed at the restricted level",
        )
