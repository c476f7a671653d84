"""Live: the debootstrapped Debian bookworm image scanned end to end for vulnerabilities.

`hullguard image oci:...` runs as a command against a database holding the real Debian OVAL
data for bookworm (../shared/data/vuln/debian-oval-2023, July 2023). The image's packages are
newer than that data, so most fixed entries are below them; the findings must be exactly the
OVAL entries whose source package is installed and whose fixed version, if any, is above the
installed source version, as `dpkg --compare-versions` (the oracle, run here for every pair)
says. Hand-checked cases: apt's CVE-2011-3374 and coreutils' CVE-2016-2781 have no fix for
bookworm in that data and are reported; bash's CVE-2022-3715 is fixed in 5.2-1, below
bookworm's bash 5.2.15, and is not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hullguard.vuln.importers import import_paths
from hullguard.vuln.model import FIXED
from hullguard.vuln.store import DatabaseWriter, VulnDB
from tests.conftest import shared_path
from tests.live import images
from tests.live.conftest import unavailable
from tests.live.conftest_images import debian_image, debian_rootfs

__all__ = ["debian_image", "debian_rootfs"]  # the fixtures this module uses

pytestmark = pytest.mark.live

QUERY = "${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Status}\n"


@pytest.fixture(scope="module")
def oval_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    oval = shared_path("data", "vuln", "debian-oval-2023", "oval-definitions-bookworm.xml.bz2")
    path = tmp_path_factory.mktemp("oval") / "vuln.db"
    with DatabaseWriter(path, fresh=True) as writer:
        summary = import_paths(writer, [oval])
        writer.commit()
    assert set(summary.records) == {"debian-oval:Debian:12"}
    assert summary.records["debian-oval:Debian:12"] > 20000
    return path


@pytest.fixture(scope="module")
def installed(debian_rootfs: images.DebianRootfs) -> dict[str, tuple[str, str, str]]:
    """binary package -> (version, source package, source version), as dpkg-query lists them."""
    try:
        out = subprocess.run(
            ["dpkg-query", f"--admindir={debian_rootfs.admindir}", "-W", "-f", QUERY],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        unavailable(f"dpkg-query cannot list the image's packages: {exc}")
    packages = {}
    for line in out.splitlines():
        name, version, source, source_version, status = line.split("\t")
        if status.endswith(" installed"):
            packages[name] = (version, source or name, source_version or version)
    assert "apt" in packages and "coreutils" in packages and "bash" in packages
    return packages


@pytest.fixture(scope="module")
def report(
    debian_image: images.DebianImage, oval_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    if debian_image.oci_ref is None:
        unavailable(f"no OCI layout of the Debian image: {debian_image.oci_missing}")
    out = tmp_path_factory.mktemp("report") / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "hullguard", "image", debian_image.oci_ref, "--db", str(oval_db),
         "--format", "json", "--output", str(out), "--select", "HG630", "--fail-on", "high"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path_factory.mktemp("cwd"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # every finding is medium: no score in OVAL data
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _findings(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for finding in report["findings"]:
        assert finding["rule_id"] == "HG630"
        vuln = finding["vulnerability"]
        key = (vuln["id"], vuln["package"])
        assert key not in found, f"{key} reported twice"
        found[key] = finding
    return found


def test_scan_has_no_errors_and_real_findings(report: dict[str, Any]) -> None:
    assert report["errors"] == []
    findings = _findings(report)
    assert len(findings) > 20
    apt = findings[("CVE-2011-3374", "apt")]
    assert apt["severity"] == "medium"
    assert apt["location"]["path"] == "/var/lib/dpkg/status"
    assert apt["location"]["logical"].endswith(":/var/lib/dpkg/status (layer 1)")
    assert "CVE-2011-3374 in apt " in apt["message"] and "-> no fix yet" in apt["message"]
    assert "severity unknown" in apt["message"]
    assert apt["vulnerability"]["fixed_version"] is None
    assert apt["vulnerability"]["ecosystem"] == "Debian:12"
    assert apt["vulnerability"]["severity_source"] == "unknown"
    # one finding per binary package of the source: libapt-pkg6.0 is built from apt too
    assert ("CVE-2011-3374", "libapt-pkg6.0") in findings
    assert ("CVE-2016-2781", "coreutils") in findings
    assert not [key for key in findings if key[1] == "bash" and key[0] == "CVE-2022-3715"]


def _dpkg_less(left: str, right: str) -> bool:
    done = subprocess.run(["dpkg", "--compare-versions", left, "lt", right], timeout=30)
    return done.returncode == 0


def test_findings_are_exactly_what_dpkg_says(
    report: dict[str, Any],
    installed: dict[str, tuple[str, str, str]],
    oval_db: Path,
) -> None:
    """Every (OVAL entry, installed package) pair: reported if and only if the entry has no
    fix or `dpkg --compare-versions SOURCE_VERSION lt FIXED`."""
    findings = _findings(report)
    sources = {source for _, source, _ in installed.values()}
    with VulnDB.open(oval_db) as db:
        entries = db.lookup("Debian:12", sources)
    expected: set[tuple[str, str]] = set()
    verdicts: dict[tuple[str, str], bool] = {}
    for binary, (version, source, source_version) in installed.items():
        for advisory, affected in entries.get(source, []):
            fixes = [e.version for r in affected.ranges for e in r.events if e.kind == FIXED]
            assert len(fixes) <= 1, advisory.id
            if fixes:
                pair = (source_version, fixes[0])
                if pair not in verdicts:
                    verdicts[pair] = _dpkg_less(*pair)
                vulnerable = verdicts[pair]
            else:
                vulnerable = True
            if vulnerable:
                expected.add((advisory.id, binary))
            fixed = fixes[0] if fixes else None
            key = (advisory.id, binary)
            if key in findings:
                assert findings[key]["vulnerability"]["fixed_version"] == fixed
                assert findings[key]["vulnerability"]["installed_version"] == version
    assert verdicts, "no OVAL entry with a fix for any installed package: nothing was compared"
    assert any(not v for v in verdicts.values())  # fixed entries below the installed versions
    assert set(findings) == expected


def test_the_same_tree_as_a_host_root_gives_the_same_vulnerabilities(
    report: dict[str, Any],
    debian_rootfs: images.DebianRootfs,
    oval_db: Path,
    tmp_path: Path,
) -> None:
    """`hullguard host --root` over the image's root filesystem: HG530 reports what HG630
    reported for the image, located at the host's package database."""
    out = tmp_path / "host.json"
    done = subprocess.run(
        [sys.executable, "-m", "hullguard", "host", "--root", str(debian_rootfs.rootfs),
         "--docker-host", f"unix://{tmp_path}/no-daemon.sock", "--db", str(oval_db),
         "--select", "HG530", "--format", "json", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # the daemon is an unreadable target here
    host = json.loads(out.read_text(encoding="utf-8"))
    assert [e["path"] for e in host["errors"]] == [f"unix://{tmp_path}/no-daemon.sock"]
    found = {(f["vulnerability"]["id"], f["vulnerability"]["package"]) for f in host["findings"]}
    assert found == set(_findings(report))
    assert {f["rule_id"] for f in host["findings"]} == {"HG530"}
    assert {f["location"]["logical"] for f in host["findings"]} == {"host:/var/lib/dpkg/status"}
