"""Importers: real records of the shared data checked by hand, and malformed inputs.

The expectations below were read from the files themselves:
- pypa-advisory-database/vulns/jinja2/PYSEC-2014-8.yaml, py/PYSEC-2022-42969.yaml,
  redis/PYSEC-2023-73.yaml (withdrawn);
- golang-vulndb/data/osv/GO-2020-0001.json (gin), GO-2022-0617.json (withdrawn);
- alpine-secdb/alpine/v3.19/main.json (openssl, xen), v3.8/main.json (db: only version "0");
- debian-oval-2023/oval-definitions-bookworm.xml.bz2 (tar CVE-2005-2541 "earlier than 0",
  glibc CVE-1999-0199, openssh CVE-2000-0992, thunderbird DSA-5423-1), and the bullseye file's
  three flatpak definitions whose test names no package ("None is earlier than ...").
"""

from __future__ import annotations

import bz2
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hullguard.vuln.importers import (
    ImportSummary,
    Problem,
    detect_format,
    import_paths,
    read_batches,
)
from hullguard.vuln.importers.alpine import parse_entry
from hullguard.vuln.model import Advisory, Affected, Event, Range
from hullguard.vuln.store import DatabaseWriter, VulnDB
from tests.conftest import shared_path


def ids(found: dict[str, list[tuple[Advisory, Affected]]], name: str) -> set[str]:
    return {a.id for a, _ in found.get(name, [])}


def one(db: VulnDB, ecosystem: str, name: str, advisory_id: str) -> tuple[Advisory, Affected]:
    hits = [(a, f) for a, f in db.lookup(ecosystem, [name]).get(name, []) if a.id == advisory_id]
    assert len(hits) == 1, f"{advisory_id} for {ecosystem}/{name}: {len(hits)} entries"
    return hits[0]


def eco(*events: tuple[str, str]) -> Range:
    return Range("ECOSYSTEM", tuple(Event(k, v) for k, v in events))


# --- the shared data, imported once -------------------------------------------------------------


def test_every_shared_set_imports(shared_vuln_import: tuple[Path, ImportSummary]) -> None:
    db_path, summary = shared_vuln_import
    assert summary.unreadable == []
    with VulnDB.open(db_path) as db:
        status = db.status()
        ecosystems = set(db.ecosystems())
    records = {s.name: s.records for s in status.sources}
    assert records["osv:PyPI"] == 2661  # every advisory of the PyPA set (README: 2,661)
    assert records["osv:Go"] == 4291  # every record of the Go set (README: 4,291)
    assert {"PyPI", "Go", "Debian:12", "Debian:11", "Alpine:v3.2", "Alpine:edge"} <= ecosystems
    assert {f"Alpine:v3.{n}" for n in range(2, 22)} <= ecosystems
    assert records["debian-oval:Debian:11"] > 24000


def test_every_bookworm_cve_is_stored(shared_vuln_db: Path) -> None:
    """Counted apart from the importer: every CVE id the bookworm file references is one
    advisory of the Debian:12 feed, and nothing else but the few DSAs without a CVE is."""
    source = shared_path("data", "vuln", "debian-oval-2023", "oval-definitions-bookworm.xml.bz2")
    with bz2.open(source) as f:
        text = f.read().decode()
    expected = set(re.findall(r'ref_id="(CVE-\d+-\d+)"', text))
    assert len(expected) == 24110
    with sqlite3.connect(f"file:{shared_vuln_db}?mode=ro", uri=True) as raw:
        stored = {
            row[0]
            for row in raw.execute(
                "SELECT a.id FROM advisories a JOIN sources s ON s.id = a.feed"
                " WHERE s.name = 'debian-oval:Debian:12'"
            )
        }
    raw.close()
    assert {i for i in stored if i.startswith("CVE-")} == expected
    assert all(i.startswith("DSA-") for i in stored - expected)


def test_shared_data_problems_are_the_real_bad_records(
    shared_vuln_import: tuple[Path, ImportSummary],
) -> None:
    _, summary = shared_vuln_import
    text = [str(p) for p in summary.problems]
    flatpak = [t for t in text if "oval-definitions-bullseye.xml.bz2#" in t]
    assert len(flatpak) == 3
    assert all("flatpak" in t and "names no dpkginfo object" in t for t in flatpak)
    assert any(t.endswith("no advisory id in 'CVE-46838'") for t in text)  # a typo in secdb
    assert len(text) == 7  # 4 x CVE-46838 (edge, v3.19, v3.20, v3.21) + 3 x flatpak
    assert summary.not_affected > 300  # every "0" entry of the secdb files


