"""The BerkeleyDB hash reader and the rpm `Packages` of older releases, on db_load files."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from hullguard.image.bdb import BerkeleyDBError, read_hash_database
from hullguard.image.inventory import inventory
from hullguard.image.model import FileType, ImageContents, ImageFile
from hullguard.image.packages import Ecosystem, Package
from tests.image.test_inventory import _contents, rpm_header

PAGE_SIZE = 4096
PACKAGES = "/var/lib/rpm/Packages"

needs_db_load = pytest.mark.skipif(
    shutil.which("db_load") is None,
    reason="db_load is not installed (Debian package db-util, in scripts/system-packages.txt): "
    "no BerkeleyDB file can be built; the reader reads files, not a live component, so this "
    "skips in CI too",
)


def _db_load(tmp_path: Path, records: list[tuple[int, bytes]], *, lorder: int) -> bytes:
    """A BerkeleyDB hash file of `records` (4-byte integer keys in the file's byte order, as
    rpm writes them), built by db_load from db_dump's bytevalue text format."""
    key_order = "<I" if lorder == 1234 else ">I"
    lines = [
        "VERSION=3",
        "format=bytevalue",
        "type=hash",
        f"db_pagesize={PAGE_SIZE}",
        f"db_lorder={lorder}",
        "HEADER=END",
    ]
    for key, value in records:
        lines += [" " + struct.pack(key_order, key).hex(), " " + value.hex()]
    lines.append("DATA=END")
    dump = tmp_path / f"packages-{lorder}.dump"
    dump.write_text("\n".join(lines) + "\n")
    target = tmp_path / f"Packages-{lorder}"
    subprocess.run(["db_load", "-f", str(dump), str(target)], check=True, capture_output=True)
    return target.read_bytes()


OPENSSL = rpm_header(
    [
        (1000, 6, "openssl-libs"),
        (1001, 6, "1.0.2k"),
        (1002, 6, "26.el7_9"),
        (1003, 4, 1),
        (1014, 6, "OpenSSL"),
        (1022, 6, "x86_64"),
        (1044, 6, "openssl-1.0.2k-26.el7_9.src.rpm"),
    ]
)
# A license text longer than a page: the header goes to a chain of overflow pages.
BIG = rpm_header(
    [
        (1000, 6, "glibc-common"),
        (1001, 6, "2.17"),
        (1002, 6, "326.el7_9"),
        (1014, 6, "LGPLv2+ " * 1500),
        (1022, 6, "x86_64"),
        (1044, 6, "glibc-2.17-326.el7_9.src.rpm"),
    ]
)
BASH = rpm_header(
    [
        (1000, 6, "bash"),
        (1001, 6, "4.2.46"),
        (1002, 6, "34.el7"),
        (1022, 6, "x86_64"),
        (1044, 6, "bash-4.2.46-34.el7.src.rpm"),
    ]
)
KEY = rpm_header([(1000, 6, "gpg-pubkey"), (1001, 6, "f4a80eb5"), (1002, 6, "53a7ff4b")])
COUNTER = struct.pack("<I", 5)
RECORDS = [(0, COUNTER), (1, OPENSSL), (2, BIG), (3, KEY), (4, BASH)]
OS_RELEASE = b'NAME="CentOS Linux"\nID="centos"\nVERSION_ID="7"\n'

EXPECTED = [
    Package(
        ecosystem=Ecosystem.RPM,
        name="openssl-libs",
        version="1:1.0.2k-26.el7_9",
        purl="pkg:rpm/centos/openssl-libs@1.0.2k-26.el7_9?arch=x86_64&distro=centos-7&epoch=1",
        path=PACKAGES,
        layer=1,
        source_name="openssl",
        source_version="1.0.2k-26.el7_9",
        architecture="x86_64",
        licenses=("OpenSSL",),
    ),
    Package(
        ecosystem=Ecosystem.RPM,
        name="glibc-common",
        version="2.17-326.el7_9",
        purl="pkg:rpm/centos/glibc-common@2.17-326.el7_9?arch=x86_64&distro=centos-7",
        path=PACKAGES,
        layer=1,
        source_name="glibc",
        source_version="2.17-326.el7_9",
        architecture="x86_64",
        licenses=("LGPLv2+ " * 1500,),
    ),
    Package(
        ecosystem=Ecosystem.RPM,
        name="bash",
        version="4.2.46-34.el7",
        purl="pkg:rpm/centos/bash@4.2.46-34.el7?arch=x86_64&distro=centos-7",
        path=PACKAGES,
        layer=1,
        source_name="bash",
        source_version="4.2.46-34.el7",
        architecture="x86_64",
    ),
]


