"""Huge and sparse files cost a bounded read: a 10 GB sparse file in a layer or a `dir:` tree is
recorded with its size, quickly and in little memory, and the Go build-info probe never reads
more than its bound of any executable."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import time
import tracemalloc
from pathlib import Path
from typing import IO, Any, cast

import pytest

from hullguard.image import layers, sources
from hullguard.image.layers import (
    GO_BUILDINFO_MAGIC,
    GO_BUILDINFO_SCAN_MAX,
    LayerLimits,
    probe_go_buildinfo,
    read_layer,
)
from hullguard.image.model import FileType

TEN_GB = 10 * 1024**3
ELF_HEADER = b"\x7fELF\x02\x01\x01" + b"\0" * 57
# Probing all 10 GB of holes takes several seconds (about 2 s for 3 GiB here); the bounded
# probe a tenth of a second. The bytes the probe reads are counted too, which decides alone.
SECONDS = 5.0
PEAK_BYTES = 64 * 1024**2


def _sparse(path: Path, head: bytes, mode: int) -> None:
    path.write_bytes(head)
    os.truncate(path, TEN_GB)
    path.chmod(mode)


@pytest.fixture(scope="module")
def sparse_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree holding a 10 GB sparse executable (an ELF header, then holes) and a 10 GB sparse
    data file, and a small file the rules read."""
    root = tmp_path_factory.mktemp("sparse") / "root"
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "data").mkdir()
    _sparse(root / "usr" / "bin" / "huge", ELF_HEADER, 0o755)
    _sparse(root / "data" / "disk.img", b"", 0o644)
    (root / "etc").mkdir()
    (root / "etc" / "os-release").write_text("ID=sparse\n")
    if os.stat(root / "usr" / "bin" / "huge").st_blocks * 512 > 1024**2:
        pytest.skip("the temporary filesystem does not keep files sparse")
    return root


@pytest.fixture(scope="module")
def sparse_layer(sparse_tree: Path) -> Path:
    if shutil.which("tar") is None:
        pytest.skip("GNU tar is needed to write a sparse archive")
    layer = sparse_tree.parent / "layer.tar.gz"
    subprocess.run(
        ["tar", "--sparse", "-czf", str(layer), "-C", str(sparse_tree), "."],
        check=True,
        timeout=120,
    )
    assert layer.stat().st_size < 1024**2
    return layer


@pytest.fixture
def probed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The bytes the Go probe reads from each executable, for layers and `dir:` trees."""
    counts: list[int] = []

    def counting(stream: IO[bytes], *, limit: int = GO_BUILDINFO_SCAN_MAX) -> bytes | None:
        counted = _Counted(stream)
        try:
            return probe_go_buildinfo(cast(IO[bytes], counted), limit=limit)
        finally:
            counts.append(counted.count)

    monkeypatch.setattr(layers, "probe_go_buildinfo", counting)
    monkeypatch.setattr(sources, "probe_go_buildinfo", counting)
    return counts


class _Counted(io.RawIOBase):
    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data


def _measured(action: Any) -> tuple[Any, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = action()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


def test_a_sparse_10_gb_layer_member_is_read_quickly_in_bounded_memory(
    sparse_layer: Path, probed: list[int]
) -> None:
    with tarfile.open(sparse_layer) as tar:  # the archive really holds GNU sparse members
        sparse = [m for m in tar.getmembers() if m.issparse()]
    assert {m.name.lstrip("./") for m in sparse} == {"usr/bin/huge", "data/disk.img"}

    def read() -> Any:
        with sparse_layer.open("rb") as stream:
            return read_layer(stream, digest="sha256:sparse")

    diff, elapsed, peak = _measured(read)
    assert not diff.problems
    files = {f.path: f for f in diff.files}
    for path, mode in (("/usr/bin/huge", 0o755), ("/data/disk.img", 0o644)):
        assert files[path].type is FileType.REGULAR
        assert files[path].size == TEN_GB
        assert files[path].mode == mode
        assert files[path].content is None and files[path].go_buildinfo is None
    assert files["/etc/os-release"].content == b"ID=sparse\n"
    assert probed == [GO_BUILDINFO_SCAN_MAX]  # the executable only, and no further
    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert peak < PEAK_BYTES, f"peak {peak} bytes"


def test_a_dir_tree_with_a_sparse_10_gb_executable_opens_quickly(
    sparse_tree: Path, probed: list[int]
) -> None:
    result, elapsed, peak = _measured(lambda: sources.open_image(f"dir:{sparse_tree}"))
    assert not result.errors
    assert result.contents is not None
    files = result.contents.files
    assert files["/usr/bin/huge"].size == TEN_GB
    assert files["/usr/bin/huge"].go_buildinfo is None
    assert files["/data/disk.img"].size == TEN_GB
    assert files["/etc/os-release"].content == b"ID=sparse\n"
    assert probed == [GO_BUILDINFO_SCAN_MAX]  # the executable only, and no further
    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert peak < PEAK_BYTES, f"peak {peak} bytes"


class _Zeros(io.RawIOBase):
    """An endless executable: an ELF header, then zeros; counts what is read from it."""

    def __init__(self, head: bytes = ELF_HEADER) -> None:
        self._head = head
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = len(view)
        head = self._head[self.count : self.count + n]
        view[: len(head)] = head
        view[len(head) : n] = bytes(n - len(head))
        self.count += n
        return n


def test_the_go_probe_reads_at_most_its_bound() -> None:
    stream = _Zeros()
    assert probe_go_buildinfo(cast(IO[bytes], stream)) is None
    assert stream.count == GO_BUILDINFO_SCAN_MAX
    small = _Zeros()
    assert probe_go_buildinfo(cast(IO[bytes], small), limit=3 * 1024**2 + 5) is None
    assert small.count == 3 * 1024**2 + 5


def test_decoy_magics_do_not_stretch_the_bound() -> None:
    """A magic not followed by a valid header, again and again: the scan still stops."""
    decoy = GO_BUILDINFO_MAGIC + b"\x03\x02"
    stream = _Zeros(ELF_HEADER + (decoy + b"\0" * 4096) * 4096)
    assert probe_go_buildinfo(cast(IO[bytes], stream), limit=8 * 1024**2) is None
    assert stream.count <= 8 * 1024**2 + 2 * 1024**2


def test_build_info_past_the_bound_is_missed_and_within_it_found() -> None:
    from tests.image.test_inventory import go_buildinfo_blob

    blob = go_buildinfo_blob()
    data = ELF_HEADER + b"\0" * (4 * 1024**2) + blob + b"\0" * 100
    assert probe_go_buildinfo(io.BytesIO(data), limit=8 * 1024**2) == blob
    assert probe_go_buildinfo(io.BytesIO(data), limit=2 * 1024**2) is None
    # the configured bound reaches a layer's probe
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        info = tarfile.TarInfo("usr/bin/app")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    for limit, expected in ((8 * 1024**2, blob), (2 * 1024**2, None)):
        layer.seek(0)
        diff = read_layer(layer, digest="sha256:go", limits=LayerLimits(go_probe_bytes=limit))
        assert diff.files[0].go_buildinfo == expected