def test_pypi_records(shared_vuln_db: Path) -> None:
    with VulnDB.open(shared_vuln_db) as db:
        record, affected = one(db, "PyPI", "jinja2", "PYSEC-2014-8")
        assert record.source == "osv:PyPI"
        assert record.aliases == ("CVE-2014-1402", "GHSA-8r7q-cvjq-x353")
        assert record.modified == "2021-07-05T00:01:22.043149Z"
        assert record.published == "2014-05-19T14:55:00Z"
        assert record.details.startswith("The default configuration for bccache.")
        assert affected.ranges == (eco(("introduced", "0"), ("fixed", "2.7.2")),)
        assert affected.versions[:3] == ("2.0", "2.0rc1", "2.1")  # YAML "2.0" stays text
        assert affected.versions[-1] == "2.7.1"
        _, py = one(db, "PyPI", "py", "PYSEC-2022-42969")
        assert py.ranges == (eco(("introduced", "0"), ("last_affected", "1.11.0")),)
        # redis has three records; PYSEC-2023-73 is withdrawn: stored, never returned
        assert ids(db.lookup("PyPI", ["redis"]), "redis") == {"PYSEC-2023-45", "PYSEC-2023-46"}
    with sqlite3.connect(f"file:{shared_vuln_db}?mode=ro", uri=True) as raw:
        [(withdrawn,)] = raw.execute("SELECT withdrawn FROM advisories WHERE id = 'PYSEC-2023-73'")
    raw.close()
    assert withdrawn == "2023-06-06T10:37:00Z"


def test_go_records(shared_vuln_db: Path) -> None:
    with VulnDB.open(shared_vuln_db) as db:
        record, affected = one(db, "Go", "github.com/gin-gonic/gin", "GO-2020-0001")
        assert record.aliases == ("CVE-2020-36567", "GHSA-6vm3-jj99-7229")
        assert affected.ranges == (
            Range("SEMVER", (Event("introduced", "0"), Event("fixed", "1.6.0"))),
        )
        kubernetes = db.lookup("Go", ["k8s.io/kubernetes"])
        assert "GO-2022-0617" not in ids(kubernetes, "k8s.io/kubernetes")  # withdrawn
        assert db.lookup("Go", ["GitHub.com/gin-gonic/gin"]) == {}  # Go names are exact


def test_alpine_records(shared_vuln_db: Path) -> None:
    with VulnDB.open(shared_vuln_db) as db:
        record, affected = one(db, "Alpine:v3.19", "openssl", "CVE-2023-5363")
        assert record.source == "alpine-secdb"
        assert affected.ranges == (eco(("introduced", "0"), ("fixed", "3.1.4-r0")),)
        xen, xen_affected = one(db, "Alpine:v3.19", "xen", "CVE-2016-9932")
        assert xen.aliases == ("XSA-200",)
        assert xen_affected.ranges == (eco(("introduced", "0"), ("fixed", "4.7.1-r3")),)
        # v3.8 lists CVE-2016-0682 for `db` only under version "0": not affected there, so
        # nothing is stored that could make any version of db vulnerable
        assert "CVE-2016-0682" not in ids(db.lookup("Alpine:v3.8", ["db"]), "db")
        assert db.lookup("Alpine:v3.8", ["db"]) == {}
        # the same CVE for openssl on another branch is its own entry
        assert one(db, "Alpine:v3.18", "openssl", "CVE-2023-5363")[1].ranges[0].events[0] == (
            Event("introduced", "0")
        )


