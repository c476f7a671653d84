"""Vulnerability database benchmark: `hullguard db import` of all the shared data, and its size.

Imports every set of ../shared/data/vuln (PyPI and Go in OSV, the Alpine secdb of every branch,
Debian bookworm and bullseye OVAL) into a fresh database, N rounds (default 3), one process
each:

    hullguard db import --db <fresh folder>/vuln.db --config <empty file> <data folder>

and prints per round and as medians: wall seconds, CPU seconds (user + system), peak memory
(the child's maximum resident set size), and the database's size and record count. Then, in
this process, the time of one `VulnDB.lookup` on a freshly opened database (median of 5
openings): the 63 source packages of a minbase bookworm image, and the 100 packages with the
most entries as a worst case. The target is an import under 30 s.
Wall time on a shared machine includes waiting for a CPU; the CPU column does not.

Usage::

    python bench/bench_vuln_db.py                 # 3 rounds
    python bench/bench_vuln_db.py --rounds 5 --data ../shared/data/vuln
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO / "src"))

from bench_dockerfiles import RESULTS_DIR, hullguard_command, machine, measure, tail  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "vuln"
TARGET_S = 30.0
# The source packages of a `debootstrap --variant=minbase bookworm` root filesystem (its
# /var/lib/dpkg/status, `Source:` else `Package:`): what a scan of that image looks up.
MINBASE_SOURCES = (
    "acl",
    "adduser",
    "apt",
    "attr",
    "audit",
    "base-files",
    "base-passwd",
    "bash",
    "bzip2",
    "cdebconf",
    "coreutils",
    "dash",
    "db5.3",
    "debconf",
    "debian-archive-keyring",
    "debianutils",
    "diffutils",
    "dpkg",
    "e2fsprogs",
    "findutils",
    "gcc-12",
    "glibc",
    "gmp",
    "gnupg2",
    "gnutls28",
    "grep",
    "gzip",
    "hostname",
    "init-system-helpers",
    "libcap-ng",
    "libcap2",
    "libffi",
    "libgcrypt20",
    "libgpg-error",
    "libidn2",
    "libmd",
    "libseccomp",
    "libselinux",
    "libsemanage",
    "libsepol",
    "libtasn1-6",
    "libunistring",
    "libxcrypt",
    "libzstd",
    "lz4",
    "mawk",
    "ncurses",
    "nettle",
    "p11-kit",
    "pam",
    "pcre2",
    "perl",
    "sed",
    "shadow",
    "systemd",
    "sysvinit",
    "tar",
    "tzdata",
    "usrmerge",
    "util-linux",
    "xxhash",
    "xz-utils",
    "zlib",
)


@dataclass
class Round:
    wall: float
    cpu_s: float
    peak_mib: float
    size_mb: float
    records: int
    exit_code: int


def one_round(cmd: list[str], data: Path, work: Path) -> Round:
    db = work / "vuln.db"
    config = work / "empty.toml"
    config.write_text("")
    argv = [*cmd, "db", "import", "--db", str(db), "--config", str(config), str(data)]
    stderr = work / "stderr.txt"
    result = measure(argv, stdout=work / "stdout.txt", stderr=stderr, cwd=work)
    if result.exit_code != 0 or not db.exists():
        raise SystemExit(f"`{' '.join(argv)}` exited {result.exit_code}:\n{tail(stderr)}")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as raw:
        records = int(raw.execute("SELECT count(*) FROM advisories").fetchone()[0])
    raw.close()
    return Round(
        wall=result.wall,
        cpu_s=result.user + result.sys,
        peak_mib=result.peak_kib / 1024,
        size_mb=db.stat().st_size / 1e6,
        records=records,
        exit_code=result.exit_code,
    )


def lookup_ms(db: Path, names: list[str], openings: int = 5) -> tuple[float, int]:
    """Median milliseconds of one Debian:12 lookup of `names` on a freshly opened database."""
    from hullguard.vuln.store import VulnDB

    times: list[float] = []
    hits = 0
    for _ in range(openings):
        with VulnDB.open(db) as database:
            start = time.perf_counter()
            found = database.lookup("Debian:12", names)
            times.append((time.perf_counter() - start) * 1000)
            hits = sum(len(v) for v in found.values())
    return statistics.median(times), hits


def heaviest(db: Path, count: int = 100) -> list[str]:
    """The Debian:12 packages with the most entries (linux, chromium...): a worst case."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as raw:
        rows = raw.execute(
            "SELECT package FROM affected WHERE ecosystem = 'Debian:12'"
            " GROUP BY package ORDER BY count(*) DESC LIMIT ?",
            (count,),
        ).fetchall()
    raw.close()
    return [row[0] for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--hullguard", help="how to start hullguard (default: the venv's)")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no shared data at {args.data}", file=sys.stderr)
        return 2
    cmd = hullguard_command(args.hullguard)
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="bench-vuln-") as tmp:
        print(f"importing {args.data} ({args.rounds} rounds)")
        print(
            f"{'round':>5} {'wall s':>8} {'cpu s':>7} {'peak MiB':>9} {'size MB':>8} {'records':>8}"
        )
        for number in range(1, args.rounds + 1):
            work = Path(tmp) / f"round-{number}"
            work.mkdir()
            r = one_round(cmd, args.data, work)
            rounds.append(r)
            print(
                f"{number:>5} {r.wall:>8.2f} {r.cpu_s:>7.2f} {r.peak_mib:>9.1f} "
                f"{r.size_mb:>8.1f} {r.records:>8}"
            )
        med = {k: statistics.median(getattr(r, k) for r in rounds) for k in ("wall", "cpu_s")}
        last = Path(tmp) / f"round-{args.rounds}" / "vuln.db"
        minbase = lookup_ms(last, list(MINBASE_SOURCES))
        worst = lookup_ms(last, heaviest(last))
    peak = statistics.median(r.peak_mib for r in rounds)
    print(
        f"median: import {med['wall']:.2f} s wall, {med['cpu_s']:.2f} s CPU, {peak:.0f} MiB peak; "
        f"database {rounds[-1].size_mb:.1f} MB, {rounds[-1].records} records "
        f"(target: import under {TARGET_S:.0f} s)"
    )
    print(
        f"lookup of the {len(MINBASE_SOURCES)} source packages of a minbase bookworm image: "
        f"{minbase[0]:.1f} ms ({minbase[1]} entries); of the 100 Debian:12 packages with the "
        f"most entries: {worst[0]:.1f} ms ({worst[1]} entries)"
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"vuln-db-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "data": str(args.data),
                "rounds": [asdict(r) for r in rounds],
                "median_wall_s": med["wall"],
                "median_cpu_s": med["cpu_s"],
                "lookup_minbase_ms": minbase[0],
                "lookup_minbase_entries": minbase[1],
                "lookup_heaviest100_ms": worst[0],
                "lookup_heaviest100_entries": worst[1],
            },
            indent=2,
        )
    )
    print(f"results: {out.relative_to(REPO)}")
    return 0 if med["wall"] < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
