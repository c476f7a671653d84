"""The package inventory of an image, from fixtures that follow the real database formats."""

from __future__ import annotations

import io
import shutil
import sqlite3
import struct
import subprocess
import tarfile
from pathlib import Path

import pytest

from hullguard.image.inventory import inventory, parse_deb822
from hullguard.image.layers import (
    GO_BUILDINFO_MAGIC,
    apply_layer,
    probe_go_buildinfo,
    read_layer,
)
from hullguard.image.model import (
    MAX_CONTENT_BYTES,
    FileType,
    ImageContents,
    ImageFile,
    Layer,
    content_limit,
    wants_content,
)
from hullguard.image.packages import Ecosystem, OperatingSystem, Package
from hullguard.model import Location

# --- Go build information, crafted in the inline format (Go 1.18 on) -------------------------
# A 32-byte header: the 14-byte magic, the pointer size (8), the flags (0x2: strings inline,
# little-endian), zero padding; then the Go version and the module information, each a uvarint
# length followed by its bytes. The module information is framed by two 16-byte sentinels.
GO_MODINFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
GO_MODINFO_END = bytes.fromhex("f932433186182072008242104116d8f2")
GO_MODINFO = (
    "path\texample.com/app/cmd/server\n"
    "mod\texample.com/app\tv1.4.0\th1:abc=\n"
    "dep\tgithub.com/google/uuid\tv1.6.0\th1:def=\n"
    "dep\tgolang.org/x/net\tv0.20.0\th1:ghi=\n"
    "=>\tgolang.org/x/net\tv0.21.0\th1:jkl=\n"
    "build\t-compiler=gc\n"
    "build\tGOOS=linux\n"
)


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def go_buildinfo_blob(version: str = "go1.22.1", modinfo: str = GO_MODINFO) -> bytes:
    header = GO_BUILDINFO_MAGIC + bytes([8, 0x2])
    header += b"\0" * (32 - len(header))
    mod = GO_MODINFO_START + modinfo.encode() + GO_MODINFO_END
    return header + _uvarint(len(version)) + version.encode() + _uvarint(len(mod)) + mod


def go_binary(blob: bytes, *, padding: int = 3 * 1024 * 1024) -> bytes:
    """An ELF-looking executable with the blob past several read chunks, preceded by a decoy:
    the magic as a string literal, not followed by a valid header."""
    return (
        b"\x7fELF\x02\x01\x01"
        + b"\0" * 100
        + GO_BUILDINFO_MAGIC
        + b"\x03\x02garbage"
        + b"\x90" * padding
        + blob
        + b"\0" * 1000
    )


