"""HG541: the host's runc has a known container escape."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host_escapes._escapes import escape_findings
from hullguard.sources.host_packages import Component


@rule(
    id="HG541",
    name="runc-container-escape",
    pillar=5,
    severity=Severity.CRITICAL,
    targets=(HOST,),
    references=("cis-docker:1.2.2", "cwe:1395"),
    fix="upgrade runc (the distribution's fixed package, or runc 1.2.8 / 1.3.3 or later)",
)
def runc_container_escape(host: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a host whose runc is affected by a known container escape: the /proc/self/exe
    overwrite (CVE-2019-5736), the mount symlink exchange (CVE-2021-30465), the leaked
    directory descriptor (CVE-2024-21626, "Leaky Vessels") and the 2025 mount races
    (CVE-2025-31133, CVE-2025-52565, CVE-2025-52881).

    ## Why is this bad?
    runc sets up every container of Docker, containerd, CRI-O and Podman, as root on the host.
    A bug in that setup lets a malicious image, or a process already inside a container, reach
    the host's filesystem or overwrite host binaries: one bad image compromises the node.

    ## Example
    ```text
    Engine API /version   Components: runc 1.1.11
    ```
    runc 1.1.11 is in the CVE-2024-21626 range (fixed in 1.1.12).

    ## How to fix
    Upgrade runc: on Debian the security update of the `runc` package; with Docker's own
    packages, `containerd.io`, which ships runc; elsewhere runc 1.2.8, 1.3.3 or later. Running
    containers keep the old runc only for `exec`, so restart them after the upgrade.

    ## Notes
    Versions come from the Engine API's component list and from the dpkg database. Debian
    package versions are compared with Debian's fixed versions (backports count); a
    distribution build judged only by its upstream version is reported at medium severity with
    a note that a backported fix cannot be ruled out.
    """
    yield from escape_findings(Component.RUNC, host, ctx, "runc")
