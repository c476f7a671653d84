"""HG517: the daemon uses the aufs storage driver."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import judge


@rule(
    id="HG517",
    name="aufs-storage-driver",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(HOST,),
    references=("cis-docker:2.6", "cwe:1104"),
    fix='use overlay2: set `"storage-driver": "overlay2"` (and migrate the images)',
)
def aufs_storage_driver(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `storage-driver: aufs` (or `-s aufs`) in the daemon's configuration.

    ## Why is this bad?
    aufs is unmaintained, not in the mainline kernel, removed from current Docker releases,
    and known for kernel crashes: a host that depends on it cannot take kernel or engine
    security updates.

    ## Example
    ```json
    {"storage-driver": "aufs"}
    ```
    Use instead:
    ```json
    {"storage-driver": "overlay2"}
    ```

    ## How to fix
    Switch to `overlay2`; images and containers must be pulled or rebuilt under it.

    ## Notes
    Judged from the files: the Engine API's driver name is not part of what this audit reads.
    """
    found = judge(audit, None, lambda s: s.storage_driver)
    if found is not None and found.value.strip().lower() == "aufs":
        yield ctx.finding(
            at=found.location, message=f"the daemon uses the aufs storage driver ({found.source})"
        )
