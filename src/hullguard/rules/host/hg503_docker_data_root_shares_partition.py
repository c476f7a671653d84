"""HG503: the Docker data root is not a partition of its own."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Location, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, where


@rule(
    id="HG503",
    name="docker-data-root-shares-partition",
    pillar=5,
    severity=Severity.INFO,
    targets=(HOST,),
    references=("cis-docker:1.1.1", "cwe:400"),
    fix="mount a dedicated filesystem (an LVM volume, a disk) at /var/lib/docker and list it "
    "in /etc/fstab",
)
def docker_data_root_shares_partition(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises when the Docker data root (`/var/lib/docker`, or the daemon's `data-root`) is not
    a mount point of its own in `/etc/fstab` (nor, on the live root, in the kernel's mount
    table).

    ## Why is this bad?
    Images, container layers, volumes and json-file logs all grow under the data root. On the
    root filesystem, one container that writes without bound fills the disk the host itself
    needs, and the host stops logging, updating and booting properly.

    ## Example
    ```text
    # /etc/fstab
    UUID=0a1b...  /      ext4  defaults  0 1
    ```
    Use instead:
    ```text
    UUID=0a1b...  /                ext4  defaults  0 1
    UUID=9f8e...  /var/lib/docker  xfs   defaults  0 2
    ```

    ## How to fix
    Create a volume, move the data root onto it with the daemon stopped, and mount it at boot.

    ## Notes
    Advice: nothing is reported when no mount table could be read. A mount of a parent
    folder (`/var`) is named in the message but does not count.
    """
    files = audit.files
    if files is None or not files.mounts_read or not docker_present(audit):
        return
    mount = files.data_root_mount
    if mount is not None and mount.value == files.data_root:
        return
    parent = (
        f"; it lies on the {mount.value} mount ({where(mount.location)})"
        if mount is not None
        else ""
    )
    yield ctx.finding(
        at=Location(logical=f"mount:{files.data_root}"),
        message=f"the Docker data root {files.data_root} is not a separate partition in "
        f"{' or '.join(files.mounts_read)}{parent}",
    )
