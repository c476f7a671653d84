"""HG209: the container shares one of the host's namespaces."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Located, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import KUBERNETES, ContainerSpec

# namespace -> (what it is called in messages, what sharing it gives away, severity)
_NAMESPACES: dict[str, tuple[str, str, Severity]] = {
    "pid": (
        "PID",
        "it sees and signals every host process, and with SYS_PTRACE reads their memory",
        Severity.HIGH,
    ),
    "ipc": ("IPC", "it reaches the host's shared memory and semaphores", Severity.HIGH),
    "network": (
        "network",
        "it binds the host's interfaces and reaches every service listening on the host's loopback",
        Severity.HIGH,
    ),
    "userns": (
        "user",
        "it opts out of user-namespace remapping: root in the container is root on the host",
        Severity.HIGH,
    ),
    "uts": ("UTS", "it can rename the host", Severity.MEDIUM),
    "cgroup": ("cgroup", "it sees the host's whole cgroup tree", Severity.MEDIUM),
}


@rule(
    id="HG209",
    name="host-namespace-shared",
    pillar=2,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.10",
        "cis-docker:5.16",
        "cis-docker:5.17",
        "cis-docker:5.21",
        "cis-docker:5.31",
        "checkov:CKV_K8S_17",
        "checkov:CKV_K8S_18",
        "checkov:CKV_K8S_19",
        "kics:4f31dd9f-2cc3-4751-9b53-67e4af83dac0",
        "kics:baa3890f-bed7-46f5-ab8f-1da8fc91c729",
        "kics:071a71ff-f868-47a4-ac0b-3c59e4ab5443",
        "kics:8af7162d-6c98-482f-868e-0d33fb675ca8",
        "pss:baseline/hostNamespaces",
        "cwe:668",
    ),
    fix="remove the host namespace setting (`pid: host`, `network_mode: host`, `ipc: host`, "
    "`userns_mode: host`, `hostPID`, `hostNetwork`, `hostIPC`...)",
)
def host_namespace_shared(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container that joins one of the host's namespaces: PID, IPC, network, UTS, user
    (`userns_mode: host`, which turns the daemon's user-namespace remapping off for it) or
    cgroup.

    ## Why is this bad?
    Namespaces are what make a container a container. In the host's PID namespace it sees
    every host process and their command lines and environments, and with a little more
    privilege injects code into them; in the host's network namespace it reaches the
    services the host only exposes on loopback (the kubelet, cloud metadata proxies,
    databases); in the host's IPC namespace it reads shared memory; in the host's user
    namespace its root is the host's root.

    ## Example
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        pid: host
        network_mode: host
    ```
    ```sh
    docker run --pid=host --net=host monitoring/agent:2.1
    ```
    Use instead:
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        ports: ["127.0.0.1:9100:9100"]
    ```

    ## How to fix
    Remove the setting. Publish ports instead of sharing the host network; share a PID
    namespace with one other container (`pid: "service:app"`) instead of the host's when a
    sidecar must see a process.

    ## Notes
    UTS and cgroup namespaces are reported at medium severity: sharing them gives away
    little on its own. Kubernetes' `hostUsers: true` is not reported: it restates the default
    (pods share the host's user namespace unless `hostUsers: false`), whereas Docker's
    `userns_mode: host` opts a container out of the daemon's remapping. Sharing another
    container's namespace (`container:x`, `service:x`) is not reported.
    """
    for field, (label, reason, severity) in _NAMESPACES.items():
        mode: Located[str] | None = getattr(spec, field)
        if mode is None or mode.value.strip().lower() != "host":
            continue
        if field == "userns" and spec.kind == KUBERNETES:
            continue  # `hostUsers: true` restates Kubernetes' default
        yield ctx.finding(
            at=mode,
            message=f"{spec.name} shares the host's {label} namespace: {reason}",
            severity=severity,
            resource=spec.resource,
        )
