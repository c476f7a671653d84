"""HG630: a package of a built image has a known vulnerability."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import VULNERABILITIES, Context, rule
from hullguard.rules.vulnerabilities._findings import vulnerability_findings
from hullguard.vuln.scan import Subject, VulnerablePackages


@rule(
    id="HG630",
    name="vulnerable-image-package",
    pillar=6,
    severity=Severity.MEDIUM,
    targets=(VULNERABILITIES,),
    references=("trivy:vulnerability", "grype:vulnerability", "cis-docker:4.4", "cwe:1395"),
    fix="rebuild the image on an updated base and upgrade the package to its fixed version",
)
def vulnerable_image_package(packages: VulnerablePackages, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each package installed in an image (Debian and Ubuntu packages by their source
    package, Alpine packages by their origin, Python, Node and Go packages) that a known
    vulnerability of the local database affects: one finding per vulnerability and package,
    with the advisory id and its aliases, the installed and the fixed version, and the layer
    and Dockerfile instruction that brought the package in.

    ## Why is this bad?
    A known vulnerability comes with a public description and often a public exploit. Whoever
    reaches the container, or feeds it input, can use it; an image is copied to every node
    that runs it, so the flaw is everywhere at once.

    ## Example
    ```text
    $ hullguard image oci:build/app:1.0
    /var/lib/dpkg/status
      CRITICAL  HG630 vulnerable-image-package  /var/lib/dpkg/status
      (image/oci:build/app:1.0:/var/lib/dpkg/status (layer 2, `RUN apt-get install -y curl`))
        CVE-2023-38545 in curl 7.88.1-10 -> 7.88.1-10+deb12u4; CVSS 3.1 9.8
    ```

    ## How to fix
    Rebuild the image on the newest base image of its release, with the distribution's
    updates applied (`apt-get upgrade`, `apk upgrade`), and upgrade the language packages to
    the fixed versions. Rebuild regularly: a fix helps only in images built after it.

    ## Notes
    Needs the vulnerability database (`hullguard db update` or `hullguard db import`); without
    one an error entry says so and the rest of the audit goes on. The severity of each finding
    is the vulnerability's: from its CVSS vector (v4, else v3, else v2), else from the
    source's rating (Debian's urgency, the GitHub advisory's level); a vulnerability with
    neither is reported as medium and its message says the severity is unknown, because an
    unscored flaw is not a harmless one. `--ignore-unfixed`, `--severity` and the ignore file
    (`.hullguardignore.yaml`) narrow what is reported. The layer of a Debian package is the one
    that wrote its file list (`/var/lib/dpkg/info/NAME.list`); other packages are placed by
    their database, metadata folder or binary.
    """
    yield from vulnerability_findings(packages, Subject.IMAGE, ctx)