def test_debian_records(shared_vuln_db: Path) -> None:
    with VulnDB.open(shared_vuln_db) as db:
        tar, tar_affected = one(db, "Debian:12", "tar", "CVE-2005-2541")
        assert tar.source == "debian-oval"
        assert tar_affected.ranges == (eco(("introduced", "0")),)  # not fixed yet: open end
        assert tar.summary == "CVE-2005-2541 tar"
        for cve, package in (("CVE-2011-3374", "apt"), ("CVE-2022-0563", "util-linux")):
            assert one(db, "Debian:12", package, cve)[1].ranges == (eco(("introduced", "0")),)
        # not affected in Debian's tracker: no definition, so nothing stored
        assert "CVE-2021-44228" in ids(db.lookup("Debian:12", ["apache-log4j2"]), "apache-log4j2")
        assert "CVE-2021-44228" not in ids(
            db.lookup("Debian:12", ["apache-log4j1.2"]), "apache-log4j1.2"
        )
        assert tar.details.startswith("Tar 1.15.1 does not properly warn")
        _, glibc = one(db, "Debian:12", "glibc", "CVE-1999-0199")
        assert glibc.ranges == (eco(("introduced", "0"), ("fixed", "2.2-1")),)  # 0: dropped
        _, openssh = one(db, "Debian:12", "openssh", "CVE-2000-0992")
        assert openssh.ranges == (eco(("introduced", "0"), ("fixed", "1:3.9p1-1")),)
        thunderbird, tb = one(db, "Debian:12", "thunderbird", "CVE-2023-34414")
        assert "DSA-5423-1" in thunderbird.aliases
        assert eco(("introduced", "0"), ("fixed", "1:102.12.0-1~deb12u1")) in tb.ranges
        assert "CVE-2005-2541" in ids(db.lookup("Debian:11", ["tar"]), "tar")
        assert db.lookup("Debian:12", ["TAR"]) == {}  # names are stored lower-case


# --- small inputs --------------------------------------------------------------------------------


def import_into(tmp_path: Path, *paths: Path) -> tuple[ImportSummary, VulnDB]:
    db_path = tmp_path / "vuln.db"
    with DatabaseWriter(db_path) as writer:
        summary = import_paths(writer, paths)
        writer.commit()
    return summary, VulnDB.open(db_path)


RECORD = {
    "id": "GHSA-xxxx-yyyy-zzzz",
    "modified": "2024-05-01T00:00:00Z",
    "aliases": ["CVE-2024-9999"],
    "database_specific": {"severity": "HIGH"},
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Some_Package.Name", "purl": "pkg:pypi/x"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}]}],
            "database_specific": {"last_known_affected_version_range": "<= 1.4.2"},
        },
        {
            "package": {"ecosystem": "crates.io", "name": "Tokio"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}],
            "ecosystem_specific": {"severity": "Moderate"},
        },
    ],
}


def test_osv_fields_names_and_ratings(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(RECORD))
    summary, db = import_into(tmp_path, tmp_path / "r.json")
    with db:
        record, pypi = one(db, "PyPI", "some-package-name", "GHSA-xxxx-yyyy-zzzz")
        _, crate = one(db, "crates.io", "tokio", "GHSA-xxxx-yyyy-zzzz")
    assert summary.problems == []
    assert pypi.last_known_affected == "<= 1.4.2" and pypi.rating == "high"
    assert crate.rating == "moderate"
    assert record.severity[0].type == "CVSS_V3" and record.aliases == ("CVE-2024-9999",)
    assert record.source == "osv:PyPI"


def test_yaml_with_unquoted_times(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: PYSEC-0000-1\nmodified: 2024-05-01T10:20:30Z\npublished: 2024-05-01\n"
        "affected:\n- package: {ecosystem: PyPI, name: demo}\n  versions: ['1.0', 2]\n"
    )
    summary, db = import_into(tmp_path, tmp_path / "r.yaml")
    with db:
        record, affected = one(db, "PyPI", "demo", "PYSEC-0000-1")
    assert summary.problems == []
    assert record.modified == "2024-05-01T10:20:30Z"
    assert record.published == "2024-05-01T00:00:00Z"
    assert affected.versions == ("1.0", "2")


BAD_FILES: dict[str, tuple[str, str]] = {
    "bad.json": ('{"id": "OSV-BAD-1", "affected": [', "#OSV-BAD-1: not valid JSON at line 1"),
    "list.yaml": ("- a\n- b\n", "bad-osv/list.yaml: an OSV record is a mapping with an `id`"),
    "broken.yaml": (
        "id: OSV-BAD-2\naffected: [\n  {package: \n",
        "#OSV-BAD-2: not valid YAML at line",
    ),
    "event.json": (
        json.dumps(
            {
                "id": "OSV-BAD-3",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "x"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"x": "1"}]}
                        ],
                    }
                ],
            }
        ),
        "#OSV-BAD-3: affected[0].ranges[0].events[1] has the unknown event 'x'",
    ),
    "noid.json": ('{"summary": "no id"}', "noid.json: the record has no `id` string"),
}


