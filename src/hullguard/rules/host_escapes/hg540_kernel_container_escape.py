"""HG540: the host's kernel has a known container escape."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host_escapes._escapes import escape_findings
from hullguard.sources.host_packages import Component


@rule(
    id="HG540",
    name="kernel-container-escape",
    pillar=5,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cis-docker:1.2.1", "cwe:1395"),
    fix="install the distribution's fixed kernel and reboot into it",
)
def kernel_container_escape(host: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a host kernel whose version is affected by a known container escape: Dirty COW
    (CVE-2016-5195), Dirty Pipe (CVE-2022-0847), CVE-2022-0185, the cgroup v1 release_agent
    escape (CVE-2022-0492) and the nf_tables double free (CVE-2024-1086), from
    `data/container_escapes.toml`.

    ## Why is this bad?
    Containers share the host's kernel. A kernel bug reachable from inside a container turns
    any code execution in any container into root on the host, whatever the container's
    configuration: a compromised web application becomes a compromised node.

    ## Example
    ```text
    uname -r              5.10.0-11-amd64
    uname -v              #1 SMP Debian 5.10.92-1 (2022-01-18)
    /etc/os-release       VERSION_CODENAME=bullseye
    ```
    Debian bullseye fixed Dirty Pipe in `linux` 5.10.92-2: this kernel is affected.

    ## How to fix
    Install the distribution's kernel update and reboot into it (the running kernel is what
    counts, not the installed one); until then, keep untrusted workloads in a sandbox runtime
    (gVisor, Kata) and keep the default seccomp and AppArmor profiles, which block several of
    these escapes.

    ## Notes
    The running kernel is read from `uname` when auditing `/`, else the newest kernel installed
    under `--root`. With the Debian package version (from the dpkg database or the kernel's
    build string) the verdict takes Debian's backported fixes into account. With only a release
    string such as `6.1.0-18-amd64` (an ABI name that hides the stable sublevel) or a Red Hat
    kernel, the upstream version is compared and the finding, at medium severity, says that a
    backported fix cannot be ruled out.
    """
    yield from escape_findings(Component.KERNEL, host, ctx, "kernel")
