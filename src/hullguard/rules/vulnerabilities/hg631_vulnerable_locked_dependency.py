"""HG631: a dependency pinned in a lock file has a known vulnerability."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import VULNERABILITIES, Context, rule
from hullguard.rules.vulnerabilities._findings import vulnerability_findings
from hullguard.vuln.scan import Subject, VulnerablePackages


@rule(
    id="HG631",
    name="vulnerable-locked-dependency",
    pillar=6,
    severity=Severity.MEDIUM,
    targets=(VULNERABILITIES,),
    references=("trivy:vulnerability", "grype:vulnerability", "cwe:1395"),
    fix="upgrade the dependency to its fixed version and regenerate the lock file",
)
def vulnerable_locked_dependency(packages: VulnerablePackages, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags each dependency that a lock file of the scanned tree pins to a version a known
    vulnerability affects: `requirements*.txt`, `poetry.lock`, `package-lock.json` (lock file
    versions 1 to 3), and `go.sum` (or `go.mod` where there is no go.sum). One finding per
    vulnerability and dependency, at the line that pins it.

    ## Why is this bad?
    The lock file is what the image build installs: a vulnerable pin ends up in every image
    built from the tree, and the pipeline is the cheapest place to catch it, before it ships.

    ## Example
    ```text
    # requirements.txt
    jinja2==2.11.2
    ```
    Jinja2 2.11.2 is affected by PYSEC-2021-66 (CVE-2020-28493), fixed in 2.11.3.

    ## How to fix
    Raise the pin to the fixed version (or later), regenerate the lock file with the project's
    tool (`pip-compile`, `poetry lock`, `npm install`, `go get module@version && go mod tidy`)
    and rebuild.

    ## Notes
    Only exact pins are matched: a requirements line such as `flask>=2` or a bare `flask`
    does not say which version is installed, so it is not matched (pin with `==`, or scan the
    built image, whose installed packages HG630 judges). In go.sum the highest version of each
    module whose source is listed is the one matched (the one the build selects); modules
    listed only for their go.mod are not built. Needs the vulnerability database; severities
    as HG630 gives them (unknown ones are reported as medium and say so).
    """
    yield from vulnerability_findings(packages, Subject.LOCK_FILE, ctx)
