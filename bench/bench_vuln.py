"""Vulnerability matching benchmark: the real Debian image against the full database.

1. The database: every shared data set (../shared/data/vuln: PyPI and Go OSV records, the Alpine
   secdb of every branch, Debian bookworm and bullseye OVAL) imported once into the bench cache
   folder (`$HULLGUARD_TEST_CACHE`, else `~/.cache/hullguard-tests/`, beside the Debian image);
   `--rebuild` imports it again. Its import time (when built) and size are printed.
2. Matching: the Debian bookworm minbase image's packages (open_image and the inventory, not
   timed) matched against that database with `hullguard.vuln.match.match`, the database opened
   once: median of `--rounds` runs, and the first run alone. Target: under 0.2 s.
3. End to end: `hullguard image oci:<layout>:bookworm --db <database> --format json` as a child
   process with a warm database (the page cache holds it after a first, untimed run): median
   wall time of `--rounds` runs, and each child's peak memory (ru_maxrss from wait4). Target:
   under 1.5 s.

The Debian image is the one of bench/bench_image.py and tests/live/images.py (debootstrap,
`docker import` into a private daemon, `docker save`, `skopeo copy`), built there once.

Usage::

    python bench/bench_vuln.py [--rounds 7] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_image import debian_oci  # noqa: E402
from tests.live import images  # noqa: E402

from hullguard.image.inventory import inventory  # noqa: E402
from hullguard.image.sources import open_image  # noqa: E402
from hullguard.vuln.match import match  # noqa: E402
from hullguard.vuln.scan import image_package_set  # noqa: E402
from hullguard.vuln.store import VulnDB  # noqa: E402

SHARED_VULN = REPO.parent / "shared" / "data" / "vuln"
MATCH_TARGET_S = 0.2
END_TO_END_TARGET_S = 1.5


def full_database(rebuild: bool) -> tuple[Path, float | None]:
    """The database of every shared data set, and its import time when it was built now (by
    `hullguard db import` in a child process, so that this process stays small)."""
    path = images.recipe_folder() / "bench" / "vuln.db"
    if path.is_file() and not rebuild:
        return path, None
    if not SHARED_VULN.is_dir():
        raise SystemExit(f"{SHARED_VULN} is absent: the shared vulnerability data is needed")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "hullguard", "db", "import", "--db", str(path), "-q"]
    started = time.perf_counter()
    done = subprocess.run([*command, str(SHARED_VULN)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if not path.is_file():
        raise SystemExit(f"`hullguard db import` failed ({done.returncode}): {done.stderr[-2000:]}")
    return path, seconds


def bench_match(db_path: Path, ref: str, rounds: int) -> dict[str, float | int]:
    result = open_image(ref)
    assert result.contents is not None, result.errors
    found, _ = inventory(result.contents)
    package_set = image_package_set(result.contents, found)
    refs = [p.ref for p in package_set.packages]
    times: list[float] = []
    matches = 0
    with VulnDB.open(db_path) as db:
        for _ in range(rounds + 1):
            started = time.perf_counter()
            matched = match(db, refs)
            times.append(time.perf_counter() - started)
            matches = len(matched.matches)
    first, rest = times[0], times[1:]
    return {
        "packages": len(refs),
        "sources": len({(r.ecosystem, r.name) for r in refs}),
        "matches": matches,
        "first_s": first,
        "median_s": statistics.median(rest),
        "min_s": min(rest),
    }


def _run_child(command: list[str]) -> tuple[float, float, int, float]:
    """(wall seconds, peak memory MB, exit code, CPU seconds) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.stderr is not None:
        child.stderr.close()
    return seconds, usage.ru_maxrss / 1024, child.returncode, usage.ru_utime + usage.ru_stime


def bench_end_to_end(db_path: Path, ref: str, rounds: int) -> dict[str, float]:
    command = [
        sys.executable, "-m", "hullguard", "image", ref, "--db", str(db_path),
        "--format", "json", "--fail-on", "never", "--quiet",
    ]  # fmt: skip
    _, _, code, _ = _run_child(command)  # warms the page cache; not timed
    if code != 0:
        raise SystemExit(f"`{' '.join(command)}` exited {code}")
    runs = [_run_child(command) for _ in range(rounds)]
    walls = [wall for wall, _, _, _ in runs]
    peaks = [peak for _, peak, _, _ in runs]
    return {
        "cpu_s": statistics.median(cpu for _, _, _, cpu in runs),
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "peak_mb": statistics.median(peaks),
        "peak_max_mb": max(peaks),
    }


def _verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="import the database again")
    args = parser.parse_args()

    db_path, import_s = full_database(args.rebuild)
    size_mb = db_path.stat().st_size / 1e6
    with VulnDB.open(db_path) as db:
        records = db.status().records
    built = f"imported in {import_s:.1f} s" if import_s is not None else "reused from the cache"
    print(f"database {db_path}: {records} records, {size_mb:.1f} MB, {built}")

    ref = f"oci:{debian_oci()}:{images.OCI_TAG}"
    # End to end first: a child's peak memory (ru_maxrss) starts from this process's size at
    # the fork, so it is measured while this process is still small.
    end = bench_end_to_end(db_path, ref, args.rounds)
    matched = bench_match(db_path, ref, args.rounds)
    print(
        f"matching the Debian bookworm image's {matched['packages']} packages "
        f"({matched['sources']} source packages, {matched['matches']} matches): median "
        f"{matched['median_s']:.3f} s (min {matched['min_s']:.3f} s, first run "
        f"{matched['first_s']:.3f} s) over {args.rounds} runs; target < {MATCH_TARGET_S} s: "
        f"{_verdict(matched['median_s'] < MATCH_TARGET_S)}"
    )
    print(
        f"hullguard image {ref} --db (warm): median {end['median_s']:.2f} s "
        f"(min {end['min_s']:.2f} s, CPU {end['cpu_s']:.2f} s) over {args.rounds} runs, peak "
        f"memory median {end['peak_mb']:.0f} MB (max {end['peak_max_mb']:.0f} MB); target "
        f"< {END_TO_END_TARGET_S} s: {_verdict(end['median_s'] < END_TO_END_TARGET_S)}"
    )


if __name__ == "__main__":
    main()
