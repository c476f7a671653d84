"""Image reading benchmark: the real Debian image, a large gzip layer, a 1 GB image.

Everything it reads lives in the tests' cache folder (`$HULLGUARD_TEST_CACHE`, else
`~/.cache/hullguard-tests/`, see tests/live/images.py) and is built there once:

1. The Debian bookworm minbase image as an OCI layout (debootstrap, `docker import` into a
   private daemon, `docker save`, `skopeo copy`): the time to open it (`open_image`) and take its
   package inventory (`hullguard.image.inventory`, when that module exists; otherwise
   `open_image` alone, and it says so). Target: under 0.5 s.
2. A large gzip layer: a tar of copies of that root filesystem (each under its own folder),
   compressed with gzip level 6, at least `--layer-mib` MiB uncompressed (default 256: two
   copies, 408 MB): the throughput of `read_layer`, in MB/s of decompressed tar and of
   compressed blob. Target: 150 MB/s (decompressed).
3. A 1 GB image: an OCI layout of `--layers` such gzip layers (default 3, each with its own
   folder names; 1.2 GB uncompressed), opened in a child process: its peak memory (VmHWM, the
   high water mark of the child's own address space) and wall time. Target: under 200 MB.

Usage::

    python bench/bench_image.py [--rounds 5] [--profile]

`--profile` prints the functions where reading the large layer spends its time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import hashlib
import importlib
import io
import json
import pstats
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.live import images  # noqa: E402

from hullguard.image.layers import read_layer  # noqa: E402
from hullguard.image.sources import open_image  # noqa: E402

MB = 1000 * 1000
MiB = 1024 * 1024
GZIP_LEVEL = 6
OPEN_TARGET_S = 0.5
THROUGHPUT_TARGET_MBS = 150.0
MEMORY_TARGET_MB = 200.0


def debian_oci() -> Path:
    """The Debian image's OCI layout, built through a private daemon when not cached."""
    layout = images.recipe_folder() / "oci"
    if (layout / "index.json").is_file():
        return layout
    from tests.live.daemon import start_docker_daemon

    daemon = start_docker_daemon()
    try:
        image = images.debian_image(daemon)
    finally:
        daemon.stop()
    if image.oci_layout is None:
        raise SystemExit(f"no OCI layout of the Debian image: {image.oci_missing}")
    return image.oci_layout


def _inventory() -> Callable[[object], object] | None:
    try:
        module = importlib.import_module("hullguard.image.inventory")
    except ModuleNotFoundError:
        return None
    function: Callable[[object], object] = module.inventory
    return function


def bench_debian(layout: Path, rounds: int) -> dict[str, object]:
    inventory = _inventory()
    ref = f"oci:{layout}:{images.OCI_TAG}"
    times, packages = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = open_image(ref)
        if inventory is not None and result.contents is not None:
            found, _errors = inventory(result.contents)  # type: ignore[misc]
            packages = len(found.packages)
        times.append(time.perf_counter() - started)
        assert result.contents is not None and not result.errors, result.errors
    files = len(result.contents.files)
    what = "open_image + inventory" if inventory else "open_image only (no inventory module yet)"
    return {
        "what": what,
        "files": files,
        "packages": packages,
        "median_s": statistics.median(times),
        "min_s": min(times),
    }


def _copies_tar(source: Path, out: Path, prefixes: list[str]) -> int:
    """A gzip tar of the members of `source` once under each prefix; returns the tar's size."""
    partial = out.with_name(out.name + ".partial")
    with (
        open(partial, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as packed,
    ):
        counting = _Counting(packed)
        with tarfile.open(fileobj=counting, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for prefix in prefixes:
                with tarfile.open(source, mode="r|") as rootfs:
                    for member in rootfs:
                        name = member.name.removeprefix("./")
                        member.name = f"{prefix}/{name}" if name not in ("", ".") else prefix
                        if member.islnk():
                            target = member.linkname.removeprefix("./")
                            member.linkname = f"{prefix}/{target}"
                        data = rootfs.extractfile(member) if member.isfile() else None
                        tar.addfile(member, data)
    partial.rename(out)
    return counting.count


class _Counting(io.RawIOBase):
    def __init__(self, target: gzip.GzipFile) -> None:
        self._target = target
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        written = self._target.write(data)  # type: ignore[arg-type]
        self.count += written
        return written


def big_layers(folder: Path, count: int, layer_mib: int) -> list[Path]:
    """`count` gzip layers of at least `layer_mib` MiB each, with distinct folder names."""
    rootfs_tar = images.debian_rootfs().tarball
    copies = max(1, -(-layer_mib * MiB // rootfs_tar.stat().st_size))
    folder.mkdir(parents=True, exist_ok=True)
    layers = [folder / f"layer{index}-{copies}x.tar.gz" for index in range(count)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        jobs = []
        for index, path in enumerate(layers):
            if not path.is_file():
                print(f"  building {path.name} ({copies} copies of the Debian root filesystem)")
                prefixes = [f"layer{index}/copy{c}" for c in range(copies)]
                jobs.append(pool.submit(_copies_tar, rootfs_tar, path, prefixes))
        for job in jobs:
            job.result()
    return layers


def _digest_file(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(MiB):
            sha.update(chunk)
            size += len(chunk)
    return "sha256:" + sha.hexdigest(), size


def _diff_id(path: Path) -> str:
    sha = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(MiB):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest()


def _blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def big_image(folder: Path, layers: list[Path]) -> Path:
    """An OCI layout of `layers` (hard-linked blobs), tagged `big`."""
    layout = folder / f"oci-{len(layers)}-layers"
    if (layout / "index.json").is_file():
        return layout
    partial = layout.with_name(layout.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "blobs" / "sha256").mkdir(parents=True)
    descriptors, diff_ids = [], []
    for path in layers:
        digest, size = _digest_file(path)
        blob = partial / "blobs" / "sha256" / digest.split(":")[1]
        if not blob.exists():
            blob.hardlink_to(path)
        descriptors.append(
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest,
             "size": size}
        )  # fmt: skip
        diff_ids.append(_diff_id(path))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"User": "nobody"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"COPY layer{i} /"} for i in range(len(layers))],
    }
    config_blob = _blob(partial, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_blob},
        "layers": descriptors,
    }
    manifest_blob = _blob(partial, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **manifest_blob,
                "annotations": {"org.opencontainers.image.ref.name": "big"},
            }
        ],
    }
    (partial / "index.json").write_text(json.dumps(index), encoding="utf-8")
    (partial / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}', encoding="utf-8")
    partial.rename(layout)
    return layout


