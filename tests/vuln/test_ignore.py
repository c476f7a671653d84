"""The ignore file: entries with id, package, reason and expiry; errors with file and line."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from hullguard.model import Severity
from hullguard.vuln.ignore import IgnoreList, load_ignore_file, parse_ignore_text
from hullguard.vuln.model import Advisory, Affected, Match, PackageRef

TODAY = dt.date(2026, 6, 1)


def found(vuln_id: str, aliases: tuple[str, ...] = (), package: str = "libssl3") -> Match:
    ref = PackageRef("Debian:12", "openssl", "3.0.8-1", package, "3.0.8-1", "/var/lib/dpkg/status")
    return Match(
        advisory=Advisory(vuln_id, "test", aliases=aliases),
        affected=Affected("Debian:12", "openssl"),
        package=ref,
        fixed_version=None,
        severity=Severity.HIGH,
        severity_source="unknown",
    )


def parse(text: str) -> IgnoreList:
    result = IgnoreList(".hullguardignore.yaml")
    parse_ignore_text(text, ".hullguardignore.yaml", TODAY, result)
    return result


def test_entries_match_by_id_alias_and_package() -> None:
    ignore = parse(
        """
- id: CVE-2023-0001
  reason: not reachable
- id: CVE-2023-0002
  package: openssl
  reason: accepted until the next base image
  expires: 2026-06-01
- id: CVE-2023-0003
  package: curl
  reason: only for curl
"""
    )
    assert ignore.errors == []
    assert ignore.ignoring(found("CVE-2023-0001")) is not None
    assert ignore.ignoring(found("DSA-1-1", aliases=("CVE-2023-0001",))) is not None
    entry = ignore.ignoring(found("CVE-2023-0002"))  # by source package, expiring today
    assert entry is not None and entry.line == 4 and entry.expires == dt.date(2026, 6, 1)
    assert ignore.ignoring(found("CVE-2023-0002", package="libssl-dev")) is not None
    assert ignore.ignoring(found("CVE-2023-0003")) is None  # another package
    assert ignore.ignoring(found("CVE-2023-9999")) is None


def test_an_ignore_file_that_is_a_fifo_or_a_folder_is_an_error_not_a_wait(tmp_path: Path) -> None:
    fifo = tmp_path / "accepted.yaml"
    os.mkfifo(fifo)
    (tmp_path / "folder.yaml").mkdir()
    for name, why in (("accepted.yaml", "not a regular file"), ("folder.yaml", "a folder")):
        ignore = load_ignore_file(tmp_path / name, name, TODAY)
        assert [(e.path, e.message) for e in ignore.errors] == [
            (name, f"cannot read the ignore file: {why}")
        ]
        assert ignore.entries == []


def test_ids_match_whatever_their_case() -> None:
    ignore = parse("- id: cve-2023-0001\n  reason: typed in lower case\n")
    assert ignore.ignoring(found("CVE-2023-0001")) is not None
    ignore = parse("- id: GHSA-XRJJ-MJ9H-534M\n  reason: copied from a title\n")
    assert ignore.ignoring(found("GO-2022-1144", aliases=("GHSA-xrjj-mj9h-534m",))) is not None
    assert ignore.ignoring(found("GO-2022-1145", aliases=("GHSA-xrjj-mj9h-5340",))) is None


def test_expired_entry_no_longer_ignores_and_is_reported() -> None:
    ignore = parse(
        """- id: CVE-2023-0001
  reason: accepted for the release
  expires: 2026-05-31
"""
    )
    assert ignore.ignoring(found("CVE-2023-0001")) is None
    (error,) = ignore.errors
    assert (error.path, error.line) == (".hullguardignore.yaml", 1)
    assert "expired on 2026-05-31" in error.message and "CVE-2023-0001" in error.message


def test_malformed_entries_are_errors_with_lines_and_the_rest_applies() -> None:
    ignore = parse(
        """- id: CVE-2023-0001
- id: CVE-2023-0002
  reason: fine
- reason: no id
- id: CVE-2023-0004
  reason: bad date
  expires: next week
- id: CVE-2023-0005
  reason: x
  colour: red
- just a string
"""
    )
    messages = {(e.line, e.message.split(":")[0]) for e in ignore.errors}
    assert [e.line for e in ignore.errors] == [1, 4, 7, 8, 11]
    assert "needs a `reason`" in ignore.errors[0].message
    assert "needs an `id`" in ignore.errors[1].message
    assert "YYYY-MM-DD" in ignore.errors[2].message
    assert "colour" in ignore.errors[3].message
    assert len(messages) == 5
    assert [e.id for e in ignore.entries] == ["CVE-2023-0002"]


def test_not_a_list_and_bad_yaml() -> None:
    assert "must be a YAML list" in parse("id: CVE-1\n").errors[0].message
    bad = parse("- id: [unclosed\n")
    assert bad.errors[0].line == 2  # where the parser found the sequence unclosed
    assert "invalid YAML" in bad.errors[0].message


def test_file_read_errors(tmp_path: Path) -> None:
    missing = load_ignore_file(tmp_path / "absent.yaml", "absent.yaml", TODAY)
    assert missing.errors[0].path == "absent.yaml" and "cannot read" in missing.errors[0].message
    path = tmp_path / "ignore.yaml"
    path.write_text("- id: CVE-2023-0001\n  reason: ok\n", encoding="utf-8")
    assert [e.id for e in load_ignore_file(path, "ignore.yaml", TODAY).entries] == ["CVE-2023-0001"]
