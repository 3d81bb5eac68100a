"""Score oidclint against the expert verdicts of the real-world corpus.

    python corpus/score.py --checkouts DIR [--only owner/name ...] [--batch N] [--json OUT]

For every verdict in ``corpus/verdicts.yaml`` whose checkout ``DIR/<owner>/<name>`` exists,
the scan runs as a user would run it in a clone from GitHub (``oidclint scan
<checkout>[/<path> ...] --format json --fail-on never --no-cache --repository
github.com/<repo>``: the repository's name is the subject of its GitHub jobs, not of a
``.gitlab-ci.yml``'s, whose GitLab project is not known), and its active error and warning
findings are compared with the expected ones. A repository without a checkout is listed as skipped.

Counting. A finding is reported once per (rule, file, resource address): three values of one
trust that break the same rule are one problem to fix, not three. An expected entry is matched
by a reported one with its rule, the same address when the entry gives one (an address
``aws_iam_role.x`` also stands for its instances ``aws_iam_role.x["a"]``), and its path either
where the finding points or among the finding's related locations (a pattern set in a
``.tfvars`` file is reported where the value is written; the expert names the trust's file).
Precision is true positives over reported problems, recall true positives over expected ones.
Totals are printed for each batch of verdicts (``batch``, 1 when absent) and overall.

Exit status: 0 when every scan ran; 1 on an internal error (the scan exited 2, or a rule
failed), named on the way; 2 for a verdicts file that is not usable.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts.yaml"
SCORED_LEVELS = ("error", "warning")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
RULE_FAILED = re.compile(r"\brule (OIDC\d{3}) failed\b")
# What a repository holds; the corpus is meant to cover every kind.
KINDS = frozenset({
    "terraform-variables", "terraform-registry-module", "cloudformation-parameters", "cdk-output",
    "irsa-manifests", "eks-terraform", "helm-values", "gitlab-ci", "hcp-terraform", "cognito",
    "trust-policy-json", "github-actions-workflows", "cloudformation", "terraform",
    "circleci", "bitbucket", "buildkite", "terragrunt", "aws-cli-scripts",
    "google", "azure",
})
# The keys a verdict may have; `batch` tells verdicts judged at different times apart.
VERDICT_KEYS = frozenset({"repo", "commit", "kinds", "paths", "repository", "expected",
                          "notes", "batch"})
FIRST_BATCH = 1


@dataclass(frozen=True)
class Problem:
    """One reported problem: the findings of one rule on one resource in one file."""

    rule: str
    path: str
    address: str | None
    level: str
    line: int | None
    message: str
    related: tuple[str, ...] = ()


@dataclass
class RepoScore:
    repo: str
    expected: list[dict[str, Any]]
    reported: list[Problem]
    batch: int = FIRST_BATCH
    true_positives: list[tuple[dict[str, Any], Problem]] = field(default_factory=list)
    false_positives: list[Problem] = field(default_factory=list)
    false_negatives: list[dict[str, Any]] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)
    seconds: float | None = None


# -- the verdicts file ---------------------------------------------------------------------

def load_verdicts(path: Path = VERDICTS) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: the top level must be a list of repositories")
    return data


def verdict_problems(verdicts: list[dict[str, Any]], rule_ids: Iterable[str]) -> list[str]:
    """Everything wrong with the shape of the verdicts, one sentence each (empty: usable)."""
    known = set(rule_ids)
    problems: list[str] = []
    seen: set[str] = set()
    for i, verdict in enumerate(verdicts):
        where = f"entry {i + 1}"
        if not isinstance(verdict, dict):
            problems.append(f"{where}: not a mapping")
            continue
        repo = verdict.get("repo")
        if not isinstance(repo, str) or not REPO.match(repo):
            problems.append(f"{where}: `repo` must be owner/name, not {repo!r}")
        else:
            where = repo
            if repo.lower() in seen:
                problems.append(f"{where}: listed twice")
            seen.add(repo.lower())
        if not isinstance(verdict.get("commit"), str) or not COMMIT.match(verdict["commit"]):
            problems.append(f"{where}: `commit` must be 40 lower-case hex digits")
        kinds = verdict.get("kinds")
        if not isinstance(kinds, list) or not kinds:
            problems.append(f"{where}: `kinds` must be a non-empty list")
        else:
            problems += [f"{where}: unknown kind {k!r}" for k in kinds if k not in KINDS]
        for sub in verdict.get("paths") or []:
            if not _relative(sub):
                problems.append(f"{where}: path {sub!r} must be relative and stay in the checkout")
        if "repository" in verdict and not REPO.match(str(verdict["repository"])):
            problems.append(f"{where}: `repository` must be owner/name")
        if "batch" in verdict and (type(verdict["batch"]) is not int or verdict["batch"] < 1):
            problems.append(f"{where}: `batch` must be a whole number from 1")
        unknown = set(verdict) - VERDICT_KEYS
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        expected = verdict.get("expected")
        if not isinstance(expected, list):
            problems.append(f"{where}: `expected` must be a list (empty when nothing is wrong)")
            continue
        for j, entry in enumerate(expected):
            at = f"{where}: expected entry {j + 1}"
            if not isinstance(entry, dict):
                problems.append(f"{at}: not a mapping")
                continue
            if entry.get("rule") not in known:
                problems.append(f"{at}: unknown rule {entry.get('rule')!r}")
            if not isinstance(entry.get("path"), str) or not _relative(entry["path"]):
                problems.append(f"{at}: `path` must be a relative file path")
            if not isinstance(entry.get("why"), str) or not entry["why"].strip():
                problems.append(f"{at}: `why` must say why, in one line")
            extra = set(entry) - {"rule", "path", "address", "why"}
            if extra:
                problems.append(f"{at}: unknown keys {sorted(extra)}")
    return problems


def batch_of(verdict: dict[str, Any]) -> int:
    return verdict.get("batch", FIRST_BATCH)


def _relative(path: Any) -> bool:
    if not isinstance(path, str) or not path or path.startswith(("/", "\\")) or ":" in path[:2]:
        return False
    return ".." not in Path(path).parts


# -- one scan ------------------------------------------------------------------------------

def scan_command(checkout: Path, verdict: dict[str, Any]) -> list[str]:
    targets = [str(checkout / p) for p in verdict.get("paths") or []] or [str(checkout)]
    return [sys.executable, "-m", "oidclint", "scan", *targets, "--format", "json",
            "--fail-on", "never", "--no-cache",
            "--repository", verdict.get("repository") or f"github.com/{verdict['repo']}"]


def run_scan(checkout: Path, verdict: dict[str, Any]) -> tuple[dict[str, Any] | None, int, str]:
    """The scan's JSON document (None when it printed none), its exit status and stderr."""
    done = subprocess.run(scan_command(checkout, verdict), capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"})
    try:
        document = json.loads(done.stdout) if done.stdout.strip() else None
    except json.JSONDecodeError:
        document = None
    return document, done.returncode, done.stderr


def problems_of(document: dict[str, Any], checkout: Path) -> list[Problem]:
    """Active error and warning findings, one per (rule, file, address), paths from the
    checkout's root."""
    root = Path(document.get("root") or checkout)
    seen: dict[tuple[str, str, str | None], Problem] = {}
    for f in document.get("findings", []):
        if f.get("suppression") is not None or f.get("level") not in SCORED_LEVELS:
            continue
        path = _from_checkout(root, f.get("path") or "", checkout)
        key = (f["rule_id"], path, f.get("address"))
        related = tuple(sorted({_from_checkout(root, r["path"], checkout)
                                for r in f.get("related") or [] if r.get("path")}))
        if key in seen:
            earlier = seen[key]
            seen[key] = Problem(earlier.rule, earlier.path, earlier.address, earlier.level,
                                earlier.line, earlier.message,
                                tuple(sorted(set(earlier.related) | set(related))))
            continue
        seen[key] = Problem(f["rule_id"], path, f.get("address"), f["level"], f.get("line"),
                            f.get("message", ""), related)
    return list(seen.values())


def _from_checkout(root: Path, path: str, checkout: Path) -> str:
    if not path:
        return ""
    try:
        return (root / path).resolve().relative_to(checkout.resolve()).as_posix()
    except ValueError:
        return path


def internal_errors(document: dict[str, Any] | None, status: int, stderr: str) -> list[str]:
    errors = []
    if status == 2 or document is None:
        lines = [line for line in stderr.splitlines() if line.strip()]
        errors.append(f"exit {status}: " + (lines[-1] if lines else "no output"))
    for d in (document or {}).get("diagnostics", []):
        if RULE_FAILED.search(d.get("message", "")):
            errors.append(d["message"])
    return errors


def not_read(document: dict[str, Any] | None) -> list[str]:
    """Files the scan said it could not read or understand (warning level and above)."""
    return [f"{d.get('path')}: {d.get('message')}" for d in (document or {}).get("diagnostics", [])
            if d.get("level") in SCORED_LEVELS and d.get("path")
            and not RULE_FAILED.search(d.get("message", ""))]


# -- matching ------------------------------------------------------------------------------

def address_matches(expected: str | None, reported: str | None) -> bool:
    if expected is None:
        return True
    if reported is None:
        return False
    return reported == expected or reported.startswith(expected + "[")


def entry_matches(entry: dict[str, Any], problem: Problem) -> bool:
    return (entry["rule"] == problem.rule
            and address_matches(entry.get("address"), problem.address)
            and (entry["path"] == problem.path or entry["path"] in problem.related))


def match(expected: list[dict[str, Any]], reported: list[Problem], repo: str = "") -> RepoScore:
    """Pair expected entries with reported problems.

    Exact-path matches are taken first, then matches through a related location, so a problem
    is used by the entry that names its own file when two entries could claim it. One entry
    may be met by several reported problems (the instances of a resource, or every resource of
    the file when it gives no address); each reported problem meets at most one entry.
    """
    score = RepoScore(repo, expected, reported)
    used: set[int] = set()
    met: dict[int, Problem] = {}
    for strict in (True, False):
        for i, entry in enumerate(expected):
            for j, problem in enumerate(reported):
                if j in used or not entry_matches(entry, problem):
                    continue
                if strict and entry["path"] != problem.path:
                    continue
                used.add(j)
                met.setdefault(i, problem)
                score.true_positives.append((entry, problem))
    score.false_negatives = [e for i, e in enumerate(expected) if i not in met]
    score.false_positives = [p for j, p in enumerate(reported) if j not in used]
    return score


def score_repository(verdict: dict[str, Any], checkouts: Path) -> RepoScore | None:
    checkout = checkouts / verdict["repo"]
    if not checkout.is_dir():
        return None
    started = time.monotonic()
    document, status, stderr = run_scan(checkout, verdict)
    elapsed = time.monotonic() - started
    reported = problems_of(document, checkout) if document else []
    score = match(verdict.get("expected") or [], reported, verdict["repo"])
    score.batch = batch_of(verdict)
    score.internal_errors = internal_errors(document, status, stderr)
    score.not_read = not_read(document)
    score.seconds = elapsed
    return score


# -- the report ----------------------------------------------------------------------------

def totals(scores: list[RepoScore]) -> dict[str, Any]:
    expected = sum(len(s.expected) for s in scores)
    reported = sum(len(s.reported) for s in scores)
    tp_reported = sum(len(s.reported) - len(s.false_positives) for s in scores)
    tp_expected = sum(len(s.expected) - len(s.false_negatives) for s in scores)
    return {
        "repositories": len(scores),
        "expected": expected,
        "reported": reported,
        "true_positives": tp_expected,
        "false_positives": sum(len(s.false_positives) for s in scores),
        "false_negatives": sum(len(s.false_negatives) for s in scores),
        "internal_errors": sum(len(s.internal_errors) for s in scores),
        "not_read": sum(len(s.not_read) for s in scores),
        "precision": tp_reported / reported if reported else 1.0,
        "recall": tp_expected / expected if expected else 1.0,
    }


def table(scores: list[RepoScore]) -> str:
    """Per repository: expected problems and how many were found, reported problems and how
    many were right."""
    head = ("repository", "expected", "found", "FN", "reported", "TP", "FP", "internal",
            "not read")
    rows = [(s.repo, len(s.expected), len(s.expected) - len(s.false_negatives),
             len(s.false_negatives), len(s.reported), len(s.reported) - len(s.false_positives),
             len(s.false_positives), len(s.internal_errors), len(s.not_read)) for s in scores]
    t = totals(scores)
    rows.append(("total", t["expected"], t["true_positives"], t["false_negatives"],
                 t["reported"], t["reported"] - t["false_positives"], t["false_positives"],
                 t["internal_errors"], t["not_read"]))
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    lines.append("")
    for batch in sorted({s.batch for s in scores}):
        lines.append(f"batch {batch}: " + _figures(totals(by_batch(scores)[batch])))
    lines.append("all: " + _figures(t))
    return "\n".join(lines)


def by_batch(scores: list[RepoScore]) -> dict[int, list[RepoScore]]:
    batches: dict[int, list[RepoScore]] = {}
    for s in scores:
        batches.setdefault(s.batch, []).append(s)
    return batches


def _figures(t: dict[str, Any]) -> str:
    return (f"{t['repositories']} repositories, precision {t['precision']:.1%} "
            f"({t['reported'] - t['false_positives']}/{t['reported']}), "
            f"recall {t['recall']:.1%} ({t['true_positives']}/{t['expected']})")


def disagreements(scores: list[RepoScore]) -> str:
    out = []
    for s in scores:
        for p in s.false_positives:
            out.append(f"FP {s.repo}: {p.path}:{p.line} {p.rule} {p.address or '-'}: "
                       f"{p.message}")
        for e in s.false_negatives:
            out.append(f"FN {s.repo}: {e['path']} {e['rule']} {e.get('address') or '-'}: "
                       f"{e['why']}")
        for error in s.internal_errors:
            out.append(f"INTERNAL {s.repo}: {error}")
        for line in s.not_read:
            out.append(f"NOT READ {s.repo}: {line}")
    return "\n".join(out)


def as_json(scores: list[RepoScore], skipped: list[str]) -> dict[str, Any]:
    def problem(p: Problem) -> dict[str, Any]:
        return {"rule": p.rule, "path": p.path, "address": p.address, "level": p.level,
                "line": p.line, "message": p.message}

    return {
        "totals": totals(scores),
        "batches": {str(b): totals(group) for b, group in sorted(by_batch(scores).items())},
        "skipped": skipped,
        "repositories": [{
            "repo": s.repo,
            "batch": s.batch,
            "seconds": round(s.seconds, 2) if s.seconds is not None else None,
            "expected": len(s.expected),
            "reported": len(s.reported),
            "true_positives": [problem(p) for _, p in s.true_positives],
            "false_positives": [problem(p) for p in s.false_positives],
            "false_negatives": s.false_negatives,
            "internal_errors": s.internal_errors,
            "not_read": s.not_read,
        } for s in scores],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=Path, required=True,
                        help="folder holding <owner>/<name> checkouts (corpus/fetch.sh makes them)")
    parser.add_argument("--only", nargs="+", metavar="OWNER/NAME", default=None)
    parser.add_argument("--batch", type=int, metavar="N", default=None,
                        help="score only the verdicts of batch N (1 when a verdict names none)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the scores as JSON")
    parser.add_argument("--verdicts", type=Path, default=VERDICTS)
    args = parser.parse_args(argv)

    from oidclint.engine import all_rules

    try:
        verdicts = load_verdicts(args.verdicts)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"score: {exc}", file=sys.stderr)
        return 2
    problems = verdict_problems(verdicts, [r.id for r in all_rules()])
    if problems:
        print("\n".join(f"score: {args.verdicts}: {p}" for p in problems), file=sys.stderr)
        return 2
    if args.only:
        wanted = {o.lower() for o in args.only}
        unknown = wanted - {v["repo"].lower() for v in verdicts}
        if unknown:
            print(f"score: no verdict for {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        verdicts = [v for v in verdicts if v["repo"].lower() in wanted]
    if args.batch is not None:
        verdicts = [v for v in verdicts if batch_of(v) == args.batch]
        if not verdicts:
            print(f"score: no verdict in batch {args.batch}", file=sys.stderr)
            return 2

    scores: list[RepoScore] = []
    skipped: list[str] = []
    for verdict in verdicts:
        score = score_repository(verdict, args.checkouts)
        if score is None:
            skipped.append(verdict["repo"])
            continue
        scores.append(score)
        print(f"scanned {verdict['repo']} in {score.seconds:.1f} s", file=sys.stderr)

    print(table(scores))
    if skipped:
        print(f"\nskipped (no checkout in {args.checkouts}): {', '.join(skipped)}")
    listed = disagreements(scores)
    if listed:
        print("\n" + listed)
    if args.json:
        args.json.write_text(json.dumps(as_json(scores, skipped), indent=2) + "\n")
    failed = [s.repo for s in scores if s.internal_errors]
    if failed:
        print(f"\ninternal error in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