def bench_throughput(layer: Path, rounds: int, profile: bool) -> dict[str, object]:
    compressed = layer.stat().st_size
    times, uncompressed, files = [], 0, 0
    for _ in range(rounds):
        with open(layer, "rb") as stream:
            started = time.perf_counter()
            diff = read_layer(stream, digest=layer.name)
            times.append(time.perf_counter() - started)
        assert not diff.problems, diff.problems
        files = len(diff.files)
    with gzip.open(layer, "rb") as handle:
        while chunk := handle.read(4 * MiB):
            uncompressed += len(chunk)
    best = statistics.median(times)
    if profile:
        profiler = cProfile.Profile()
        with open(layer, "rb") as stream:
            profiler.runcall(read_layer, stream, digest=layer.name)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(15)
    return {
        "layer": layer.name,
        "entries": files,
        "uncompressed_mb": uncompressed / MB,
        "compressed_mb": compressed / MB,
        "median_s": best,
        "mb_per_s": uncompressed / MB / best,
        "compressed_mb_per_s": compressed / MB / best,
    }


_CHILD = """
import sys, time
from hullguard.image.sources import open_image
started = time.perf_counter()
result = open_image(sys.argv[1])
seconds = time.perf_counter() - started
assert result.contents is not None and not result.errors, result.errors
files = len(result.contents.files)
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(files, seconds, int(hwm.split()[1]) * 1024)
"""


def bench_memory(layout: Path) -> dict[str, object]:
    blobs = sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir())
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, f"oci:{layout}:big"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.split()
    files, seconds, peak = int(out[0]), float(out[1]), int(out[2])
    return {
        "files": files,
        "blobs_mb": blobs / MB,
        "seconds": seconds,
        "peak_mb": peak / MB,
    }


def _verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--layer-mib", type=int, default=256)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    layout = debian_oci()
    debian = bench_debian(layout, args.rounds)
    print(
        f"Debian bookworm minbase, OCI layout, {debian['what']}: {debian['files']} files, "
        f"{debian['packages'] if debian['packages'] is not None else '-'} packages, "
        f"median {debian['median_s']:.3f} s (min {debian['min_s']:.3f} s); target "
        f"< {OPEN_TARGET_S} s: {_verdict(float(debian['median_s']) < OPEN_TARGET_S)}"  # type: ignore[arg-type]
    )

    folder = images.recipe_folder() / "bench"
    layers = big_layers(folder, args.layers, args.layer_mib)
    through = bench_throughput(layers[0], args.rounds, args.profile)
    print(
        f"gzip layer {through['layer']}: {through['entries']} entries, "
        f"{through['uncompressed_mb']:.0f} MB tar ({through['compressed_mb']:.0f} MB gzip), "
        f"median {through['median_s']:.2f} s: {through['mb_per_s']:.0f} MB/s decompressed, "
        f"{through['compressed_mb_per_s']:.0f} MB/s compressed; target "
        f"{THROUGHPUT_TARGET_MBS:.0f} MB/s: "
        f"{_verdict(float(through['mb_per_s']) >= THROUGHPUT_TARGET_MBS)}"  # type: ignore[arg-type]
    )

    big = big_image(folder, layers)
    memory = bench_memory(big)
    uncompressed = float(through["uncompressed_mb"]) * len(layers)  # type: ignore[arg-type]
    print(
        f"image of {len(layers)} gzip layers, ~{uncompressed:.0f} MB uncompressed "
        f"({memory['blobs_mb']:.0f} MB of blobs), {memory['files']} files: opened in "
        f"{memory['seconds']:.1f} s, peak memory {memory['peak_mb']:.0f} MB; target "
        f"< {MEMORY_TARGET_MB:.0f} MB: "
        f"{_verdict(float(memory['peak_mb']) < MEMORY_TARGET_MB)}"  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