def _tar(members: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_probe_finds_the_inline_blob_past_chunks_and_decoys() -> None:
    blob = go_buildinfo_blob()
    assert probe_go_buildinfo(io.BytesIO(go_binary(blob))) == blob
    # across a chunk boundary: the magic split between two reads
    for cut in (1024 * 1024 - 5, 1024 * 1024 - 20, 1024 * 1024 + 3):
        data = b"\x7fELF" + b"\0" * (cut - 4) + blob
        assert probe_go_buildinfo(io.BytesIO(data)) == blob


def test_probe_skips_non_executables_and_keeps_the_pointer_header() -> None:
    blob = go_buildinfo_blob()
    assert probe_go_buildinfo(io.BytesIO(b"#!/bin/sh\n" + blob)) is None
    assert probe_go_buildinfo(io.BytesIO(b"\x7fELF" + b"\0" * 64)) is None
    pointer = GO_BUILDINFO_MAGIC + bytes([8, 0]) + b"\0" * 16
    assert probe_go_buildinfo(io.BytesIO(b"\x7fELF" + b"\0" * 60 + pointer + b"\1" * 50)) == (
        pointer
    )
    # truncated after the header: no blob
    assert probe_go_buildinfo(io.BytesIO(b"\x7fELF" + blob[:40])) is None


def test_layers_capture_build_info_of_executables_only() -> None:
    blob = go_buildinfo_blob()
    binary = go_binary(blob, padding=10)
    layer = _tar(
        [
            ("usr/local/bin/server", binary, 0o755),
            ("srv/data.bin", binary, 0o644),
            ("var/lib/dpkg/status", b"x" * (2 * MAX_CONTENT_BYTES), 0o644),
        ]
    )
    diff = read_layer(io.BytesIO(layer), digest="sha256:x")
    merged: dict[str, ImageFile] = {}
    assert apply_layer(merged, diff, 0) == []
    assert merged["/usr/local/bin/server"].go_buildinfo == blob
    assert merged["/usr/local/bin/server"].content is None
    assert merged["/srv/data.bin"].go_buildinfo is None
    assert merged["/var/lib/dpkg/status"].content == b"x" * (2 * MAX_CONTENT_BYTES)


def test_package_databases_are_kept_up_to_64_mib() -> None:
    big = 64 * 1024 * 1024
    assert content_limit("/etc/passwd") == MAX_CONTENT_BYTES
    assert content_limit("/usr/bin/ls") is None
    for path in (
        "/var/lib/dpkg/status",
        "/var/lib/dpkg/status.d/base-files",
        "/lib/apk/db/installed",
        "/var/lib/rpm/rpmdb.sqlite",
        "/var/lib/rpm/Packages",
        "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
        "/usr/lib/python3/site-packages/six-1.16.0.egg-info/PKG-INFO",
        "/app/node_modules/@scope/name/package.json",
        "/app/node_modules/a/node_modules/b/package.json",
    ):
        assert content_limit(path) == big, path
        assert wants_content(path, big)
        assert not wants_content(path, big + 1)
    assert not wants_content("/etc/passwd", MAX_CONTENT_BYTES + 1)
    assert content_limit("/app/package.json") is None


# --- the inventory -----------------------------------------------------------------------------


DPKG_STATUS = """\
Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6203
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols.
 .
 It provides the libssl and libcrypto shared libraries.

Package: vim-tiny
Status: deinstall ok config-files
Priority: important
Architecture: amd64
Source: vim
Version: 2:9.0.1378-2
Conffiles:
 /etc/vim/vimrc.tiny 8d3ac9c1fbd4ba1a6a9bb9ac8fba8d1e

Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
Description: time zone and daylight-saving time data
"""

DISTROLESS_STATUS = """\
Package: libc6
Version: 2.36-9+deb12u4
Architecture: amd64
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Installed-Size: 12985
Source: glibc
Description: GNU C Library: Shared libraries
"""

APK_INSTALLED = """\
C:Q1KC9Z1Ir5V8RKHxK6pL1O8AKhEt8=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700000000
c:b7d1e1f7f4e5b8c6f1e0d7a1b2c3d4e5f6a7b8c9
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1zRmFvV6c3sZ0s1w9ib3DNHAMV2o=

C:Q1abcdefghijklmnopqrstuvwxyz0=
P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
F:usr/lib
R:libcrypto.so.3
"""

METADATA = """\
Metadata-Version: 2.1
Name: Requests
Version: 2.31.0
Summary: Python HTTP for Humans.
License: Apache 2.0
Requires-Dist: idna (<4,>=2.5)

Requests is an elegant and simple HTTP library for Python.
"""

PKG_INFO = """\
Metadata-Version: 1.1
Name: zope.interface
Version: 6.1
License: ZPL 2.1
"""

OS_RELEASE_DEBIAN = """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""


def _contents(
    files: dict[str, tuple[bytes, int]], *, extra: tuple[ImageFile, ...] = ()
) -> ImageContents:
    merged = {
        path: ImageFile(path, FileType.REGULAR, 0o644, 0, 0, len(data), layer, content=data)
        for path, (data, layer) in files.items()
    }
    for file in extra:
        merged[file.path] = file
    layers = tuple(Layer(i, f"sha256:{i}", 0, None) for i in range(3))
    return ImageContents("test", merged, layers, Location(logical="image/test"))


def _by_name(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def test_debian_dpkg_status_and_distroless_status_d() -> None:
    contents = _contents(
        {
            "/usr/lib/os-release": (OS_RELEASE_DEBIAN.encode(), 0),
            "/var/lib/dpkg/status": (DPKG_STATUS.encode(), 1),
            "/var/lib/dpkg/status.d/libc6": (DISTROLESS_STATUS.encode(), 2),
            "/var/lib/dpkg/status.d/libc6.md5sums": (b"abc  lib/x\n", 2),
        },
        extra=(
            ImageFile(
                "/etc/os-release", FileType.SYMLINK, 0o777, 0, 0, 0, 0, "../usr/lib/os-release"
            ),
        ),
    )
    found, errors = inventory(contents)
    assert errors == []
    assert found.os == OperatingSystem("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)")
    assert [p.name for p in found.packages] == ["libssl3", "base-files", "tzdata", "libc6"]
    packages = _by_name(found.packages)
    assert packages["libssl3"] == Package(
        ecosystem=Ecosystem.DEB,
        name="libssl3",
        version="3.0.11-1~deb12u2",
        purl="pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
        path="/var/lib/dpkg/status",
        layer=1,
        source_name="openssl",
        source_version="3.0.11-1~deb12u2",
        architecture="amd64",
    )
    base = packages["base-files"]
    assert (base.source_name, base.source_version) == ("base-files", "12.4+deb12u5")
    assert packages["tzdata"].purl == (
        "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12"  # `+` encoded
    )
    libc = packages["libc6"]
    assert (libc.source_name, libc.source_version, libc.layer, libc.path) == (
        "glibc",
        "2.36-9+deb12u4",
        2,
        "/var/lib/dpkg/status.d/libc6",
    )


def test_malformed_dpkg_paragraphs_are_reported_and_the_rest_kept() -> None:
    bad = "Package: a\nStatus: install ok installed\nthis line is broken\nVersion: 1\n\n"
    bad += "Package: b\nStatus: install ok installed\n\nPackage: c\nStatus: install ok installed\n"
    bad += "Version: 2\n"
    contents = _contents({"/var/lib/dpkg/status": (bad.encode(), 0)})
    found, errors = inventory(contents)
    assert [(p.name, p.version) for p in found.packages] == [("a", "1"), ("c", "2")]
    assert [(e.path, e.line) for e in errors] == [
        ("image/test:/var/lib/dpkg/status", 3),
        ("image/test:/var/lib/dpkg/status", 6),
    ]


def test_alpine_apk_installed() -> None:
    contents = _contents(
        {
            "/etc/os-release": (b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19\n', 0),
            "/lib/apk/db/installed": (APK_INSTALLED.encode(), 0),
        }
    )
    found, errors = inventory(contents)
    assert errors == []
    assert found.os is not None and (found.os.id, found.os.version_id) == ("alpine", "3.19")
    musl, crypto = found.packages
    assert musl == Package(
        ecosystem=Ecosystem.APK,
        name="musl",
        version="1.2.4-r2",
        purl="pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19",
        path="/lib/apk/db/installed",
        layer=0,
        source_name="musl",
        source_version="1.2.4-r2",
        architecture="x86_64",
        licenses=("MIT",),
    )
    assert (crypto.name, crypto.source_name, crypto.purl) == (
        "libcrypto3",
        "openssl",
        "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=3.19",
    )


def test_release_files_without_os_release() -> None:
    for path, text, expected in (
        ("/etc/alpine-release", "3.20.1\n", OperatingSystem("alpine", "3.20.1", None, None)),
        ("/etc/debian_version", "12.5\n", OperatingSystem("debian", "12", None, None)),
        (
            "/etc/redhat-release",
            "Rocky Linux release 9.3 (Blue Onyx)\n",
            OperatingSystem("rocky", "9.3", "Blue Onyx", "Rocky Linux release 9.3 (Blue Onyx)"),
        ),
    ):
        assert inventory(_contents({path: (text.encode(), 0)}))[0].os == expected


# The rpm header blob as rpmdb.sqlite stores it (no 8-byte magic): `il` and `dl` as big-endian
# uint32; `il` index entries of four big-endian int32 (tag, type, offset, count); the data
# store. Types: 4 INT32 (big-endian, 4-aligned), 6 STRING (NUL-terminated).
def rpm_header(tags: list[tuple[int, int, str | int]]) -> bytes:
    index = b""
    store = b""
    for tag, kind, value in tags:
        if kind == 4:
            store += b"\0" * (-len(store) % 4)
            index += struct.pack(">iiii", tag, kind, len(store), 1)
            store += struct.pack(">i", int(value))
        else:
            index += struct.pack(">iiii", tag, kind, len(store), 1)
            store += str(value).encode() + b"\0"
    return struct.pack(">II", len(tags), len(store)) + index + store


def _rpmdb(tmp_path: Path, blobs: list[bytes]) -> bytes:
    path = tmp_path / "rpmdb.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    db.executemany("INSERT INTO Packages (blob) VALUES (?)", [(b,) for b in blobs])
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path.read_bytes()


def test_rpm_sqlite_database(tmp_path: Path) -> None:
    openssl = rpm_header(
        [
            (1000, 6, "openssl-libs"),
            (1001, 6, "3.0.7"),
            (1002, 6, "24.el9"),
            (1003, 4, 1),
            (1014, 6, "Apache-2.0"),
            (1022, 6, "x86_64"),
            (1044, 6, "openssl-3.0.7-24.el9.src.rpm"),
        ]
    )
    bash = rpm_header(
        [
            (1000, 6, "bash"),
            (1001, 6, "5.1.8"),
            (1002, 6, "6.el9_1"),
            (1022, 6, "x86_64"),
            (1044, 6, "bash-5.1.8-6.el9_1.src.rpm"),
        ]
    )
    key = rpm_header([(1000, 6, "gpg-pubkey"), (1001, 6, "fd431d51"), (1002, 6, "4ae0493b")])
    broken = struct.pack(">II", 50, 10) + b"\0" * 20
    db = _rpmdb(tmp_path, [openssl, bash, key, broken])
    assert db[18:20] == b"\x02\x02"  # a WAL-mode database, as rpm writes it
    contents = _contents(
        {
            "/etc/os-release": (b'ID="rhel"\nVERSION_ID="9.3"\n', 0),
            "/var/lib/rpm/rpmdb.sqlite": (db, 1),
        }
    )
    found, errors = inventory(contents)
    assert [(e.path, e.message.split(":")[0]) for e in errors] == [
        ("image/test:/var/lib/rpm/rpmdb.sqlite", "package 4")
    ]
    first, second = found.packages
    assert first == Package(
        ecosystem=Ecosystem.RPM,
        name="openssl-libs",
        version="1:3.0.7-24.el9",
        purl="pkg:rpm/rhel/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1",
        path="/var/lib/rpm/rpmdb.sqlite",
        layer=1,
        source_name="openssl",
        source_version="3.0.7-24.el9",
        architecture="x86_64",
        licenses=("Apache-2.0",),
    )
    assert (second.version, second.purl, second.source_name) == (
        "5.1.8-6.el9_1",
        "pkg:rpm/rhel/bash@5.1.8-6.el9_1?arch=x86_64&distro=rhel-9.3",
        "bash",
    )


def test_rpm_garbage_and_berkeley_db_are_reported() -> None:
    contents = _contents(
        {
            "/var/lib/rpm/rpmdb.sqlite": (b"SQLite format 3\0" + b"\xff" * 200, 0),
        }
    )
    found, errors = inventory(contents)
    assert found.packages == () and len(errors) == 1
    contents = _contents({"/var/lib/rpm/Packages": (b"\0" * 4096, 0)})
    found, errors = inventory(contents)
    assert found.packages == ()
    assert [e.path for e in errors] == ["image/test:/var/lib/rpm/Packages"]
    assert "not read" in errors[0].message


def test_python_and_node_packages() -> None:
    site = "/usr/local/lib/python3.11/site-packages"
    contents = _contents(
        {
            f"{site}/requests-2.31.0.dist-info/METADATA": (METADATA.encode(), 1),
            f"{site}/zope.interface-6.1-py3.11.egg-info/PKG-INFO": (PKG_INFO.encode(), 2),
            f"{site}/broken-1.0.dist-info/METADATA": (b"Metadata-Version: 2.1\n", 2),
            "/app/package.json": (b'{"name": "my-app", "version": "0.0.1"}', 2),
            "/app/node_modules/express/package.json": (
                b'{"name": "express", "version": "4.18.2", "license": "MIT"}',
                2,
            ),
            "/app/node_modules/@types/node/package.json": (
                b'{"name": "@types/node", "version": "20.11.5"}',
                2,
            ),
            "/app/node_modules/express/node_modules/debug/package.json": (
                b'{"name": "debug", "version": "2.6.9"}',
                2,
            ),
            "/app/node_modules/express/lib/package.json": (b'{"name": "x", "version": "1"}', 2),
            "/app/node_modules/bad/package.json": (b'{"name": "bad",\n "version": }', 2),
        }
    )
    found, errors = inventory(contents)
    packages = _by_name(found.packages)
    assert packages["Requests"] == Package(
        ecosystem=Ecosystem.PYPI,
        name="Requests",
        version="2.31.0",
        purl="pkg:pypi/requests@2.31.0",
        path=f"{site}/requests-2.31.0.dist-info",
        layer=1,
        licenses=("Apache 2.0",),
    )
    assert packages["zope.interface"].purl == "pkg:pypi/zope-interface@6.1"
    assert packages["zope.interface"].layer == 2
    assert packages["@types/node"].purl == "pkg:npm/%40types/node@20.11.5"
    assert packages["express"] == Package(
        ecosystem=Ecosystem.NPM,
        name="express",
        version="4.18.2",
        purl="pkg:npm/express@4.18.2",
        path="/app/node_modules/express",
        layer=2,
        licenses=("MIT",),
    )
    assert packages["debug"].path == "/app/node_modules/express/node_modules/debug"
    assert "my-app" not in packages and "x" not in packages
    assert sorted((e.path, e.line) for e in errors) == [
        ("image/test:/app/node_modules/bad/package.json", 2),
        (f"image/test:{site}/broken-1.0.dist-info/METADATA", 1),
    ]


def test_go_binary_modules_from_build_info() -> None:
    binary = ImageFile(
        "/usr/local/bin/server",
        FileType.REGULAR,
        0o755,
        0,
        0,
        5_000_000,
        1,
        go_buildinfo=go_buildinfo_blob(),
    )
    pointer = GO_BUILDINFO_MAGIC + bytes([8, 0]) + b"\0" * 16
    old = ImageFile("/bin/old", FileType.REGULAR, 0o755, 0, 0, 10, 0, go_buildinfo=pointer)
    found, errors = inventory(_contents({}, extra=(binary, old)))
    assert [(p.name, p.version, p.purl, p.layer) for p in found.packages] == [
        ("stdlib", "1.22.1", "pkg:golang/stdlib@1.22.1", 1),
        ("example.com/app", "v1.4.0", "pkg:golang/example.com/app@v1.4.0", 1),
        ("github.com/google/uuid", "v1.6.0", "pkg:golang/github.com/google/uuid@v1.6.0", 1),
        ("golang.org/x/net", "v0.21.0", "pkg:golang/golang.org/x/net@v0.21.0", 1),
    ]
    assert {p.path for p in found.packages} == {"/usr/local/bin/server"}
    assert [e.path for e in errors] == ["image/test:/bin/old"]
    assert "pointer format" in errors[0].message


def test_go_binary_read_through_a_layer() -> None:
    layer = _tar([("app/server", go_binary(go_buildinfo_blob(), padding=2_000_000), 0o755)])
    merged: dict[str, ImageFile] = {}
    apply_layer(merged, read_layer(io.BytesIO(layer), digest="sha256:1"), 0)
    found, errors = inventory(
        ImageContents("t", merged, (Layer(0, "sha256:1", 0, None),), Location())
    )
    assert errors == []
    assert [p.name for p in found.packages][:2] == ["stdlib", "example.com/app"]


def test_deb822_paragraphs() -> None:
    text = "A: 1\nB: two\n  more\n\n\nC: 3\n"
    assert list(parse_deb822(text)) == [(1, {"A": "1", "B": "two\nmore"}, []), (6, {"C": "3"}, [])]


DPKG_DB = Path("/var/lib/dpkg/status")


@pytest.mark.skipif(
    not DPKG_DB.is_file() or shutil.which("dpkg-query") is None,
    reason="this machine has no dpkg database",
)
def test_dpkg_reader_equals_dpkg_query_on_this_machine() -> None:
    data = DPKG_DB.read_bytes()
    found, errors = inventory(_contents({"/var/lib/dpkg/status": (data, 0)}))
    assert errors == []
    query = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version}\\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = sorted(
        tuple(line.split(" ")[1:])
        for line in query.splitlines()
        if line.split(" ")[0] == "installed"
    )
    assert len(expected) > 10
    assert sorted((p.name, p.version) for p in found.packages) == expected