def test_bad_osv_files_are_skipped_with_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "bad-osv"
    folder.mkdir()
    for name, (text, _) in BAD_FILES.items():
        (folder / name).write_text(text)
    (folder / "good.json").write_text(json.dumps(RECORD))
    summary, db = import_into(tmp_path, folder)
    db.close()
    messages = sorted(str(p) for p in summary.problems)
    assert len(messages) == len(BAD_FILES)
    for name, (_, expected) in BAD_FILES.items():
        [message] = [m for m in messages if f"bad-osv/{name}" in m]
        assert expected in message, message
    assert summary.records == {"osv:PyPI": 1}


def build_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_member_that_is_not_json(tmp_path: Path) -> None:
    folder = tmp_path / "PyPI"
    folder.mkdir()
    (folder / "all.zip").write_bytes(
        build_zip(
            {
                "GHSA-xxxx-yyyy-zzzz.json": json.dumps(RECORD).encode(),
                "BAD-1.json": b"\x89PNG not json at all",
                "README.txt": b"ignored",
            }
        )
    )
    summary, db = import_into(tmp_path, folder / "all.zip")
    with db:
        assert ids(db.lookup("PyPI", ["some-package-name"]), "some-package-name") == {
            "GHSA-xxxx-yyyy-zzzz"
        }
    [problem] = summary.problems
    assert problem.where == f"{folder / 'all.zip'}:BAD-1.json"
    assert problem.message.startswith("not valid JSON")


def test_zip_that_is_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    broken = tmp_path / "data" / "all.zip"
    broken.write_bytes(b"PK\x03\x04 cut short")
    summary, _ = import_into(tmp_path, broken)  # named: it cannot be read at all
    assert [str(p) for p in summary.unreadable] == [f"{broken}: not a zip archive"]
    assert summary.problems == []
    summary, _ = import_into(tmp_path, tmp_path / "data")  # one file of a folder
    assert [str(p) for p in summary.problems] == [
        f"{broken}: not a readable zip archive: File is not a zip file"
    ]


OVAL_HEAD = (
    '<?xml version="1.0"?>\n'
    '<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5">\n'
    "<definitions>\n"
)


def test_oval_cut_in_the_middle(tmp_path: Path) -> None:
    source = shared_path("data", "vuln", "debian-oval-2023", "oval-definitions-bookworm.xml.bz2")
    with bz2.open(source) as f:
        head = f.read(3_000_000)  # ends inside the definitions
    cut = tmp_path / "oval-definitions-bookworm.xml"
    cut.write_bytes(head)
    problems: list[Problem] = []
    batches = list(read_batches(cut, problems.append, ImportSummary()))
    assert batches == []  # nothing imported from a damaged file: the release keeps its data
    [problem] = problems
    assert problem.where.startswith(f"{cut}:")  # with the line where it broke
    assert "not well-formed XML" in problem.message
    assert "nothing imported from this file" in problem.message


def test_bz2_garbage(tmp_path: Path) -> None:
    garbage = tmp_path / "oval-definitions-bookworm.xml.bz2"
    garbage.write_bytes(b"BZh9" + bytes(range(256)) * 4)
    problems: list[Problem] = []
    assert list(read_batches(garbage, problems.append, ImportSummary())) == []
    [problem] = problems
    assert problem.where == str(garbage)
    assert problem.message.startswith("not a bzip2 stream or cut short")


