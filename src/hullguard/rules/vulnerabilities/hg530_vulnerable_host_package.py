"""HG530: a package installed on the host has a known vulnerability."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import VULNERABILITIES, Context, rule
from hullguard.rules.vulnerabilities._findings import vulnerability_findings
from hullguard.vuln.scan import Subject, VulnerablePackages


@rule(
    id="HG530",
    name="vulnerable-host-package",
    pillar=5,
    severity=Severity.MEDIUM,
    targets=(VULNERABILITIES,),
    references=("cis-docker:1.2.1", "trivy:vulnerability", "grype:vulnerability", "cwe:1395"),
    fix="apply the distribution's security updates to the host (apt-get upgrade, apk upgrade)",
)
def vulnerable_host_package(packages: VulnerablePackages, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each package installed on the audited host (`hullguard host`, the root filesystem
    under `--root`) that a known vulnerability of the local database affects: the whole dpkg
    status database (Debian and Ubuntu, matched by source package) or the apk installed
    database (Alpine, by origin). One finding per vulnerability and package.

    ## Why is this bad?
    Every container shares the host's kernel and runs next to its services: a vulnerable
    library, daemon or tool on the host is a step from a container breakout to the whole
    node, and from one node to the cluster. Keeping hosts patched is the fifth pillar.

    ## Example
    ```text
    $ hullguard host --root /
    /var/lib/dpkg/status
      MEDIUM  HG530 vulnerable-host-package  /var/lib/dpkg/status (host:/var/lib/dpkg/status)
        CVE-2023-4911 in libc6 2.36-9 -> 2.36-9+deb12u3 (source package glibc); severity
        unknown (no CVSS vector or rating), reported as medium
    ```

    ## How to fix
    Apply the distribution's security updates (`apt-get update && apt-get upgrade`,
    `apk upgrade`), enable unattended security upgrades, and restart the services (or
    reboot, for the kernel and the C library) that still run the old code.

    ## Notes
    Needs the vulnerability database; without one an error entry says so and the rest of the
    audit goes on. The rpm database is read, but no rpm distribution data is imported, so rpm
    packages are not matched yet. Python, Node and Go packages installed on the host outside
    the package manager are not inventoried here (scan their lock files, or the images). HG540
    to HG543 judge the kernel, runc, containerd and the engine against known container escapes
    by version; this rule covers every other package. Severities as HG630 gives them (unknown
    ones are reported as medium and say so).
    """
    yield from vulnerability_findings(packages, Subject.HOST, ctx)
