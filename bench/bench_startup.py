"""Start-up benchmark: how long `hullguard --version` takes, and where the time goes if too long.

Runs `hullguard --version` twice to warm the page cache, then 20 times measured, and prints the
minimum and median wall time. When the median is above the budget (0.15 s), it runs the same
command once under `python -X importtime` and prints the imports that cost the most.
Exit status: 0 within budget, 1 over it, 2 when hullguard cannot be started.

Usage::

    python bench/bench_startup.py
    python bench/bench_startup.py --runs 50 --profile     # always show the import profile
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_dockerfiles import hullguard_command

REPO = Path(__file__).resolve().parent.parent
BUDGET_S = 0.15


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    res = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    if res.returncode != 0:
        msg = res.stderr.decode(errors="replace").strip().splitlines()[-8:]
        raise RuntimeError(
            f"`{shlex.join(argv)}` exited {res.returncode}:\n" + "\n".join("    " + m for m in msg)
        )
    return wall


def importtime_argv(cmd: list[str]) -> list[str]:
    """The same start-up under `python -X importtime`, whichever way hullguard is started."""
    if len(cmd) == 1 and Path(cmd[0]).exists():
        script = Path(cmd[0])
        first = script.read_bytes().split(b"\n", 1)[0].decode(errors="replace")
        if first.startswith("#!") and "python" in first:  # a console-script wrapper
            interp = shlex.split(first[2:].strip())
            return [*interp, "-X", "importtime", str(script), "--version"]
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "hullguard"]:
        return [cmd[0], "-X", "importtime", *cmd[1:], "--version"]
    return [sys.executable, "-X", "importtime", "-m", "hullguard", "--version"]


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """(self µs, cumulative µs, depth, module) for each line of -X importtime output."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3:
            continue
        try:
            self_us, cum_us = int(parts[0]), int(parts[1])
        except ValueError:
            continue
        name = parts[2][1:] if parts[2].startswith(" ") else parts[2]
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((self_us, cum_us, depth, name.strip()))
    return rows


def show_profile(cmd: list[str], top: int) -> None:
    argv = importtime_argv(cmd)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    res = subprocess.run(argv, capture_output=True, text=True, env=env)
    rows = parse_importtime(res.stderr)
    if not rows:
        print(f"no import profile from `{shlex.join(argv)}`:\n{res.stderr[-2000:]}")
        return
    total = sum(r[0] for r in rows)
    print(
        f"\nimport profile of `{shlex.join(argv)}`: {len(rows)} modules, "
        f"{total / 1000:.1f} ms importing in all"
    )
    print(f"\n  heaviest top-level imports (cumulative ms; {top} shown)")
    for _self_us, cum_us, _depth, name in sorted(
        (r for r in rows if r[2] <= 1), key=lambda r: -r[1]
    )[:top]:
        print(f"    {cum_us / 1000:8.1f}  {name}")
    print(f"\n  heaviest single modules (own ms; {top} shown)")
    for self_us, _cum, _depth, name in sorted(rows, key=lambda r: -r[0])[:top]:
        print(f"    {self_us / 1000:8.1f}  {name}")
    by_pkg: dict[str, int] = {}
    for self_us, _cum, _depth, name in rows:
        by_pkg[name.split(".")[0]] = by_pkg.get(name.split(".")[0], 0) + self_us
    print(f"\n  by top-level package (own ms summed; {top} shown)")
    for pkg, us in sorted(by_pkg.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {us / 1000:8.1f}  {pkg}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="measured runs (default 20)")
    ap.add_argument("--warmup", type=int, default=2, help="unmeasured runs first (default 2)")
    ap.add_argument(
        "--budget", type=float, default=BUDGET_S, help="seconds the median may take (default 0.15)"
    )
    ap.add_argument(
        "--hullguard", help="command that starts hullguard (default: .venv/bin/hullguard)"
    )
    ap.add_argument(
        "--profile", action="store_true", help="show the import profile even within budget"
    )
    ap.add_argument("--top", type=int, default=15, help="rows per profile table (default 15)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    cmd = hullguard_command(args.hullguard)
    run = [*cmd, "--version"]
    try:
        for _ in range(args.warmup):
            time_once(run)
        times = [time_once(run) for _ in range(args.runs)]
    except (OSError, RuntimeError) as exc:
        print(f"bench_startup: hullguard cannot be started: {exc}", file=sys.stderr)
        return 2
    median = statistics.median(times)
    print(f"`{shlex.join(run)}`: {args.runs} runs after {args.warmup} warm-ups")
    print(
        f"  min {min(times):.3f} s   median {median:.3f} s   max {max(times):.3f} s   "
        f"budget {args.budget:.3f} s"
    )
    over = median > args.budget
    print("  OVER BUDGET" if over else "  within budget")
    if over or args.profile:
        show_profile(cmd, args.top)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