def test_oval_release_from_the_file_name(tmp_path: Path) -> None:
    oval = tmp_path / "oval-definitions-trixie.xml"
    oval.write_text(
        OVAL_HEAD
        + '<definition id="d1" class="vulnerability"><metadata><title>CVE-2024-0001 zlib</title>'
        '<reference source="CVE" ref_id="CVE-2024-0001" ref_url="u"/></metadata>'
        '<criteria><criterion test_ref="t1" comment="zlib DPKG is earlier than 1:1.3"/>'
        "</criteria></definition></definitions>"
        '<tests><dpkginfo_test id="t1" comment="zlib"><object object_ref="o1"/>'
        '<state state_ref="s1"/></dpkginfo_test></tests>'
        '<objects><dpkginfo_object id="o1"><name>zlib</name></dpkginfo_object></objects>'
        '<states><dpkginfo_state id="s1"><evr operation="less than">1:1.3</evr>'
        "</dpkginfo_state></states></oval_definitions>"
    )
    summary, db = import_into(tmp_path, oval)
    with db:
        _, affected = one(db, "Debian:13", "zlib", "CVE-2024-0001")
    assert summary.problems == []
    assert affected.ranges == (eco(("introduced", "0"), ("fixed", "1:1.3")),)


def test_alpine_file_problems(tmp_path: Path) -> None:
    secdb = tmp_path / "main.json"
    secdb.write_text(
        json.dumps(
            {
                "distroversion": "v3.19",
                "reponame": "main",
                "packages": [
                    {"pkg": {"name": "Curl", "secfixes": {"8.0-r0": ["CVE-2023-1234 XSA-9"]}}},
                    {"pkg": {"secfixes": {}}},
                    {"pkg": {"name": "b", "secfixes": {"1-r0": ["see the wiki"], "0": ["X-1"]}}},
                ],
            }
        )
    )
    summary, db = import_into(tmp_path, secdb)
    with db:
        curl, affected = one(db, "Alpine:v3.19", "curl", "CVE-2023-1234")
        assert db.lookup("Alpine:v3.19", ["b"]) == {}
    assert curl.aliases == ("XSA-9",) and affected.package == "curl"
    assert sorted(str(p) for p in summary.problems) == [
        f"{secdb}#b: secfixes '1-r0': no advisory id in 'see the wiki'",
        f"{secdb}#packages[1]: no `pkg.name`; skipped",
    ]
    assert summary.not_affected == 1
    bad = tmp_path / "other.json"
    bad.write_text('{"distroversion": "3.19", "packages": []}')
    problems: list[Problem] = []
    assert list(read_batches(bad, problems.append, ImportSummary())) == []
    assert [str(p) for p in problems] == [
        f"{bad}: `distroversion` is '3.19', not a branch such as \"v3.19\""
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("CVE-2023-5363", (["CVE-2023-5363"], [], False)),
        ("CVE-2016-9932 XSA-200", (["CVE-2016-9932"], ["XSA-200"], False)),
        (
            "CVE-2020-11740 CVE-2020-11741 XSA-313",
            (["CVE-2020-11740", "CVE-2020-11741"], ["XSA-313"], False),
        ),
        ("XSA-207", (["XSA-207"], [], False)),
        ("GHSA-vv2x-vrpj-qqpq", (["GHSA-vv2x-vrpj-qqpq"], [], False)),
        ("CVE_2019-2426", (["CVE-2019-2426"], [], False)),
        ("CVE-2018-14468 (FrameRelay)", (["CVE-2018-14468"], [], False)),
        ("CVE-2017-17434-1", (["CVE-2017-17434"], [], False)),
        ("CVE-????-????? TS-2024-005", (["TS-2024-005"], [], False)),
        ("CVE N/A ZBX-11023", (["ZBX-11023"], [], False)),
        ("CVE-2020-14342 (not actually applicable)", (["CVE-2020-14342"], [], True)),
        ("CVE-46838", ([], [], False)),
        (
            "CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)",
            (["CVE-2018-10103"], [], False),
        ),
    ],
)
def test_alpine_entries(entry: str, expected: tuple[list[str], list[str], bool]) -> None:
    assert parse_entry(entry) == expected


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("x.yaml", "id: A", "osv"),
        ("x.json", '{"id": "A"}', "osv"),
        ("main.json", '{"apkurl": "", "distroversion": "v3.19", "packages": []}', "alpine-secdb"),
        ("all.zip", "", "osv-zip"),
        ("oval-definitions-bookworm.xml.bz2", "", "debian-oval"),
        ("oval.xml", "", "debian-oval"),
        ("README.md", "", None),
    ],
)
def test_detect_format(tmp_path: Path, name: str, content: str, kind: str | None) -> None:
    (tmp_path / name).write_text(content)
    assert detect_format(tmp_path / name) == kind


