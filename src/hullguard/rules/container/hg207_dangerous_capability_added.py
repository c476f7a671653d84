"""HG207: the container adds a capability that widens its reach into the host."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._capabilities import capability_name, dangerous_capabilities
from hullguard.spec import ContainerSpec


@rule(
    id="HG207",
    name="dangerous-capability-added",
    pillar=2,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.4",
        "checkov:CKV_K8S_25",
        "checkov:CKV_K8S_39",
        "checkov:CKV_K8S_28",
        "kics:ce76b7d0-9e77-464d-b86f-c5c48e03e22d",
        "pss:restricted/capabilities",
        "cwe:250",
    ),
    fix="remove the capability from `cap_add`/`capabilities.add`; grant the narrowest one the "
    "workload needs",
)
def dangerous_capability_added(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each dangerous Linux capability a container adds: `ALL` (critical), `SYS_ADMIN`,
    `SYS_MODULE`, `SYS_RAWIO` (critical), `DAC_READ_SEARCH`, `SYS_PTRACE`, `NET_ADMIN`,
    `BPF`, `SYS_BOOT`, `MAC_ADMIN`, `MAC_OVERRIDE` and others, each with the reason it is
    dangerous and its own severity. Names are read in any case, with or without `CAP_`.

    ## Why is this bad?
    Capabilities are the pieces of root. Several are enough on their own to leave the
    container: `SYS_ADMIN` mounts filesystems and writes cgroup release agents,
    `DAC_READ_SEARCH` reads any host file by handle, `SYS_MODULE` loads code into the host's
    kernel, `SYS_PTRACE` injects code into processes it can see.

    ## Example
    ```yaml
    services:
      vpn:
        image: vpn/client:1.4
        cap_add: [NET_ADMIN, SYS_ADMIN]
    ```
    ```sh
    docker run --cap-add=ALL vpn/client:1.4
    ```
    Use instead:
    ```yaml
    services:
      vpn:
        image: vpn/client:1.4
        cap_drop: [ALL]
        cap_add: [NET_ADMIN]
        devices: [/dev/net/tun]
    ```
    (still reported for `NET_ADMIN`, as a deliberate, reviewed exception.)

    ## How to fix
    Remove the capability, or replace it with a narrower one: `NET_BIND_SERVICE` to bind
    ports below 1024, a FUSE device instead of `SYS_ADMIN` for user-space filesystems, a
    sidecar on the host for network setup.

    ## Notes
    The capabilities, their reasons and severities are in `data/dangerous_capabilities.toml`;
    a capability not listed there (`NET_BIND_SERVICE`, `CHOWN`, `KILL`...) is not reported.
    `DAC_OVERRIDE`, `NET_RAW` and `SETFCAP` are in Docker's default set: adding them matters
    after `cap_drop: [ALL]` and on runtimes that leave them out. A privileged container is
    HG201's.
    """
    table = dangerous_capabilities()
    for cap in spec.cap_add:
        name = capability_name(cap.value)
        entry = table.get(name)
        if entry is None:
            continue
        yield ctx.finding(
            at=cap,
            message=f"{spec.name} adds the capability {name}: {entry.reason}",
            severity=entry.severity,
            resource=spec.resource,
        )
