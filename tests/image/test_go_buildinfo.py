"""Go binaries of the pointer format (Go before 1.18): the module information and the Go
version are found in the read-only data on the way to the header, streamed, and read as the
inline format."""

from __future__ import annotations

import io
import struct
import tarfile
from pathlib import Path

from hullguard.image.inventory import inventory, parse_go_buildinfo
from hullguard.image.layers import (
    GO_BUILDINFO_MAGIC,
    READ_CHUNK,
    apply_layer,
    probe_go_buildinfo,
    read_layer,
)
from hullguard.image.model import ImageContents, ImageFile, Layer
from hullguard.image.sources import open_image
from hullguard.model import Location

START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
END = bytes.fromhex("f932433186182072008242104116d8f2")
MODINFO = (
    b"path\texample.com/legacy/cmd/agent\n"
    b"mod\texample.com/legacy\tv0.9.2\th1:aaa=\n"
    b"dep\tgithub.com/pkg/errors\tv0.9.1\th1:bbb=\n"
    b"dep\tgolang.org/x/sys\tv0.0.0-20210630005230-0f9fa26af87c\th1:ccc=\n"
    b"=>\tgolang.org/x/sys\tv0.1.0\th1:ddd=\n"
)
# 16 bytes: the magic, pointer size 8, flags 0 (little-endian, pointers); then the addresses of
# runtime.buildVersion and runtime.modinfo
POINTER_HEADER = GO_BUILDINFO_MAGIC + bytes([8, 0]) + struct.pack("<QQ", 0x5A3F20, 0x5A3F30)
EXPECTED = [
    ("stdlib", "1.16.15", "pkg:golang/stdlib@1.16.15"),
    ("example.com/legacy", "v0.9.2", "pkg:golang/example.com/legacy@v0.9.2"),
    ("github.com/pkg/errors", "v0.9.1", "pkg:golang/github.com/pkg/errors@v0.9.1"),
    ("golang.org/x/sys", "v0.1.0", "pkg:golang/golang.org/x/sys@v0.1.0"),
]


def old_go_binary(
    *, start_at: int = 200_000, versions: tuple[bytes, ...] = (b"go1.16.15",)
) -> bytes:
    """An ELF-looking executable: code, then read-only data holding the Go version (packed
    between other strings, as the Go linker lays them out) and the framed module information
    at `start_at`, then the pointer-format header past a few chunks, then data."""
    head = b"\x7fELF\x02\x01\x01" + b"\0" * 57 + b"\x90" * 4000
    strings = b"".join(b"unexpected EOF" + v + b"invalid argument" for v in versions)
    head += strings
    head += b"\xcc" * (start_at - len(head))
    return (
        head
        + START
        + MODINFO
        + END
        + b"\0" * (2 * READ_CHUNK + 123)
        + POINTER_HEADER
        + b"\0" * 5000
    )


def _packages(contents: ImageContents) -> list[tuple[str, str, str | None]]:
    found, errors = inventory(contents)
    assert errors == []
    assert {p.path for p in found.packages} == {"/usr/bin/agent"}
    return [(p.name, p.version, p.purl) for p in found.packages]


def _through_a_tar(binary: bytes) -> ImageContents:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("usr/bin/agent")
        info.size = len(binary)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(binary))
    merged: dict[str, ImageFile] = {}
    diff = read_layer(io.BytesIO(buffer.getvalue()), digest="sha256:1")
    assert apply_layer(merged, diff, 0) == []
    return ImageContents("t", merged, (Layer(0, "sha256:1", 0, None),), Location())


def test_probe_makes_an_inline_blob_of_the_pointer_format() -> None:
    blob = probe_go_buildinfo(io.BytesIO(old_go_binary()))
    assert blob is not None
    assert blob[:16] == GO_BUILDINFO_MAGIC + bytes([8, 0x2])
    assert blob[16:32] == bytes(16)  # the pointers are not kept
    assert parse_go_buildinfo(blob) == ("go1.16.15", MODINFO.decode())


def test_modules_through_a_tar_layer() -> None:
    assert _packages(_through_a_tar(old_go_binary())) == EXPECTED


def test_modules_with_the_sentinels_split_across_chunks() -> None:
    for cut in (3, 8, 15):  # bytes of the start sentinel in the first chunk
        binary = old_go_binary(start_at=READ_CHUNK - cut)
        assert _packages(_through_a_tar(binary)) == EXPECTED
    # the end sentinel split
    binary = old_go_binary(start_at=READ_CHUNK - len(START) - len(MODINFO) - 7)
    assert _packages(_through_a_tar(binary)) == EXPECTED


def test_modules_through_a_dir_image(tmp_path: Path) -> None:
    binary = tmp_path / "usr" / "bin" / "agent"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(old_go_binary(start_at=READ_CHUNK - 9))
    binary.chmod(0o755)
    result = open_image(f"dir:{tmp_path}")
    assert result.contents is not None
    assert _packages(result.contents) == EXPECTED


def test_version_left_unknown_when_not_told_for_sure() -> None:
    # two different Go versions in the read-only data: which one built the binary is unknown
    two = old_go_binary(versions=(b"go1.16.15", b"go1.15"))
    assert _packages(_through_a_tar(two)) == EXPECTED[1:]
    # none, or one that runs on into digits (cannot be told from a longer one)
    for versions in ((), (b"go1.16.15" + b"0123",)):
        binary = old_go_binary(versions=versions)
        assert parse_go_buildinfo(probe_go_buildinfo(io.BytesIO(binary)) or b"")[0] == ""
        assert _packages(_through_a_tar(binary)) == EXPECTED[1:]


def test_chance_sentinels_and_bare_headers() -> None:
    # a start sentinel not followed by module information is passed over
    binary = old_go_binary()
    decoy = START + b"\x01\x02not module information" + END
    binary = binary[:100] + decoy + binary[100 + len(decoy) :]
    assert _packages(_through_a_tar(binary)) == EXPECTED
    # no module information before the header: the header alone, reported as not read
    bare = b"\x7fELF" + b"\0" * 60 + b"go1.16.15\0" + POINTER_HEADER + b"\0" * 50
    assert probe_go_buildinfo(io.BytesIO(bare)) == POINTER_HEADER
    # the sentinels without any header: not a Go binary
    assert probe_go_buildinfo(io.BytesIO(old_go_binary()[:300_000])) is None
