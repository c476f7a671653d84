"""HG301: a sensitive host path is bind-mounted into the container."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from hullguard.data import load
from hullguard.model import Finding, Severity
from hullguard.paths import components, is_within, matches, normalise_path
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._mounts import host_path, socket_mount
from hullguard.spec import ContainerSpec


@dataclass(frozen=True, slots=True)
class SensitivePath:
    path: str
    parts: tuple[str, ...]
    reason: str
    read_write: Severity | None
    read_only: Severity | None
    subpaths: bool

    def holds(self, parts: tuple[str, ...]) -> bool:
        return is_within(parts, self.parts) if self.subpaths else matches(parts, self.parts)


@rule(
    id="HG301",
    name="sensitive-host-path-mounted",
    pillar=3,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.6",
        "kics:1c1325ff-831d-43a1-973e-839ae57dfcc0",
        "pss:baseline/hostPathVolumes",
        "cwe:668",
    ),
    fix="mount only the project folder or a named volume the workload needs, read-only when "
    "it only reads",
)
def sensitive_host_path_mounted(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a bind mount (compose `volumes`, `docker run -v/--mount`, a Kubernetes `hostPath`)
    of a sensitive host path: the root filesystem `/`, `/proc`, `/sys`, `/dev`, `/boot`,
    `/etc`, `/root`, `/home`, `/var/lib/docker`, `/var/lib/kubelet`, `/var/lib/containerd`,
    `/lib/modules`, `/usr`, `/var/log`, `/run`, `/var/run`, users' SSH keys and cloud
    credentials, and the like. The severity depends on the path and on whether the mount is
    read-only.

    ## Why is this bad?
    A host path mounted read-write lets the container change the host: write a cron job or a
    systemd unit in `/etc`, an SSH key in `/root/.ssh`, a kernel module, the core-dump
    handler in `/proc/sys`; each of these runs code as root on the host. Read-only mounts
    still hand over secrets: password hashes, TLS and SSH keys, every pod's Secrets under
    `/var/lib/kubelet`, other containers' files under `/var/lib/docker`.

    ## Example
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        volumes:
          - /:/host:ro
          - /etc:/host/etc
    ```
    ```sh
    docker run -v /proc:/host/proc monitoring/agent:2.1
    ```
    Use instead:
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        volumes:
          - ./agent.yaml:/etc/agent/agent.yaml:ro
          - agent-data:/var/lib/agent
    ```

    ## How to fix
    Mount only what the workload needs: a project folder or a named volume, read-only when
    it only reads. An agent that must inspect the host is better installed on the host, or
    given a narrow read-only mount of one file.

    ## Notes
    The paths, reasons and severities (read-write and read-only) are in
    `data/sensitive_host_paths.toml`; the most specific entry that holds a mount decides, on
    whole path components (`/etc` holds `/etc/ssl`, not `/etcd`), after normalisation of
    `//`, `/./`, `..` and a trailing `/`. Some entries hold only themselves: `/`, `/var`
    and `/home/<user>` are sensitive as a whole, a project folder under them is not. Common
    read-only mounts such as `/etc/localtime` and `/etc/ssl/certs` are not reported. An
    engine socket itself is HG101's and is not reported again; a directory that holds one
    (`/run`) is reported by both, for different reasons. Relative paths (the project's own
    folders) and named volumes are not host paths.
    """
    for mount in spec.mounts:
        path = host_path(mount)
        if path is None:
            continue
        found = socket_mount(mount)
        if found is not None and found.is_socket:
            continue
        entry = _most_specific(path)
        if entry is None:
            continue
        severity = entry.read_only if mount.read_only else entry.read_write
        if severity is None:
            continue
        mode = "read-only" if mount.read_only else "read-write"
        what = f"`{path}`" if path == entry.path else f"`{path}` (in `{entry.path}`)"
        yield ctx.finding(
            at=mount,
            message=f"{spec.name} mounts the host's {what} {mode}: {entry.reason}",
            severity=severity,
            resource=spec.resource,
        )


def _most_specific(path: str) -> SensitivePath | None:
    parts = _parts(path)
    best: SensitivePath | None = None
    for entry in _sensitive_paths():
        if entry.holds(parts) and (best is None or len(entry.parts) > len(best.parts)):
            best = entry
    return best


def _parts(path: str) -> tuple[str, ...]:
    if path == "~" or path.startswith("~/"):
        return ("~", *components(path[1:]))
    return components(normalise_path(path))


@functools.cache
def _sensitive_paths() -> tuple[SensitivePath, ...]:
    def severity(text: str) -> Severity | None:
        return None if text == "none" else Severity.parse(text)

    return tuple(
        SensitivePath(
            path=entry["path"],
            parts=_parts(entry["path"]),
            reason=entry["reason"],
            read_write=severity(entry["read_write"]),
            read_only=severity(entry["read_only"]),
            subpaths=entry.get("subpaths", True),
        )
        for entry in load("sensitive_host_paths")["path"]
    )
