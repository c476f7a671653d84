"""Runtime-configuration benchmark: hullguard on Compose files and Kubernetes manifests, beside
Checkov on the Kubernetes set.

Builds the two generated sets (bench/corpus_runtime.py) if they are missing, installs Checkov
into bench/.venv if it is missing (never into the project's .venv), then runs N rounds; in each
round, one process per command:

    hullguard scan .corpus/compose    --format json --output /dev/null --fail-on never
    hullguard scan .corpus/kubernetes --format json --output /dev/null --fail-on never
    checkov -d . --framework kubernetes --skip-download --quiet -o json  (in .corpus/kubernetes)

Checkov has no Compose support, so the Compose set is hullguard's alone. Checkov's Kubernetes
runner leaves out every folder whose path holds a part starting with a dot (such as `.corpus`),
so it is started inside the set's folder and given `-d .`.

The rounds are interleaved (compose, kubernetes, checkov; then again), so that a noisy moment
on a shared machine falls on all of them alike. Printed per round and as medians: files, wall
seconds, files per second, peak memory (the child's maximum resident set size from os.wait4),
tree memory (sampled sum over the child and its descendants; Checkov forks workers) and CPU
seconds; then hullguard's ratio to Checkov on the Kubernetes set. Before the timed rounds,
hullguard runs once per set with its report kept, to count the files it read, its findings, and
its error entries (a valid corpus file should give none; those found are listed).

Usage::

    python bench/bench_runtime.py                     # 3 rounds, both sets, hullguard and Checkov
    python bench/bench_runtime.py --rounds 5 --tools hullguard --sets kubernetes
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import corpus_runtime  # noqa: E402  (sibling modules, found through the path set above)
from bench_dockerfiles import (  # noqa: E402
    HEADER,
    RESULTS_DIR,
    BenchError,
    Measure,
    ToolResult,
    check_hullguard,
    checkov_argv,
    ensure_competitors,
    hullguard_command,
    machine,
    machine_line,
    measure,
    package_version,
    print_summary,
    row,
    scan_argv,
    tail,
    to_round,
)

ALL_TOOLS = ("hullguard", "checkov")
TARGET_FILES_PER_S = 500
SET_WIDTH = 11


def own_rss_mib() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def print_round(set_name: str, res: ToolResult, i: int) -> None:
    r = res.rounds[-1]
    line = row(res.name, str(i), r.files, r.wall, r.files_per_s, r.peak_mib, r.tree_mib, r.cpu_s)
    print(f"{set_name:<{SET_WIDTH}}{line}", flush=True)


# Reports are read in a child process: Checkov's runs to hundreds of MiB once parsed, and this
# process must stay small, for a child's peak memory starts at the parent's (see reset_peak_rss).
_SUMMARIZE = r"""
import json, sys
from collections import Counter
tool, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as fh:
    data = json.load(fh)
if tool == "hullguard":
    status = Counter((t.get("kind"), t.get("status")) for t in data.get("targets", []))
    errors = data.get("errors", [])
    out = {
        "status": [[k, s, n] for (k, s), n in sorted(status.items(), key=str)],
        "findings": len(data.get("findings", [])),
        "errors": len(errors),
        "error_files": len({e.get("path") for e in errors}),
        "error_examples": errors[:8],
    }
else:
    report = data[0] if isinstance(data, list) else data
    summary = report.get("summary", report)
    out = {
        "resources": int(summary.get("resource_count", 0)),
        "parsing_errors": int(summary.get("parsing_errors", 0)),
        "failed": int(summary.get("failed", 0)),
    }
