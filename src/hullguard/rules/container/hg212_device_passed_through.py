"""HG212: a host device is passed into the container."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterator

from hullguard.data import load
from hullguard.model import Finding, Severity
from hullguard.paths import normalise_path
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import ContainerSpec


@rule(
    id="HG212",
    name="device-passed-through",
    pillar=2,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=("cis-docker:5.18", "cwe:250"),
    fix="remove the device; if the workload needs hardware, pass the narrowest device node "
    "with the narrowest permissions (`:r`)",
)
def device_passed_through(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each host device given to a container (`devices:` in compose, `--device` for
    `docker run`), with a severity that depends on the device: physical memory (`/dev/mem`,
    `/dev/kmem`, `/dev/port`) and raw disks (`/dev/sda`, `/dev/nvme0n1`, device-mapper
    volumes) are critical, input devices and consoles high, `/dev/fuse`, `/dev/kvm` and
    `/dev/net/tun` medium, GPUs and sound low.

    ## Why is this bad?
    A device node is a door straight into the host's kernel and hardware that no namespace
    guards. A raw disk gives every file of the host's filesystems, permissions and
    read-only mounts notwithstanding; `/dev/mem` gives the host's memory.

    ## Example
    ```yaml
    services:
      backup:
        image: backup/agent:5
        devices:
          - /dev/sda:/dev/sda
    ```
    ```sh
    docker run --device /dev/mem backup/agent:5
    ```
    Use instead: mount the data the tool needs, read-only.
    ```yaml
    services:
      backup:
        image: backup/agent:5
        volumes:
          - app-data:/data:ro
    ```

    ## How to fix
    Remove the device. If hardware really is needed (a GPU, a TUN device for a VPN), pass
    only that node, read-only when enough (`/dev/video0:/dev/video0:r`), and run the
    container as a non-root user.

    ## Notes
    The devices, their reasons and severities are in `data/host_devices.toml`; a device not
    listed there is reported at high severity. Read-only access (`:r`) does not lower the
    severity: reading a raw disk or memory is enough. Container Device Interface names
    (`nvidia.com/gpu=all`) are not host paths and are not reported.
    """
    for device in spec.devices:
        host = device.value.strip().split(":", 1)[0]
        if not host.startswith("/"):
            continue
        path = normalise_path(host)
        severity, reason = _classify(path)
        yield ctx.finding(
            at=device,
            message=f"{spec.name} is given the host device `{path}`: {reason}",
            severity=severity,
            resource=spec.resource,
        )


def _classify(path: str) -> tuple[Severity | None, str]:
    for pattern, severity, reason in _devices():
        if fnmatch.fnmatchcase(path, pattern):
            return severity, reason
    return None, "direct access to host hardware"


@functools.cache
def _devices() -> tuple[tuple[str, Severity, str], ...]:
    return tuple(
        (entry["pattern"], Severity.parse(entry["severity"]), entry["reason"])
        for entry in load("host_devices")["device"]
    )
