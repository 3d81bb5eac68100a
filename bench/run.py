"""Time oidclint (and optionally checkov's GitHub OIDC checks) on a tree.

    python bench/run.py TREE [--runs 5] [--checkov] [--checkov-bin PATH]

Each run is a subprocess; its wall time, CPU time (user + sys) and peak RSS come from
os.wait4, so every number belongs to that one run. Prints a Markdown table of medians.

Scenarios: cold (an empty cache folder per run), warm (the tree unchanged since the last
scan), and two edits a pre-commit hook sees: a file that cannot matter to web identity
(an alarms file of a module with no OIDC role) and one that can (a file of a module with a
GitHub OIDC trust). An edit appends a comment line; the file is restored afterwards.
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
import threading
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
    tree_pss_mb: float | None = None
    """Peak proportional set size of the process and its workers together (Linux)."""


def timed(cmd: list[str], memory: bool = False) -> tuple[Run, bytes]:
    """Run cmd to completion, its stdout captured in a file (no pipe to drain); with
    ``memory``, the PSS of its process tree is sampled (and the time is not to be used)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        sampler = TreeMemory(proc.pid)
        if memory:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if memory:
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr.decode()[-2000:]}")
    # ru_maxrss is in kilobytes on Linux, and is that of the largest single process.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               tree_pss_mb=sampler.peak_mb), stdout