print(json.dumps(out))
"""


def summarize(tool: str, report: Path) -> dict[str, Any]:
    """The few figures wanted from a report, read by a child process."""
    res = subprocess.run(
        [sys.executable, "-c", _SUMMARIZE, tool, str(report)], capture_output=True, text=True
    )
    if res.returncode != 0:
        raise ValueError(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "?")
    summary: dict[str, Any] = json.loads(res.stdout)
    return summary


def check_hullguard_set(
    res: ToolResult, cmd: list[str], which: str, root: Path, n_files: int, work: Path
) -> None:
    """One untimed scan with the report kept: the files hullguard read as `which`, its findings
    and its error entries (printed). Raises BenchError if it cannot run at all."""
    report = work / f"hullguard-{which}.json"
    argv = scan_argv(cmd, root, str(report))
    err = work / f"hullguard-{which}.check.err"
    m = measure(argv, stdout=None, stderr=err, cwd=work)
    # exit 2 means a target could not be read at all; the report still says which
    if m.exit_code not in (0, 2):
        raise BenchError(f"`{shlex.join(argv)}` exited {m.exit_code}:\n{tail(err)}")
    try:
        data = summarize("hullguard", report)
    except (OSError, ValueError) as exc:
        raise BenchError(f"hullguard wrote no readable report for the {which} set ({exc})") from exc
    status = {(k, s): n for k, s, n in data["status"]}
    ok = status.get((which, "ok"), 0)
    res.findings = data["findings"]
    res.parse_errors = data["error_files"]
    notes = [f"{data['errors']} error entries"]
    if m.exit_code == 2:
        notes.append("exit status 2 (a target could not be read)")
    others = [f"{k} {s}: {n}" for (k, s), n in status.items() if (k, s) != (which, "ok")]
    if others:
        notes.append("targets " + ", ".join(others))
    if ok != n_files:
        notes.append(f"read {ok} of the {n_files} corpus files as {which}")
    res.note = "; ".join(notes)
    if data["errors"]:
        print(f"hullguard reports {data['errors']} error entries on the {which} set, for example:")
        for e in data["error_examples"]:
            print(f"    {e.get('path')}:{e.get('line')}: {e.get('message')}")


def timed_run(
    which: str, tool: str, i: int, hg_cmd: list[str], root: Path, work: Path, res: ToolResult
) -> Measure:
    """One timed process over one set."""
    name = f"{tool}.{which}.{i}"
    err = work / f"{name}.err"
    if tool == "hullguard":
        m = measure(scan_argv(hg_cmd, root, os.devnull), stdout=None, stderr=err, cwd=work)
        if m.exit_code not in (0, 2):
            raise BenchError(
                f"hullguard on the {which} set, round {i + 1}, exited {m.exit_code}:\n{tail(err)}"
            )
        return m
    out = work / f"{name}.json"
    m = measure(checkov_argv(Path("."), "kubernetes"), stdout=out, stderr=err, cwd=root)
    if m.exit_code not in (0, 1):  # 1 means failed checks
        raise BenchError(f"checkov exited {m.exit_code}:\n{tail(err)}")
    if i == 0:
        read_checkov(res, out, err)
    return m


def read_checkov(res: ToolResult, out: Path, err: Path) -> None:
    try:
        summary = summarize("checkov", out)
    except (OSError, ValueError) as exc:
        raise BenchError(f"checkov wrote no readable JSON report ({exc}):\n{tail(err)}") from exc
    resources = summary["resources"]
    res.parse_errors = summary["parsing_errors"]
    res.findings = summary["failed"]
    if resources == 0:
        raise BenchError("checkov found no Kubernetes resources in the set:\n" + tail(err))
    res.note = f"{resources} resources; files/s over the corpus files"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    ap.add_argument(
        "--tools", default=",".join(ALL_TOOLS), help="comma-separated subset of hullguard,checkov"
    )
    ap.add_argument(
        "--sets",
        default=",".join(corpus_runtime.SETS),
        help="comma-separated subset of compose,kubernetes",
    )
    ap.add_argument(
        "--corpus",
        type=Path,
        default=corpus_runtime.DEFAULT_ROOT,
        help="corpus root (default bench/.corpus)",
    )
    ap.add_argument("--seed", type=int, default=corpus_runtime.DEFAULT_SEED, help="corpus seed")
    ap.add_argument(
        "--compose-files",
        type=int,
        default=corpus_runtime.DEFAULT_COMPOSE_FILES,
        help="compose files in the corpus",
    )
    ap.add_argument(
        "--kubernetes-files",
        type=int,
        default=corpus_runtime.DEFAULT_KUBERNETES_FILES,
        help="manifest files in the corpus",
    )
    ap.add_argument(
        "--hullguard", help="command that starts hullguard (default: .venv/bin/hullguard)"
    )
    ap.add_argument("--no-install", action="store_true", help="fail instead of installing Checkov")
    ap.add_argument(
        "--json", type=Path, help="also write the results here (default: bench/results/…)"
    )
    args = ap.parse_args(argv)

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not tools or any(t not in ALL_TOOLS for t in tools):
        ap.error(f"--tools takes a subset of {','.join(ALL_TOOLS)}; got {args.tools!r}")
    if not sets or any(s not in corpus_runtime.SETS for s in sets):
        ap.error(f"--sets takes a subset of {','.join(corpus_runtime.SETS)}; got {args.sets!r}")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    targets = {
        corpus_runtime.COMPOSE: args.compose_files,
        corpus_runtime.KUBERNETES: args.kubernetes_files,
    }

    # (set, tool) pairs in the order of each round; Checkov only where it reads the format
    runs = [
        (s, t)
        for s in sets
        for t in tools
        if t == "hullguard" or (t == "checkov" and s == corpus_runtime.KUBERNETES)
    ]
    if not runs:
        ap.error("nothing to run: Checkov has no Compose support")

    results: dict[tuple[str, str], ToolResult] = {}
    manifests: dict[str, dict[str, object]] = {}
    files: dict[str, int] = {}
    try:
        hg_cmd = hullguard_command(args.hullguard)
        hg_version = check_hullguard(hg_cmd) if "hullguard" in tools else ""
        roots = {}
        for which in sets:
            roots[which] = corpus_runtime.ensure(args.corpus, which, args.seed, targets[which])
            files[which] = len(corpus_runtime.list_files(args.corpus, which))
            manifests[which] = json.loads(
                corpus_runtime.manifest_path(args.corpus, which).read_text()
            )
        if any(t == "checkov" for _, t in runs):
            ensure_competitors(["checkov"], install=not args.no_install)

        for which in sets:
            m = manifests[which]
            extra = (
                f", {m['multi_document_files']} multi-document"
                if "multi_document_files" in m
                else ""
            )
            print(
                f"{which} set: {files[which]} files in {m['folders']} folders, {m['lines']} lines, "
                f"{int(m['bytes']) / 1048576:.1f} MiB{extra}, seed {args.seed}: {roots[which]}"
            )
        print(machine_line(args.rounds))
        print(
            f"this process: {own_rss_mib():.0f} MiB resident; no child's peak can read lower "
            "(a child's ru_maxrss starts at its parent's size)"
        )
        print()

        with tempfile.TemporaryDirectory(prefix="hullguard-bench-") as tmp:
            work = Path(tmp)
            for which, tool in runs:
                root = roots[which]
                if tool == "hullguard":
                    command = shlex.join(scan_argv(hg_cmd, root, os.devnull))
                    res = ToolResult("hullguard", hg_version, command)
                    check_hullguard_set(res, hg_cmd, which, root, files[which], work)
                else:
                    command = f"cd {shlex.quote(str(root))} && " + shlex.join(
                        checkov_argv(Path("."), "kubernetes")
                    )
                    res = ToolResult("checkov", package_version("checkov"), command)
                results[(which, tool)] = res

            print(f"{'set':<{SET_WIDTH}}{HEADER}", flush=True)
            for i in range(args.rounds):
                for which, tool in runs:
                    res = results[(which, tool)]
                    m = timed_run(which, tool, i, hg_cmd, roots[which], work, res)
                    # files per second over the corpus files, the same for every tool
                    res.rounds.append(to_round(files[which], m))
                    print_round(which, res, i + 1)
    except BenchError as exc:
        print(f"bench_runtime: {exc}", file=sys.stderr)
        return 2

    for which in sets:
        group = [results[(s, t)] for s, t in runs if s == which]
        print()
        print(f"== {which} set ({files[which]} files) ==")
        print_summary(group)
        if which == corpus_runtime.COMPOSE and "checkov" in tools:
            print("    (Checkov has no Compose support)")
    print()
    print(f"target: at least {TARGET_FILES_PER_S} files per second in one process")
    for (which, tool), res in results.items():
        if tool == "hullguard" and res.rounds:
            fps = res.median("files_per_s")
            verdict = "met" if fps >= TARGET_FILES_PER_S else "NOT met"
            print(f"  {which:<11} {fps:8.1f} files/s  {verdict}")

    out = args.json or RESULTS_DIR / f"runtime-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "corpus": {w: {**manifests[w], "path": str(args.corpus / w)} for w in sets},
                "machine": machine(),
                "rounds": args.rounds,
                "sets": {w: [asdict(results[(s, t)]) for s, t in runs if s == w] for w in sets},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
