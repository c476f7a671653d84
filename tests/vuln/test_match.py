"""The matcher on real shared records, with verdicts checked by hand against the data, and on
small records for the corners of the OSV evaluation.

Hand checks (the data is in ../shared/data/vuln):
- Debian OVAL bookworm: "CVE-2023-28486 sudo" has the criterion "sudo DPKG is earlier than
  1.9.13p1-1"; `dpkg --compare-versions 1.9.13-1 lt 1.9.13p1-1` is true, so 1.9.13-1 is
  affected and 1.9.13p1-1 is not. "CVE-2023-31437 systemd" has no fixed version for bookworm.
- Alpine secdb: busybox CVE-2023-42363 is fixed in 1.36.1-r7 on v3.18 and in 1.36.1-r17 on
  v3.19, so 1.36.1-r15 is affected on v3.19 only.
- PyPI: PYSEC-2022-42969 (py, CVE-2022-42969) is `introduced: 0, last_affected: 1.11.0`:
  1.11.0 is affected (inclusive), 1.12.0 is not.
- Go: GO-2021-0238 (golang.org/x/net) is fixed in the pseudo-version
  0.0.0-20210520170846-37e1c6afe023.
- Withdrawn: PYSEC-2023-73 (redis, every version from 0) was withdrawn on 2023-06-06.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hullguard.model import ErrorKind, Severity
from hullguard.versions.ecosystems import sort_key
from hullguard.vuln.match import is_affected, match
from hullguard.vuln.model import (
    Advisory,
    Affected,
    Event,
    PackageRef,
    Range,
    SeverityScore,
    normalise_name,
)
from hullguard.vuln.store import DatabaseWriter, Feed, VulnDB


def ref(ecosystem: str, name: str, version: str, display: str | None = None) -> PackageRef:
    return PackageRef(
        ecosystem=ecosystem,
        name=normalise_name(ecosystem, name),
        version=version,
        display_name=display or name,
        display_version=version,
        path="/var/lib/dpkg/status",
    )


@pytest.fixture(scope="module")
def real_db(shared_vuln_db: Path) -> Iterator[VulnDB]:
    """Every shared data set (tests/vuln/conftest.py), read-only."""
    with VulnDB.open(shared_vuln_db) as db:
        yield db


def ids(result_matches: object) -> dict[str, str | None]:
    return {m.advisory.id: m.fixed_version for m in result_matches}  # type: ignore[attr-defined]


# --- real records ------------------------------------------------------------------------------


def test_debian_bookworm_before_and_after_the_oval_fix(real_db: VulnDB) -> None:
    before = match(real_db, [ref("Debian:12", "sudo", "1.9.13-1")])
    after = match(real_db, [ref("Debian:12", "sudo", "1.9.13p1-1")])
    assert ids(before.matches)["CVE-2023-28486"] == "1.9.13p1-1"
    assert "CVE-2023-28486" not in ids(after.matches)
    # CVE-2023-27320 is fixed later (1.9.13p3-1): still open at 1.9.13p1-1, with its own fix.
    assert ids(after.matches)["CVE-2023-27320"] == "1.9.13p3-1"
    assert not before.errors and not after.errors


def test_debian_unfixed_oval_entry_has_no_fixed_version(real_db: VulnDB) -> None:
    found = match(real_db, [ref("Debian:12", "systemd", "252.17-1~deb12u1", "libsystemd0")])
    by_id = {m.advisory.id: m for m in found.matches}
    assert by_id["CVE-2023-31437"].fixed_version is None
    assert by_id["CVE-2023-31437"].package.display_name == "libsystemd0"
    assert "CVE-2022-45873" not in by_id  # fixed in 252-1, below the installed version


def test_debian_data_of_one_release_does_not_match_another(real_db: VulnDB) -> None:
    assert match(real_db, [ref("Debian:10", "sudo", "1.8.27-1")]).matches == ()  # no buster data
    bullseye = ids(match(real_db, [ref("Debian:11", "sudo", "1.9.5p2-3")]).matches)
    bookworm = ids(match(real_db, [ref("Debian:12", "sudo", "1.9.5p2-3")]).matches)
    assert bullseye != bookworm  # each release's own fixed versions


def test_alpine_package_on_two_branches(real_db: VulnDB) -> None:
    on_318 = match(real_db, [ref("Alpine:v3.18", "busybox", "1.36.1-r15", "busybox-binsh")])
    on_319 = match(real_db, [ref("Alpine:v3.19", "busybox", "1.36.1-r15", "busybox-binsh")])
    assert "CVE-2023-42363" not in ids(on_318.matches)  # fixed in 1.36.1-r7 on v3.18
    assert ids(on_319.matches)["CVE-2023-42363"] == "1.36.1-r17"


def test_pypi_range_with_last_affected(real_db: VulnDB) -> None:
    inside = match(real_db, [ref("PyPI", "py", "1.11.0")])
    outside = match(real_db, [ref("PyPI", "py", "1.12.0")])
    assert "PYSEC-2022-42969" in ids(inside.matches)
    assert ids(inside.matches)["PYSEC-2022-42969"] is None  # no fixed event, only a ceiling
    assert "PYSEC-2022-42969" not in ids(outside.matches)
    # The same verdicts from the range alone, without the record's explicit versions list.
    found = real_db.lookup("PyPI", ["py"])["py"]
    affected = next(a for adv, a in found if adv.id == "PYSEC-2022-42969")
    bare = Affected(affected.ecosystem, affected.package, affected.ranges)
    assert any(e.kind == "last_affected" for r in bare.ranges for e in r.events)
    order = sort_key("PyPI")
    assert is_affected(bare, "1.11.0", order).affected
    assert is_affected(bare, "1.4.0", order).affected
    assert not is_affected(bare, "1.11.1", order).affected


def test_go_module_with_a_pseudo_version(real_db: VulnDB) -> None:
    """Pseudo-versions order by their timestamp, below every tagged release (GO-2022-0236 is
    fixed at 2021-04-28, GO-2022-0288 at 2021-12-09, GO-2022-1144 in v0.4.0)."""
    old = "v0.0.0-20200226121028-0de0cce0169b"
    fixed = "v0.0.0-20210520170846-37e1c6afe023"
    before = ids(match(real_db, [ref("Go", "golang.org/x/net", old)]).matches)
    assert before["GO-2021-0238"] == fixed
    assert before["GO-2022-0236"] == "v0.0.0-20210428140749-89ef3d95e781"
    at_fix = ids(match(real_db, [ref("Go", "golang.org/x/net", fixed)]).matches)
    assert "GO-2021-0238" not in at_fix and "GO-2022-0236" not in at_fix
    assert at_fix["GO-2022-0288"] == "v0.0.0-20211209124913-491a49abca63"
    tagged = ids(match(real_db, [ref("Go", "golang.org/x/net", "v0.1.0")]).matches)
    assert "GO-2022-0288" not in tagged and tagged["GO-2022-1144"] == "v0.4.0"


def test_withdrawn_records_never_match(real_db: VulnDB) -> None:
    assert "PYSEC-2023-73" not in ids(match(real_db, [ref("PyPI", "redis", "4.5.5")]).matches)
    sessions = match(real_db, [ref("Go", "github.com/gorilla/sessions", "v1.2.1")])
    assert "GO-2024-2730" not in ids(sessions.matches)


def test_invalid_version_is_an_error_entry_not_a_match(real_db: VulnDB) -> None:
    result = match(real_db, [ref("PyPI", "jinja2", "not a version!")])
    assert result.matches == ()
    (error,) = result.errors
    assert error.kind is ErrorKind.PARSE
    assert error.path == "/var/lib/dpkg/status"
    assert "jinja2" in error.message and "'not a version!'" in error.message


def test_one_lookup_per_ecosystem(real_db: VulnDB) -> None:
    calls: list[tuple[str, frozenset[str]]] = []

    class Counting:
        def lookup(
            self, ecosystem: str, names: object
        ) -> dict[str, list[tuple[Advisory, Affected]]]:
            calls.append((ecosystem, frozenset(names)))  # type: ignore[arg-type]
            return real_db.lookup(ecosystem, names)  # type: ignore[arg-type]

    packages = [
        ref("Debian:12", "sudo", "1.9.13-1"),
        ref("Debian:12", "systemd", "252-1"),
        ref("PyPI", "Jinja2", "2.11.2"),
        ref("PyPI", "py", "1.11.0"),
    ]
    result = match(Counting(), packages)
    assert sorted(calls) == [
        ("Debian:12", frozenset({"sudo", "systemd"})),
        ("PyPI", frozenset({"jinja2", "py"})),
    ]
    assert "PYSEC-2021-66" in ids(result.matches)  # Jinja2 found by its normalised name


# --- the evaluation's corners, on small records ---------------------------------------------------


def _affected(*ranges: tuple[str, list[tuple[str, str]]], **fields: object) -> Affected:
    return Affected(
        "PyPI",
        "pkg",
        tuple(Range(kind, tuple(Event(k, v) for k, v in events)) for kind, events in ranges),
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("version", "expected", "fixed"),
    [
        ("0.9", False, None),
        ("1.0", True, "1.2"),  # introduced is inclusive
        ("1.1.9", True, "1.2"),
        ("1.2", False, None),  # fixed is exclusive
        ("2.0", True, "2.5"),  # a second introduced in the same range
        ("2.5", False, None),
        ("3.0", False, None),
    ],
)
def test_events_in_one_range(version: str, expected: bool, fixed: str | None) -> None:
    affected = _affected(
        (
            "ECOSYSTEM",
            # deliberately out of order: they are sorted by the ecosystem's order first
            [("fixed", "2.5"), ("introduced", "1.0"), ("introduced", "2.0"), ("fixed", "1.2")],
        )
    )
    verdict = is_affected(affected, version, sort_key("PyPI"))
    assert (verdict.affected, verdict.fixed_version) == (expected, fixed)


def test_limit_bounds_a_range_and_git_ranges_are_skipped() -> None:
    affected = _affected(
        ("ECOSYSTEM", [("introduced", "0"), ("limit", "2.0")]),
        ("GIT", [("introduced", "0")]),
    )
    order = sort_key("PyPI")
    assert is_affected(affected, "1.9", order).affected
    assert not is_affected(affected, "2.0", order).affected  # limit is exclusive
    unlimited = _affected(("ECOSYSTEM", [("introduced", "0"), ("limit", "*")]))
    assert is_affected(unlimited, "99.0", order).affected


@pytest.mark.parametrize(
    ("bound", "version", "expected"),
    [
        ("<= 2.3.1", "2.3.1", True),
        ("<= 2.3.1", "2.3.2", False),
        ("< 2.0", "1.9.9", True),
        ("< 2.0", "2.0", False),
        ("not a bound", "9.0", True),
    ],
)
def test_last_known_affected_bounds_an_open_range(bound: str, version: str, expected: bool) -> None:
    affected = _affected(("ECOSYSTEM", [("introduced", "1.0")]), last_known_affected=bound)
    assert is_affected(affected, version, sort_key("PyPI")).affected is expected


def test_last_known_affected_does_not_bound_a_closed_range() -> None:
    affected = _affected(
        ("ECOSYSTEM", [("introduced", "1.0"), ("fixed", "3.0")]), last_known_affected="< 2.0"
    )
    assert is_affected(affected, "2.5", sort_key("PyPI")).affected


def test_explicit_versions_list() -> None:
    affected = Affected("PyPI", "pkg", versions=("1.0", "1.1"))
    order = sort_key("PyPI")
    assert is_affected(affected, "1.1", order).affected
    assert not is_affected(affected, "1.2", order).affected


def _db_of(tmp_path: Path, advisories: list[Advisory]) -> VulnDB:
    path = tmp_path / "vuln.db"
    with DatabaseWriter(path, fresh=True) as writer:
        writer.start_feed(Feed("osv:test", "osv", "test"))
        for advisory in advisories:
            writer.put("osv:test", advisory)
        writer.commit()
    return VulnDB.open(path)


def test_advisories_sharing_an_alias_are_one_match(tmp_path: Path) -> None:
    """A Debian OVAL CVE without a score and a DSA naming it: one match, the one with a fix
    and a CVSS vector kept, the other named in `also`."""
    oval = Advisory(
        "CVE-2023-0001",
        "debian-oval",
        affected=(
            Affected(
                "Debian:12",
                "openssl",
                (Range("ECOSYSTEM", (Event("introduced", "0"),)),),
            ),
        ),
    )
    dsa = Advisory(
        "DSA-5400-1",
        "osv:Debian",
        aliases=("CVE-2023-0001",),
        severity=(SeverityScore("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),),
        affected=(
            Affected(
                "Debian:12",
                "openssl",
                (Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "3.0.9-1"))),),
            ),
        ),
    )
    other = Advisory(
        "CVE-2023-0002",
        "debian-oval",
        affected=(
            Affected("Debian:12", "openssl", (Range("ECOSYSTEM", (Event("introduced", "0"),)),)),
        ),
    )
    with _db_of(tmp_path, [oval, dsa, other]) as db:
        result = match(db, [ref("Debian:12", "openssl", "3.0.8-1", "libssl3")])
    by_id = {m.advisory.id: m for m in result.matches}
    assert set(by_id) == {"DSA-5400-1", "CVE-2023-0002"}
    kept = by_id["DSA-5400-1"]
    assert kept.also == ("CVE-2023-0001",)
    assert kept.fixed_version == "3.0.9-1"
    assert kept.severity is Severity.CRITICAL
    assert kept.to_dict()["aliases"] == ["CVE-2023-0001"]
    assert kept.to_dict()["package"] == "libssl3"
    assert kept.to_dict()["source_package"] == "openssl"


def test_unsupported_ecosystem_is_an_error(tmp_path: Path) -> None:
    with _db_of(tmp_path, []) as db:
        result = match(db, [ref("NoSuchEcosystem", "x", "1.0")])
    assert result.matches == ()
    (error,) = result.errors
    assert "NoSuchEcosystem" in error.message


# --- PackageRefs from inventories -----------------------------------------------------------


@pytest.mark.parametrize(
    ("os_id", "version_id", "codename", "pretty", "kind", "ecosystem"),
    [
        ("debian", "12", "bookworm", None, "deb", "Debian:12"),
        ("debian", None, "trixie", None, "deb", "Debian:13"),
        ("debian", None, None, "Debian GNU/Linux forky/sid", "deb", "Debian:14"),
        ("debian", None, None, None, "deb", None),
        ("ubuntu", "22.04", "jammy", None, "deb", "Ubuntu:22.04:LTS"),
        ("ubuntu", "23.10", "mantic", None, "deb", "Ubuntu:23.10"),
        ("alpine", "3.19.1", None, None, "apk", "Alpine:v3.19"),
        ("alpine", "3.21_alpha20240923", None, "Alpine Linux edge", "apk", "Alpine:edge"),
        ("alpine", "3.19.1", None, None, "deb", None),
        ("rhel", "9.3", None, None, "rpm", None),
    ],
)
def test_distribution_ecosystems(
    os_id: str,
    version_id: str | None,
    codename: str | None,
    pretty: str | None,
    kind: str,
    ecosystem: str | None,
) -> None:
    from hullguard.image.packages import Ecosystem, OperatingSystem
    from hullguard.vuln.packages import distro_ecosystem

    system = OperatingSystem(os_id, version_id, codename, pretty)
    assert distro_ecosystem(system, Ecosystem(kind)) == ecosystem


def test_package_refs_by_source_and_by_name() -> None:
    from hullguard.image.packages import Ecosystem, OperatingSystem, Package
    from hullguard.vuln.packages import package_ref

    bookworm = OperatingSystem("debian", "12", "bookworm", None)
    deb = Package(Ecosystem.DEB, "libssl3", "3.0.11-1~deb12u2", "pkg:deb/debian/libssl3",
                  "/var/lib/dpkg/status", 2, "openssl", "3.0.11-1~deb12u2")  # fmt: skip
    found = package_ref(bookworm, deb, 2)
    assert found is not None
    assert (found.ecosystem, found.name, found.version) == ("Debian:12", "openssl", deb.version)
    assert (found.display_name, found.layer) == ("libssl3", 2)
    wheel = Package(Ecosystem.PYPI, "Jinja2", "2.11.2", "pkg:pypi/jinja2@2.11.2", "/x", 0)
    assert package_ref(None, wheel, 0) == PackageRef(
        "PyPI", "jinja2", "2.11.2", "Jinja2", "2.11.2", "/x", "pkg:pypi/jinja2@2.11.2", layer=0
    )
    devel = Package(Ecosystem.GOLANG, "example.com/app", "(devel)", "pkg:golang/app", "/app", 0)
    assert package_ref(None, devel, 0) is None
    assert package_ref(None, deb, 0) is None  # a Debian package without a known release
