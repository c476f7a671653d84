"""HG542: the host's containerd has a known container escape."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host_escapes._escapes import escape_findings
from hullguard.sources.host_packages import Component


@rule(
    id="HG542",
    name="containerd-container-escape",
    pillar=5,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cis-docker:1.2.2", "cwe:1395"),
    fix="upgrade containerd to the distribution's fixed package or a fixed upstream release",
)
def containerd_container_escape(host: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a host whose containerd is affected by a known container escape: the containerd-shim
    abstract socket reachable from host-network containers (CVE-2020-15257) and the CRI image
    volume path traversal that reads host files (CVE-2022-23648).

    ## Why is this bad?
    containerd runs every container of Docker and most Kubernetes nodes as root. Its escapes
    hand a container the shim's API (and so root on the host) or any file of the host,
    Kubernetes secrets included.

    ## Example
    ```text
    /var/lib/dpkg/status  Package: containerd  Version: 1.4.5~ds1-2
    /etc/os-release       VERSION_CODENAME=bullseye
    ```
    Debian bullseye fixed CVE-2022-23648 in containerd 1.4.13~ds1-1~deb11u1.

    ## How to fix
    Install the distribution's containerd update (or Docker's `containerd.io`, or a fixed
    upstream release) and restart containerd; containers started by the old shim keep it until
    they are restarted.

    ## Notes
    Debian buster's `docker.io` carries its own containerd; its fixed version is compared
    there. Verdicts from upstream versions of distribution builds are marked uncertain.
    """
    yield from escape_findings(Component.CONTAINERD, host, ctx, "containerd")
