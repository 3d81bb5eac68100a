"""Time oidclint (and optionally checkov's GitHub OIDC checks) on a tree.

    python bench/run.py TREE [--runs 5] [--checkov] [--checkov-bin PATH]

Each run is a subprocess; its wall time, CPU time (user + sys) and peak RSS come from
os.wait4, so every number belongs to that one run. Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# checkov's two GitHub Actions OIDC checks for AWS: CKV_AWS_358 reads
# data "aws_iam_policy_document", CKV_AWS_393 reads aws_iam_role.assume_role_policy.
CHECKOV_OIDC_CHECKS = "CKV_AWS_358,CKV_AWS_393"
# Counts the JSON report may carry; printed when present.
OPTIONAL_COUNTS = ("files_parsed", "files_skipped", "files_cached")


@dataclass
class Run:
    wall: float
    cpu: float
    max_rss_mb: float
    report: dict = field(default_factory=dict)


def timed(cmd: list[str]) -> tuple[Run, bytes]:
    """Run cmd to completion, its stdout captured in a file (no pipe to drain)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr.decode()[-2000:]}")
    # ru_maxrss is in kilobytes on Linux.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024), stdout


def scan_options(oidclint: str) -> set[str]:
    """Which cache options this oidclint's `scan` accepts."""
    text = subprocess.run([oidclint, "scan", "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}).stdout
    return {opt for opt in ("--no-cache", "--cache-dir") if opt in text}


def oidclint_runs(oidclint: str, tree: Path, runs: int, warm: bool) -> dict[str, list[Run]]:
    options = scan_options(oidclint)
    base = [oidclint, "scan", str(tree), "--format", "json", "--fail-on", "never"]
    results: dict[str, list[Run]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="oidclint-bench-") as scratch:
        warm_cache = Path(scratch) / "warm"
        for i in range(runs):
            if "--cache-dir" in options:
                cold_cache = Path(scratch) / f"cold-{i}"
                cmd = base + ["--cache-dir", str(cold_cache)]
            elif "--no-cache" in options:
                cmd = base + ["--no-cache"]
            else:
                cmd = base  # no cache exists: every run is cold
            run, stdout = timed(cmd)
            run.report = json.loads(stdout)
            results["cold"].append(run)
            if "--cache-dir" in options:
                shutil.rmtree(cold_cache, ignore_errors=True)
        if warm:
            cmd = base + (["--cache-dir", str(warm_cache)] if "--cache-dir" in options else [])
            timed(cmd)  # fill the cache (and the OS page cache)
            for _ in range(runs):
                run, stdout = timed(cmd)
                run.report = json.loads(stdout)
                results["warm"].append(run)
    results["options"] = sorted(options)  # type: ignore[assignment]
    return results


def checkov_runs(checkov: str, tree: Path, runs: int) -> list[Run]:
    cmd = [checkov, "-d", str(tree), "--framework", "terraform", "--check", CHECKOV_OIDC_CHECKS,
           "--skip-download", "--quiet", "--compact", "-o", "json"]
    out = []
    for _ in range(runs):
        run, stdout = timed(cmd)
        report = json.loads(stdout or b"{}")
        reports = report if isinstance(report, list) else [report]
        failed = sum(r.get("summary", {}).get("failed", 0) for r in reports)
        passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
        run.report = {"findings": failed, "passed": passed}
        out.append(run)
    return out


def row(label: str, runs: list[Run], findings, files) -> str:
    median = lambda xs: statistics.median(xs)  # noqa: E731
    return (f"| {label} | {len(runs)} | {median([r.wall for r in runs]):.1f} | "
            f"{median([r.cpu for r in runs]):.1f} | {max(r.max_rss_mb for r in runs):.0f} | "
            f"{files} | {findings} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-only", action="store_true", help="skip the warm runs")
    parser.add_argument("--oidclint-bin", default=shutil.which("oidclint") or "oidclint")
    parser.add_argument("--checkov", action="store_true",
                        help=f"also time checkov restricted to {CHECKOV_OIDC_CHECKS}")
    parser.add_argument("--checkov-bin", default=shutil.which("checkov"))
    args = parser.parse_args(argv)

    results = oidclint_runs(args.oidclint_bin, args.tree, args.runs, not args.cold_only)
    first = results["cold"][0].report
    files = first.get("files_scanned", "?")
    lines = [f"Tree: `{args.tree}`; cache options detected: "
             f"{', '.join(results['options']) or 'none (every run is cold)'}", "",
             "| tool | runs | median wall (s) | median CPU (s) | peak RSS (MB) | files | findings |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in ("cold", "warm"):
        if results[kind]:
            lines.append(row(f"oidclint {kind}", results[kind],
                             len(results[kind][0].report.get("findings", [])), files))
    counts = {k: first.get(k, first.get("summary", {}).get(k)) for k in OPTIONAL_COUNTS}
    counts = {k: v for k, v in counts.items() if v is not None}
    if args.checkov:
        if not args.checkov_bin or not Path(args.checkov_bin).exists():
            lines.append("| checkov | - | not installed | | | | |")
        else:
            ckv = checkov_runs(args.checkov_bin, args.tree, args.runs)
            lines.append(row(f"checkov {CHECKOV_OIDC_CHECKS}", ckv,
                             ckv[0].report["findings"], "-"))
            ratio = (statistics.median(r.wall for r in ckv)
                     / statistics.median(r.wall for r in results["cold"]))
            cpu_ratio = (statistics.median(r.cpu for r in ckv)
                         / statistics.median(r.cpu for r in results["cold"]))
            lines += ["", f"checkov / oidclint cold: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU"]
    lines += ["", "Report counts: " + (", ".join(f"{k}={v}" for k, v in counts.items())
                                      or "no files_parsed/files_skipped in the JSON report")]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
