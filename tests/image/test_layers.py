"""Layer streams into the merged view: whiteouts, links, refused names and bounded reads."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
import time
import zlib
from dataclasses import dataclass

from hullguard.image.layers import LayerDiff, LayerLimits, merge_layers, read_layer
from hullguard.image.model import FileType

# --- layer tars written by the tests (also used by test_sources) ---


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""
    mode: int = 0o644
    uid: int = 0


def file(name: str, data: bytes = b"", mode: int = 0o644, uid: int = 0) -> Entry:
    return Entry(name, data, mode=mode, uid=uid)


def directory(name: str, mode: int = 0o755) -> Entry:
    return Entry(name, type=tarfile.DIRTYPE, mode=mode)


def symlink(name: str, target: str) -> Entry:
    return Entry(name, type=tarfile.SYMTYPE, linkname=target, mode=0o777)


def hardlink(name: str, target: str) -> Entry:
    return Entry(name, type=tarfile.LNKTYPE, linkname=target)


def chardev(name: str) -> Entry:
    return Entry(name, type=tarfile.CHRTYPE, mode=0o666)


def layer_tar(*entries: Entry, compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.type = entry.type
            info.mode = entry.mode
            info.uid = entry.uid
            info.linkname = entry.linkname
            if entry.type == tarfile.CHRTYPE:
                info.devmajor, info.devminor = 1, 3
            if entry.type == tarfile.REGTYPE:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
            else:
                tar.addfile(info)
    data = buffer.getvalue()
    return gzip.compress(data, mtime=0) if compress else data


def read(data: bytes, digest: str = "sha256:l0", limits: LayerLimits | None = None) -> LayerDiff:
    return read_layer(io.BytesIO(data), digest=digest, limits=limits)


def test_files_directories_and_modes_are_recorded_with_their_layer() -> None:
    base = layer_tar(directory("etc"), file("etc/hostname", b"box\n"), file("bin/sh", b"x", 0o4755))
    top = layer_tar(file("app/main.py", b"print()\n", uid=1000), compress=True)
    files, problems = merge_layers([read(base), read(top, "sha256:l1")])
    assert problems == []
    assert sorted(files) == ["/app/main.py", "/bin/sh", "/etc", "/etc/hostname"]
    assert files["/etc"].type is FileType.DIRECTORY
    assert files["/bin/sh"].mode == 0o4755
    assert files["/bin/sh"].layer == 0
    assert files["/app/main.py"].layer == 1
    assert files["/app/main.py"].uid == 1000
    assert files["/app/main.py"].size == 8


def test_whiteout_removes_a_lower_file_and_a_lower_directory_tree() -> None:
    base = layer_tar(
        file("etc/secret", b"s"),
        file("etc/keep", b"k"),
        directory("var/cache/apt"),
        file("var/cache/apt/pkgcache.bin", b"p"),
    )
    top = layer_tar(file("etc/.wh.secret"), file("var/cache/.wh.apt"))
    files, problems = merge_layers([read(base), read(top)])
    assert problems == []
    assert sorted(files) == ["/etc/keep"]


def test_opaque_directory_hides_lower_contents_but_keeps_its_own() -> None:
    base = layer_tar(directory("app"), file("app/old.py", b"o"), file("app/sub/x", b"x"))
    top = layer_tar(directory("app"), file("app/.wh..wh..opq"), file("app/new.py", b"n"))
    files, _ = merge_layers([read(base), read(top)])
    assert sorted(files) == ["/app", "/app/new.py"]
    assert files["/app/new.py"].layer == 1


def test_a_file_replacing_a_directory_hides_its_children() -> None:
    base = layer_tar(directory("data"), file("data/a", b"a"))
    top = layer_tar(file("data", b"now a file"))
    files, _ = merge_layers([read(base), read(top)])
    assert sorted(files) == ["/data"]


def test_hard_links_take_their_target_and_a_missing_target_is_noted() -> None:
    layer = layer_tar(
        file("etc/shadow", b"root:*:1::::::\n"),
        hardlink("etc/shadow-", "etc/shadow"),
        hardlink("usr/bin/gone", "usr/bin/missing"),
    )
    files, problems = merge_layers([read(layer)])
    assert files["/etc/shadow-"].type is FileType.HARDLINK
    assert files["/etc/shadow-"].linkname == "/etc/shadow"
    assert files["/etc/shadow-"].size == 15
    assert problems == [
        "layer sha256:l0: hard link `/usr/bin/gone` → `/usr/bin/missing`: the target is missing"
    ]


def test_hard_link_to_a_lower_layer_file() -> None:
    base = layer_tar(file("bin/busybox", b"elf"))
    top = layer_tar(hardlink("bin/sh", "bin/busybox"))
    files, problems = merge_layers([read(base), read(top)])
    assert problems == []
    assert files["/bin/sh"].size == 3
    assert files["/bin/sh"].layer == 1


def test_names_with_dot_dot_and_absolute_names_are_refused() -> None:
    layer = layer_tar(
        file("../escape", b"x"),
        file("a/../../b", b"x"),
        file("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
        hardlink("etc/h", "../../outside"),
        file("ok", b"fine"),
    )
    diff = read(layer)
    assert [f.path for f in diff.files] == ["/ok"]
    assert diff.problems == [
        "layer sha256:l0: refused member `../escape`: its path leaves the root",
        "layer sha256:l0: refused member `a/../../b`: its path leaves the root",
        "layer sha256:l0: refused member `/etc/passwd`: its path leaves the root",
        "layer sha256:l0: refused hard link `/etc/h` → `../../outside`: its target leaves the root",
    ]


def test_a_link_out_of_the_root_is_kept_as_a_link_and_never_followed() -> None:
    layer = layer_tar(
        directory("root"),
        symlink("root/.env", "../../../../etc/shadow"),
        symlink("etc/passwd", "/host/etc/passwd"),
    )
    files, problems = merge_layers([read(layer)])
    assert problems == []
    env = files["/root/.env"]
    assert env.type is FileType.SYMLINK
    assert env.linkname == "../../../../etc/shadow"
    assert env.content is None
    assert files["/etc/passwd"].content is None


def test_device_files_are_recorded_not_read() -> None:
    files, _ = merge_layers([read(layer_tar(chardev("dev/null")))])
    assert files["/dev/null"].type is FileType.CHARDEV
    assert files["/dev/null"].size == 0
    assert files["/dev/null"].content is None


def test_content_is_kept_only_for_wanted_files() -> None:
    layer = layer_tar(
        file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
        file("app/.env", b"TOKEN=abc\n"),
        file("app/main.py", b"print('hi')\n"),
        file("srv/big/.env", b"A" * (1024 * 1024 + 1)),
    )
    files, _ = merge_layers([read(layer, limits=None)])
    assert files["/etc/passwd"].content == b"root:x:0:0:root:/root:/bin/sh\n"
    assert files["/app/.env"].content == b"TOKEN=abc\n"
    assert files["/app/main.py"].content is None
    assert files["/srv/big/.env"].content is None
    assert files["/srv/big/.env"].size == 1024 * 1024 + 1


def _gzip_bomb(size: int) -> bytes:
    """A gzip layer holding one file of `size` zero bytes, compressed without holding it."""
    header = tarfile.TarInfo("zeros")
    header.size = size
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [compressor.compress(header.tobuf(format=tarfile.PAX_FORMAT))]
    chunk = bytes(1024 * 1024)
    for _ in range(size // len(chunk)):
        out.append(compressor.compress(chunk))
    out.append(compressor.flush())
    return b"".join(out)


def test_a_gzip_bomb_is_stopped_quickly() -> None:
    bomb = _gzip_bomb(256 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    started = time.monotonic()
    diff = read(bomb, limits=LayerLimits(ratio_grace=4 * 1024 * 1024))
    assert time.monotonic() - started < 2
    assert len(diff.problems) == 1
    assert diff.problems[0].startswith("layer sha256:l0: stopped, a decompression bomb: ")
    assert "100:1" in diff.problems[0]


def test_a_layer_over_the_size_bound_is_stopped() -> None:
    layer = layer_tar(file("a", b"x" * 100_000), file("b", b"y"))
    diff = read(layer, limits=LayerLimits(max_bytes=50_000))
    assert diff.problems == [
        "layer sha256:l0: stopped, a decompression bomb: decompresses beyond 50000 bytes"
    ]


def test_a_truncated_layer_gives_an_error_and_keeps_what_was_read() -> None:
    noise = random.Random(5).randbytes(50_000)
    layer = layer_tar(file("first", b"1" * 600), file("second", noise), compress=True)
    whole = read(layer)
    assert [f.path for f in whole.files] == ["/first", "/second"]
    assert whole.problems == []
    cut = read(layer[: len(layer) // 2])
    assert [f.path for f in cut.files] == ["/first", "/second"]
    assert len(cut.problems) == 1
    assert cut.problems[0].startswith("layer sha256:l0: unreadable or truncated after ")

    plain = layer_tar(file("first", b"1" * 600), file("second", b"2" * 5000))
    cut_plain = read(plain[:3000])
    assert [f.path for f in cut_plain.files] == ["/first", "/second"]
    assert len(cut_plain.problems) == 1


def test_raw_digest_and_size_describe_the_blob() -> None:
    import hashlib

    layer = layer_tar(file("a", b"a"), compress=True)
    diff = read(layer)
    assert diff.raw_size == len(layer)
    assert diff.raw_sha256 == hashlib.sha256(layer).hexdigest()


def test_zstd_layers_are_read_and_a_truncated_one_keeps_what_was_read() -> None:
    import zstandard

    plain = layer_tar(file("etc/os-release", b"ID=debian\n"), file("app/main.py", b"print(1)\n"))
    data = zstandard.ZstdCompressor().compress(plain)
    diff = read(data)
    assert diff.problems == []
    assert {f.path for f in diff.files} == {"/etc/os-release", "/app/main.py"}
    assert next(f for f in diff.files if f.path == "/etc/os-release").content == b"ID=debian\n"
    truncated = read(data[: len(data) // 2])
    assert truncated.problems and "sha256:l0" in truncated.problems[0]


def test_isal_and_the_standard_library_read_gzip_layers_alike(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    import hullguard.image.layers as layers

    data = layer_tar(file("a", b"x" * 5000), directory("d"), file("d/b", b"y"), compress=True)
    fast = read(data)
    real_import = importlib.import_module

    def without_isal(name: str, *args: object) -> object:
        if name.startswith("isal"):
            raise ImportError(name)
        return real_import(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(layers.importlib, "import_module", without_isal)
    slow = read(data)
    assert [(f.path, f.size, f.mode) for f in fast.files] == [
        (f.path, f.size, f.mode) for f in slow.files
    ]
