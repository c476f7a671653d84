"""Reports for the html, markdown, junit and gitlab renderer tests: real scans of the rule
fixtures, a finding whose text is hostile (markup, quotes, Markdown, control characters), image
vulnerability findings, and a large generated report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hullguard.config import Config
from hullguard.engine import ScanRequest, scan
from hullguard.model import Finding, Location, Pillar, Report, Severity, Target
from tests.render.reports import sample_report

FIXTURES = Path(__file__).resolve().parents[1] / "rules" / "fixtures"

HOSTILE_MESSAGE = (
    "service `x` runs <script>window.__xss = 1</script> "
    '<img src=x onerror="window.__xss = 2"> with "double" and \'single\' quotes, '
    "a | pipe, *stars*, _under_, [a link](javascript:alert(1)), @everyone & #1"
)
HOSTILE_PATH = "evil/<b>\"quoted\"&'single'.yaml"
HOSTILE_FINDING = Finding(
    rule_id="HG201",
    rule_name="privileged-container",
    pillar=2,
    severity=Severity.CRITICAL,
    message=HOSTILE_MESSAGE,
    target_kind="compose",
    location=Location(path=HOSTILE_PATH, line=7, column=5),
    resource="services.x",
    fix="remove `privileged: true`",
    references=("cis-docker:5.5",),
    snippet='    privileged: "</pre><script>window.__xss = 3</script>"\x01\x1b[31m',
    fingerprint="badc0ffee0000001",
)


def _vulnerability(
    vuln_id: str,
    package: str,
    installed: str,
    fixed: str | None,
    score: float,
    references: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "id": vuln_id,
        "aliases": [f"GHSA-{vuln_id[-4:]}-aaaa-bbbb"],
        "package": package,
        "source_package": package,
        "ecosystem": "Debian:12",
        "installed_version": installed,
        "fixed_version": fixed,
        "cvss": {
            "version": "3.1",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "score": score,
        },
        "severity_source": "cvss:3.1",
        "summary": f'{package}: a flaw in <parsing> & "quoting" ({vuln_id})',
        "references": list(references),
        "purl": f"pkg:deb/debian/{package}@{installed}?distro=debian-12",
        "path": "var/lib/dpkg/status",
        "layer": 0,
    }


def _vuln_finding(severity: Severity, vulnerability: dict[str, Any], fingerprint: str) -> Finding:
    return Finding(
        rule_id="HG630",
        rule_name="vulnerable-package",
        pillar=6,
        severity=severity,
        message=f"{vulnerability['package']} {vulnerability['installed_version']} is affected "
        f"by {vulnerability['id']}",
        target_kind="image",
        location=Location(logical=f"image/app:1.0:{vulnerability['path']}"),
        fix="upgrade the package",
        fingerprint=fingerprint,
        vulnerability=vulnerability,
    )


VULN_FINDINGS = (
    _vuln_finding(
        Severity.CRITICAL,
        _vulnerability(
            "CVE-2024-0001",
            "openssl",
            "3.0.11-1~deb12u1",
            "3.0.13-1~deb12u1",
            9.8,
            ("https://security-tracker.debian.org/tracker/CVE-2024-0001", "javascript:alert(1)"),
        ),
        "v0000000000000001",
    ),
    _vuln_finding(
        Severity.HIGH,
        _vulnerability("CVE-2024-0002", "openssl", "3.0.11-1~deb12u1", "3.0.14-1~deb12u1", 7.5),
        "v0000000000000002",
    ),
    _vuln_finding(
        Severity.MEDIUM,
        _vulnerability("CVE-2023-0003", "zlib1g", "1:1.2.13.dfsg-1", None, 5.3),
        "v0000000000000003",
    ),
)


def fixture_scan(*rule_dirs: str, config: Config | None = None) -> Report:
    """A real scan of some rule fixture folders, with paths relative to the fixtures."""
    paths = tuple(str(FIXTURES / d) for d in rule_dirs)
    report = scan(ScanRequest(paths=paths, config=config or Config()))
    prefix = str(FIXTURES) + "/"

    def short(path: str | None) -> str | None:
        return path[len(prefix) :] if path and path.startswith(prefix) else path

    return replace(
        report,
        targets=tuple(replace(t, path=short(t.path) or t.path) for t in report.targets),
        findings=tuple(
            replace(f, location=replace(f.location, path=short(f.location.path)))
            for f in report.findings
        ),
        errors=tuple(replace(e, path=short(e.path)) for e in report.errors),
    )


def mixed_report() -> Report:
    """A real scan, the hand-built sample, a hostile finding and image vulnerabilities."""
    scanned = fixture_scan("HG101", "HG201", "HG410")
    sample = sample_report()
    return Report(
        version=scanned.version,
        targets=(
            *scanned.targets,
            *sample.targets,
            Target(kind="compose", path=HOSTILE_PATH),
            Target(kind="image", path="app:1.0"),
        ),
        findings=(*scanned.findings, *sample.findings, HOSTILE_FINDING, *VULN_FINDINGS),
        errors=(*scanned.errors, *sample.errors),
        suppressed=sample.suppressed,
        baselined=sample.baselined,
    )


def large_report(count: int) -> Report:
    """`count` findings spread over every pillar, severity, 40 rules and 200 files."""
    severities = list(Severity)
    findings = []
    for i in range(count):
        pillar = Pillar(i % 6 + 1)
        rule_number = i % 40
        findings.append(
            Finding(
                rule_id=f"HG{int(pillar)}{rule_number:02d}",
                rule_name=f"generated-rule-{rule_number}",
                pillar=int(pillar),
                severity=severities[i % len(severities)],
                message=f"finding number {i} <{i}>",
                target_kind="dockerfile",
                location=Location(path=f"svc{i % 200}/Dockerfile", line=i % 97 + 1),
                snippet=f"RUN step {i}",
                fingerprint=f"{i:032x}",
            )
        )
    targets = tuple(Target(kind="dockerfile", path=f"svc{n}/Dockerfile") for n in range(200))
    return Report(version="0.1.0", targets=targets, findings=tuple(findings))
