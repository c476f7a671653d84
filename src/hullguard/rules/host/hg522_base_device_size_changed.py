"""HG522: the daemon changes the base device size of container filesystems."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import file_settings, where


@rule(
    id="HG522",
    name="base-device-size-changed",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=("cis-docker:2.11", "cwe:400"),
    fix="remove the `dm.basesize`/`size` storage option unless containers truly need larger "
    "root filesystems",
)
def base_device_size_changed(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a `dm.basesize` (or `size`) storage option in `storage-opts` / `--storage-opt`.

    ## Why is this bad?
    A larger base device lets every container fill more of the disk it shares with the
    others and with the host; once raised it cannot be lowered without recreating the
    storage.

    ## Example
    ```json
    {"storage-opts": ["dm.basesize=50G"]}
    ```
    Use instead:
    ```json
    {}
    ```

    ## How to fix
    Remove the option; give the containers that need space a volume instead.

    ## Notes
    Judged from the files only.
    """
    for option in file_settings(audit).storage_opts:
        name = option.value.partition("=")[0].strip().lower()
        if name in ("dm.basesize", "size"):
            yield ctx.finding(
                at=option,
                message=f"the storage option {option.value} changes the containers' base device "
                f"size (set in {where(option.location)})",
            )
