"""What the vulnerability rules share: one finding per vulnerability and package."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding
from hullguard.registry import Context
from hullguard.vuln.scan import Subject, Vulnerability, VulnerablePackages
from hullguard.vuln.severity import UNKNOWN_SOURCE


def vulnerability_findings(
    packages: VulnerablePackages, subject: Subject, ctx: Context
) -> Iterator[Finding]:
    """The findings for the vulnerabilities of `packages` when it is of `subject`."""
    if packages.subject is not subject:
        return
    for vulnerability in packages.vulnerabilities:
        found = vulnerability.match
        ref = found.package
        yield ctx.finding(
            at=vulnerability.location,
            message=message(vulnerability),
            severity=found.severity,
            fix=fix(vulnerability),
            resource=f"{ref.display_name}@{ref.display_version}",
            vulnerability=found.to_dict(),
        )


def message(vulnerability: Vulnerability) -> str:
    """`CVE-2023-4911 in libc6 2.36-9 -> 2.36-9+deb12u3 (source package glibc); CVSS 3.1
    7.8`; for images the location names the layer that brought the package in."""
    found = vulnerability.match
    ref = found.package
    text = (
        f"{found.advisory.id} in {ref.display_name} {ref.display_version} -> "
        f"{found.fixed_version or 'no fix yet'}"
    )
    if ref.name != ref.display_name and ref.ecosystem.startswith(("Debian", "Ubuntu", "Alpine")):
        text += f" (source package {ref.name})"
    if found.cvss:
        text += f"; CVSS {found.cvss['version']} {found.cvss['score']}"
    elif found.severity_source == UNKNOWN_SOURCE:
        text += f"; severity unknown (no CVSS vector or rating), reported as {found.severity.value}"
    else:
        text += f"; rated {found.severity_source.removeprefix('source:')} by the source"
    summary = " ".join(found.advisory.summary.split())
    if summary and found.advisory.id not in summary:  # OVAL titles only repeat id and package
        text += f": {summary[:120]}{'…' if len(summary) > 120 else ''}"
    return text


def fix(vulnerability: Vulnerability) -> str:
    found = vulnerability.match
    ref = found.package
    if found.fixed_version is None:
        return (
            f"no fixed version of {ref.name} yet: watch the advisory, remove the package if it "
            "is not needed, or accept the risk in the ignore file with a reason and an expiry"
        )
    if ref.name != ref.display_name and ref.ecosystem.startswith(("Debian", "Ubuntu", "Alpine")):
        return (
            f"upgrade {ref.display_name} to the build of source package {ref.name} "
            f"{found.fixed_version} or later"
        )
    return f"upgrade {ref.display_name} to {found.fixed_version} or later"
