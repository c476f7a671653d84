"""Live audit benchmark: `hullguard host` over 200 containers on a real, private Docker daemon.

Starts a private dockerd (tests/live/daemon.py: vfs, private socket, no host networking), builds
a busybox image offline, creates N containers (default 200; created, not started) in a mix of
configurations (privileged, socket and host-path mounts, added capabilities, host namespaces,
hardened ones), then runs N rounds of one process each:

    hullguard host --docker-host unix://<private socket> --root <empty folder>
                   --format json --output /dev/null --fail-on never

and prints, per round and as medians: containers audited, wall seconds, containers per second,
peak memory (the child's maximum resident set size) and CPU seconds. An empty `--root` keeps the
figure about the daemon and its containers; `--root /` adds this machine's files. Before the
timed rounds one run keeps its report, to check that every container was read. The containers
are removed and the daemon stopped at the end. Needs root, Debian's docker.io and
busybox-static. The target is 200 containers in under 5 seconds.

Usage::

    python bench/bench_host.py                  # 200 containers, 3 rounds
    python bench/bench_host.py --containers 500 --rounds 5 --root /
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO))

from bench_dockerfiles import RESULTS_DIR, Measure, machine, measure  # noqa: E402
from tests.live.daemon import DockerDaemon, start_docker_daemon  # noqa: E402

IMAGE = "hullguard-bench/busybox:1"
DOCKERFILE = (
    "FROM scratch\n"
    "COPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    'CMD ["sleep", "3600"]\n'
)
# A mix of what an estate holds; container i gets CONFIGURATIONS[i % len].
CONFIGURATIONS: tuple[tuple[str, ...], ...] = (
    (),
    ("--privileged",),
    ("-v", "/var/run/docker.sock:/var/run/docker.sock"),
    ("-v", "/etc:/host/etc:ro", "-v", "data:/data"),
    ("--cap-add=SYS_ADMIN", "--cap-add=NET_ADMIN"),
    ("--pid=host",),
    ("--security-opt=seccomp=unconfined", "-e", "MODE=debug"),
    ("--user=10001:10001", "--read-only", "--cap-drop=ALL",
     "--security-opt=no-new-privileges", "--memory=64m", "--pids-limit=100"),
)  # fmt: skip


def create_containers(daemon: DockerDaemon, count: int) -> list[str]:
    names = [f"bench-{i:04d}" for i in range(count)]

    def create(index: int) -> None:
        options = CONFIGURATIONS[index % len(CONFIGURATIONS)]
        daemon.docker("create", "--name", names[index], "--network=none", *options, IMAGE)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(count)))
    return names


def remove_containers(daemon: DockerDaemon, names: list[str]) -> None:
    for start in range(0, len(names), 100):
        daemon.docker("rm", "--force", "--volumes", *names[start : start + 100], check=False)


def host_argv(daemon: DockerDaemon, root: Path, output: str) -> list[str]:
    return [
        sys.executable, "-m", "hullguard", "host",
        "--docker-host", daemon.host, "--root", str(root),
        "--format", "json", "--output", output, "--fail-on", "never",
    ]  # fmt: skip


def check_report(daemon: DockerDaemon, root: Path, work: Path, expected: int) -> int:
    """One run with its report kept: the number of containers read (every one, or it fails)."""
    report_path = work / "report.json"
    result = measure(
        host_argv(daemon, root, str(report_path)), stdout=None, stderr=work / "err", cwd=REPO
    )
    if result.exit_code != 0:
        raise SystemExit(f"hullguard host exited {result.exit_code}: {(work / 'err').read_text()}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    read = [
        t
        for t in report["targets"]
        if t["kind"] == "container" and t["path"].startswith("container/bench-")
    ]
    if len(read) != expected or any(t["status"] != "ok" for t in read):
        raise SystemExit(f"expected {expected} containers read, the report has {read[:3]}...")
    print(f"check: {len(read)} containers read, {len(report['findings'])} findings, "
          f"{len(report['errors'])} error entries")  # fmt: skip
    return len(read)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--containers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--root", type=Path, help="root filesystem to audit (default: empty)")
    args = parser.parse_args(argv)

    daemon = start_docker_daemon()
    names: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-host-") as folder:
            work = Path(folder)
            root = args.root or (work / "root")
            root.mkdir(exist_ok=True)
            daemon.build_busybox_image(IMAGE, DOCKERFILE)
            started = time.perf_counter()
            names = create_containers(daemon, args.containers)
            took = time.perf_counter() - started
            engine = daemon.docker("version", "--format", "{{.Server.Version}}").stdout.strip()
            print(f"created {len(names)} containers in {took:.1f}s on dockerd {engine}")
            count = check_report(daemon, root, work, len(names))
            rounds: list[Measure] = []
            print(f"{'round':>5} {'containers':>10} {'wall s':>8} {'ctr/s':>8} "
                  f"{'peak MiB':>9} {'cpu s':>7}")  # fmt: skip
            for index in range(args.rounds):
                result = measure(
                    host_argv(daemon, root, "/dev/null"), stdout=None, stderr=work / "err", cwd=REPO
                )
                rounds.append(result)
                rate, cpu = count / result.wall, result.user + result.sys
                print(f"{index + 1:>5} {count:>10} {result.wall:>8.2f} {rate:>8.0f} "
                      f"{result.peak_kib / 1024:>9.1f} {cpu:>7.2f}")  # fmt: skip
            wall = statistics.median(r.wall for r in rounds)
            peak = statistics.median(r.peak_kib for r in rounds) / 1024
            verdict = "met" if wall < 5 else "NOT met"
            print(f"median: {count} containers in {wall:.2f}s ({count / wall:.0f}/s), "
                  f"peak {peak:.1f} MiB; target under 5 s: {verdict}")  # fmt: skip
            RESULTS_DIR.mkdir(exist_ok=True)
            out = RESULTS_DIR / f"host-{time.strftime('%Y%m%d-%H%M%S')}.json"
            out.write_text(
                json.dumps(
                    {
                        "benchmark": "host",
                        "machine": machine(),
                        "containers": count,
                        "root": str(args.root or "(empty)"),
                        "rounds": [r.__dict__ for r in rounds],
                        "median_wall": wall,
                        "median_peak_mib": peak,
                    },
                    indent=2,
                )
                + "\n",
                encoding="utf-8",
            )
            print(f"results: {out.relative_to(REPO)}")
    finally:
        if names:
            remove_containers(daemon, names)
        daemon.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
