"""The package inventory of an image, from fixtures that follow the real database formats."""

from __future__ import annotations

import io
import tarfile

from hullguard.image.layers import (
    GO_BUILDINFO_MAGIC,
    apply_layer,
    probe_go_buildinfo,
    read_layer,
)
from hullguard.image.model import MAX_CONTENT_BYTES, ImageFile, content_limit, wants_content

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