def test_unreadable_paths(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    summary, db = import_into(tmp_path, tmp_path / "missing", tmp_path / "empty")
    db.close()
    assert [str(p) for p in summary.unreadable] == [
        f"{tmp_path / 'missing'}: no such file or folder",
        f"{tmp_path / 'empty'}: no vulnerability data found in this folder",
    ]


Reporter = Callable[[Problem], None]


def test_zip_feed_keeps_its_own_ecosystem(tmp_path: Path) -> None:
    """A record affecting PyPI and crates.io is in both archives; each feed keeps its part."""
    for ecosystem in ("PyPI", "crates.io"):
        (tmp_path / ecosystem).mkdir()
        (tmp_path / ecosystem / "all.zip").write_bytes(
            build_zip({"GHSA-xxxx-yyyy-zzzz.json": json.dumps(RECORD).encode()})
        )
    summary, db = import_into(tmp_path, tmp_path / "PyPI" / "all.zip", tmp_path / "crates.io")
    with db:
        [(crate, _)] = db.lookup("crates.io", ["tokio"])["tokio"]
        [(pypi, _)] = db.lookup("PyPI", ["some-package-name"])["some-package-name"]
    assert summary.records == {"osv:PyPI": 1, "osv:crates.io": 1}
    assert (crate.source, pypi.source) == ("osv:crates.io", "osv:PyPI")
    assert [a.ecosystem for a in crate.affected] == ["crates.io"]


def test_hostile_inputs_give_messages(tmp_path: Path) -> None:
    entities = "".join(
        f'<!ENTITY e{n} "{f"&e{n - 1};" * 10 if n else "x" * 10}">' for n in range(9)
    )
    files = {
        "deep.json": ("[" * 200_000, "deep.json: not read: nested too deeply"),
        "deep.yaml": ("[" * 200_000, "deep.yaml: not valid YAML at line 1: exceeded maximum"),
        "laughs.yaml": (
            "id: L-1\na: &a [x, x]\nb: &b [*a, *a, *a, *a]\naffected: [*b, *b]\n",
            "laughs.yaml#L-1: affected[0] is a list, not a mapping",
        ),
        "oval-definitions-bookworm.xml": (
            f'<?xml version="1.0"?><!DOCTYPE x [{entities}]><oval_definitions>&e8;'
            "</oval_definitions>",
            "oval-definitions-bookworm.xml:1: not well-formed XML (limit on input amplification",
        ),
        "page.xml": (
            "<html><body/></html>",
            "page.xml: not OVAL definitions (root element <html>)",
        ),
    }
    for name, (text, _) in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "noise.zip").write_bytes(b"PK" + bytes(range(256)) * 8)
    paths = [*(tmp_path / name for name in files), tmp_path / "noise.zip"]
    summary, db = import_into(tmp_path / "db", *paths)
    db.close()
    messages = [str(p) for p in summary.problems]
    assert len(messages) == len(files)
    assert [str(p) for p in summary.unreadable] == [f"{tmp_path / 'noise.zip'}: not a zip archive"]
    for _, expected in files.values():
        assert any(expected in m for m in messages), expected


def test_package_from_purl_only(tmp_path: Path) -> None:
    record = {
        "id": "OSV-PURL-1",
        "affected": [
            {"package": {"purl": "pkg:golang/golang.org/x/net"}, "versions": ["v0.1.0"]},
            {"package": {"purl": "pkg:maven/org.example/lib-core@1.0"}, "versions": ["1.0"]},
            {"package": {"purl": "pkg:deb/debian/openssl"}, "versions": ["1"]},
        ],
    }
    (tmp_path / "r.json").write_text(json.dumps(record))
    summary, db = import_into(tmp_path, tmp_path / "r.json")
    db.close()
    [problem] = summary.problems  # a deb purl names no OSV ecosystem: the record is refused
    assert problem.message == "affected[2].package has no `ecosystem` string"
    record["affected"] = record["affected"][:2]
    (tmp_path / "r.json").write_text(json.dumps(record))
    summary, db = import_into(tmp_path, tmp_path / "r.json")
    with db:
        assert list(db.lookup("Go", ["golang.org/x/net"])) == ["golang.org/x/net"]
        assert list(db.lookup("Maven", ["org.example:lib-core"])) == ["org.example:lib-core"]
    assert summary.problems == [] and summary.records == {"osv:Go": 1}