def _image(packages: bytes) -> ImageContents:
    return _contents({"/etc/os-release": (OS_RELEASE, 0), PACKAGES: (packages, 1)})


def _page_types(data: bytes, page_size: int = PAGE_SIZE) -> list[int]:
    return [data[offset + 25] for offset in range(0, len(data), page_size)]


@needs_db_load
@pytest.mark.parametrize(("lorder", "byteorder"), [(1234, "little"), (4321, "big")])
def test_rpm_packages_from_a_berkeley_db_hash_file(
    tmp_path: Path, lorder: int, byteorder: str
) -> None:
    assert len(BIG) > PAGE_SIZE
    data = _db_load(tmp_path, RECORDS, lorder=lorder)
    assert 7 in _page_types(data)  # the big header is on overflow pages
    database = read_hash_database(data)
    assert (database.byteorder, database.page_size, database.problems) == (
        byteorder,
        PAGE_SIZE,
        [],
    )
    fmt = "<I" if lorder == 1234 else ">I"
    assert sorted(database.pairs) == sorted((struct.pack(fmt, k), v) for k, v in RECORDS)
    found, errors = inventory(_image(data))
    assert errors == []
    assert list(found.packages) == EXPECTED


@needs_db_load
def test_sqlite_database_wins_over_berkeley_db(tmp_path: Path) -> None:
    data = _db_load(tmp_path, RECORDS, lorder=1234)
    contents = _contents(
        {
            PACKAGES: (data, 1),
            "/var/lib/rpm/rpmdb.sqlite": (b"SQLite format 3\0" + b"\xff" * 200, 0),
        }
    )
    found, errors = inventory(contents)
    assert found.packages == ()
    assert [e.path for e in errors] == ["image/test:/var/lib/rpm/rpmdb.sqlite"]


@needs_db_load
def test_truncated_file_is_an_error_entry_and_the_rest_is_read(tmp_path: Path) -> None:
    data = _db_load(tmp_path, RECORDS, lorder=1234)
    cut = data[: len(data) - 2 * PAGE_SIZE - 100]
    found, errors = inventory(_image(cut))
    assert errors and all(e.path == f"image/test:{PACKAGES}" for e in errors)
    assert any("truncated" in e.message for e in errors)
    assert set(found.packages) <= set(EXPECTED)
    found, errors = inventory(_image(data[:50]))
    assert found.packages == ()
    assert [e.message for e in errors] == [
        "not read: not a BerkeleyDB hash rpm database: 50 bytes: shorter than the metadata page"
    ]


@needs_db_load
@pytest.mark.parametrize("lorder", [1234, 4321])
def test_cycle_in_an_overflow_chain_is_an_error_entry(tmp_path: Path, lorder: int) -> None:
    data = bytearray(_db_load(tmp_path, RECORDS, lorder=lorder))
    fmt = "<I" if lorder == 1234 else ">I"
    overflow = [n for n, kind in enumerate(_page_types(bytes(data))) if kind == 7]
    assert len(overflow) >= 2
    for pgno in overflow:  # every overflow page names itself as the next one
        struct.pack_into(fmt, data, pgno * PAGE_SIZE + 16, pgno)
    found, errors = inventory(_image(bytes(data)))
    assert len(errors) == 1
    assert "overflow chain" in errors[0].message and "loops back" in errors[0].message
    assert list(found.packages) == [EXPECTED[0], EXPECTED[2]]


def test_not_a_hash_database() -> None:
    with pytest.raises(BerkeleyDBError, match="no Berkeley DB hash magic"):
        read_hash_database(b"\0" * 4096)
    meta = bytearray(512)
    struct.pack_into("<II", meta, 12, 0x061561, 9)
    struct.pack_into("<I", meta, 20, 3000)
    with pytest.raises(BerkeleyDBError, match="page size 3000"):
        read_hash_database(bytes(meta))
    struct.pack_into("<IBBB", meta, 20, 512, 0, 8, 0)
    struct.pack_into("<I", meta, 32, 0)
    empty = read_hash_database(bytes(meta))
    assert (empty.pairs, empty.problems) == ([], [])


def test_a_packages_file_over_the_size_bound_is_reported() -> None:
    big = ImageFile(PACKAGES, FileType.REGULAR, 0o644, 0, 0, 100 << 20, 0, content=None)
    found, errors = inventory(_contents({}, extra=(big,)))
    assert found.packages == ()
    assert [e.message.split(":")[0] for e in errors] == ["not read"]