class TreeMemory(threading.Thread):
    """Samples, every 50 ms, the summed PSS (shared pages split between the processes that
    share them, so forked workers are not counted twice) of a process and its descendants.
    Reading PSS walks the page tables of the process read and slows it, so memory is
    measured in runs of its own, never in the timed ones."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.available = Path("/proc/self/smaps_rollup").exists()
        self._done = threading.Event()

    @property
    def peak_mb(self) -> float | None:
        return self.peak_kb / 1024 if self.available and self.peak_kb else None

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while self.available and not self._done.wait(0.05):
            self.peak_kb = max(self.peak_kb, sum(map(_pss_kb, self._tree())))

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as handle:
                        fields = handle.read().rsplit(b")", 1)[1].split()
                    parents[int(entry.name)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            frontier = [pid for pid, parent in parents.items() if parent in frontier]
            tree += frontier
        return tree


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def scan_options(oidclint: str) -> set[str]:
    """Which cache options this oidclint's `scan` accepts."""
    text = subprocess.run([oidclint, "scan", "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}).stdout
    return {opt for opt in ("--no-cache", "--cache-dir") if opt in text}


def oidclint_runs(oidclint: str, tree: Path, runs: int, warm: bool,
                  jobs: int | None = None) -> dict[str, list[Run]]:
    """``runs`` timed runs per scenario, then one more whose memory is sampled (its peak
    PSS is put on the first timed run)."""
    options = scan_options(oidclint)
    base = [oidclint, "scan", str(tree), "--format", "json", "--fail-on", "never"]
    if jobs is not None:
        base += ["--jobs", str(jobs)]
    results: dict[str, list[Run]] = {name: [] for name in SCENARIOS}
    with tempfile.TemporaryDirectory(prefix="oidclint-bench-") as scratch:
        def cold(i: int) -> list[str]:
            if "--cache-dir" in options:
                shutil.rmtree(Path(scratch) / "cold", ignore_errors=True)
                return base + ["--cache-dir", str(Path(scratch) / "cold")]
            return base + (["--no-cache"] if "--no-cache" in options else [])

        for i in range(runs + 1):
            run, stdout = timed(cold(i), memory=i == runs)
            if i < runs:
                run.report = json.loads(stdout)
                results["cold"].append(run)
            else:
                results["cold"][0].tree_pss_mb = run.tree_pss_mb
        if warm:
            warm_cache = Path(scratch) / "warm"
            cmd = base + (["--cache-dir", str(warm_cache)] if "--cache-dir" in options else [])
            timed(cmd)  # fill the cache (and the OS page cache)
            # Files whose times are within 2 s of the scan that recorded them are read
            # again (as git does with racy files): let the first scan's start age.
            time.sleep(2.5)
            timed(cmd)
            for i in range(runs + 1):
                run, stdout = timed(cmd, memory=i == runs)
                if i < runs:
                    run.report = json.loads(stdout)
                    results["warm"].append(run)
                else:
                    results["warm"][0].tree_pss_mb = run.tree_pss_mb
            for scenario, target in (("warm, other file edited", unrelated_file(tree)),
                                     ("warm, OIDC file edited", oidc_file(tree))):
                if target is None:
                    continue
                original = target.read_bytes()
                try:
                    for i in range(runs + 1):
                        target.write_bytes(original + f"\n# bench edit {i}\n".encode())
                        run, stdout = timed(cmd, memory=i == runs)
                        if i < runs:
                            run.report = json.loads(stdout)
                            results[scenario].append(run)
                        else:
                            results[scenario][0].tree_pss_mb = run.tree_pss_mb
                finally:
                    target.write_bytes(original)
    results["options"] = sorted(options)  # type: ignore[assignment]
    return results


SCENARIOS = ("cold", "warm", "warm, other file edited", "warm, OIDC file edited")
_OIDC_MARKERS = ("oidc", "federated", "openid", "webidentity", "serviceaccount", "eks")


def _module_folders(tree: Path):
    for folder in sorted({p.parent for p in tree.rglob("*.tf")}):
        texts = {p: p.read_text(errors="replace").lower() for p in sorted(folder.glob("*.tf"))}
        yield folder, texts


def unrelated_file(tree: Path) -> Path | None:
    """A Terraform file of a module that has nothing to do with web identity."""
    for folder, texts in _module_folders(tree):
        if "/modules/" in f"/{folder.relative_to(tree).as_posix()}/":
            continue  # shared modules may be called by OIDC modules
        if texts and not any(m in t for t in texts.values() for m in _OIDC_MARKERS):
            return max(texts, key=lambda p: len(texts[p]))
    return None


def oidc_file(tree: Path) -> Path | None:
    """A Terraform file of a module with a GitHub OIDC trust."""
    for folder, texts in _module_folders(tree):
        for path, text in texts.items():
            if "token.actions.githubusercontent.com" in text:
                return path
    return None


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
    pss = [r.tree_pss_mb for r in runs if r.tree_pss_mb is not None]
    return (f"| {label} | {len(runs)} | {median([r.wall for r in runs]):.2f} | "
            f"{median([r.cpu for r in runs]):.2f} | {max(r.max_rss_mb for r in runs):.0f} | "
            + (f"{max(pss):.0f}" if pss else "-") + f" | {files} | {findings} |")


REFERENCE = "sum(range(30_000_000))"
"""A fixed pure-Python workload, timed before and after the runs: on a shared machine whose
speed changes from minute to minute, it tells whether two benchmark runs can be compared."""


def reference_seconds() -> float:
    """Wall time of ``REFERENCE`` in a fresh interpreter (the fastest of three)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", REFERENCE], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-only", action="store_true", help="skip the warm runs")
    parser.add_argument("--oidclint-bin", default=shutil.which("oidclint") or "oidclint")
    parser.add_argument("--checkov", action="store_true",
                        help=f"also time checkov restricted to {CHECKOV_OIDC_CHECKS}")
    parser.add_argument("--checkov-bin", default=shutil.which("checkov"))
    parser.add_argument("--checkov-runs", type=int,
                        help="runs of checkov (default: --runs; one takes minutes)")
    parser.add_argument("--jobs", type=int, help="pass --jobs N to oidclint")
    args = parser.parse_args(argv)

    before = reference_seconds()
    results = oidclint_runs(args.oidclint_bin, args.tree, args.runs, not args.cold_only,
                            args.jobs)
    after = reference_seconds()
    first = results["cold"][0].report
    files = first.get("files_scanned", "?")
    lines = [f"Tree: `{args.tree}`; cache options detected: "
             f"{', '.join(results['options']) or 'none (every run is cold)'}", "",
             "| tool | runs | median wall (s) | median CPU (s) | peak RSS, one process (MB) "
             "| peak PSS, all processes (MB) | files | findings | files from cache |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in SCENARIOS:
        if results[kind]:
            report = results[kind][0].report
            lines.append(row(f"oidclint {kind}", results[kind],
                             len(report.get("findings", [])), files)
                         + f" {report.get('files_cached', '-')} |")
    counts = {k: first.get(k, first.get("summary", {}).get(k)) for k in OPTIONAL_COUNTS}
    counts = {k: v for k, v in counts.items() if v is not None}
    if "files_skipped" not in counts and "files_parsed" in counts and "files_scanned" in first:
        # oidclint's report gives the files scanned and parsed; the rest were skipped
        counts["files_skipped"] = first["files_scanned"] - counts["files_parsed"]
    if args.checkov:
        if not args.checkov_bin or not Path(args.checkov_bin).exists():
            lines.append("| checkov | - | not installed | | | | | | |")
        else:
            ckv = checkov_runs(args.checkov_bin, args.tree, args.checkov_runs or args.runs)
            lines.append(row(f"checkov {CHECKOV_OIDC_CHECKS}", ckv,
                             ckv[0].report["findings"], "-") + " - |")
            ratio = (statistics.median(r.wall for r in ckv)
                     / statistics.median(r.wall for r in results["cold"]))
            cpu_ratio = (statistics.median(r.cpu for r in ckv)
                         / statistics.median(r.cpu for r in results["cold"]))
            lines += ["", f"checkov / oidclint cold: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU"]
    lines += ["", "Report counts: " + (", ".join(f"{k}={v}" for k, v in counts.items())
                                      or "no files_parsed/files_skipped in the JSON report"),
              f"Fastest cold run: {min(r.wall for r in results['cold']):.2f} s wall.",
              f"Machine reference (`python -c \"{REFERENCE}\"`, fastest of 3): {before:.2f} s "
              f"before the runs, {after:.2f} s after."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
