"""The real-world corpus: the verdicts file's shape, and the scorer on synthetic cases.

Neither needs the network nor the corpus checkouts: the scorer is run over a fake report and
over a folder the test writes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import yaml

from conftest import OPEN_TRUST, REPO
from oidclint.engine import all_rules

CORPUS = REPO / "corpus"
RULE_IDS = [rule.id for rule in all_rules()]


def _load_scorer():
    spec = importlib.util.spec_from_file_location("corpus_score", CORPUS / "score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


score = _load_scorer()


def _finding(rule, path, address=None, level="error", related=(), suppressed=False, line=1):
    return {"rule_id": rule, "path": path, "address": address, "level": level, "line": line,
            "message": f"{rule} on {address}",
            "related": [{"path": p, "line": 1, "column": 1, "label": "x"} for p in related],
            "suppression": {"justification": "on purpose"} if suppressed else None}


def _entry(rule, path, address=None):
    entry = {"rule": rule, "path": path, "why": "because"}
    if address is not None:
        entry["address"] = address
    return entry


# -- the verdicts file ---------------------------------------------------------------------

def test_the_verdicts_file_is_well_formed():
    verdicts = score.load_verdicts()
    assert score.verdict_problems(verdicts, RULE_IDS) == []
    assert len(verdicts) >= 30
    for verdict in verdicts:
        for entry in verdict["expected"]:
            level = next(r.level.value for r in all_rules() if r.id == entry["rule"])
            assert level in ("error", "warning"), (verdict["repo"], entry)


def test_the_held_out_batches_are_marked_and_large_enough():
    verdicts = score.load_verdicts()
    sizes = {}
    for verdict in verdicts:
        sizes[score.batch_of(verdict)] = sizes.get(score.batch_of(verdict), 0) + 1
    assert set(sizes) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
    assert sizes[2] >= 20
    assert sizes[3] >= 25
    assert sizes[4] >= 20
    assert sizes[5] >= 5
    assert sizes[6] >= 20
    assert sizes[7] >= 25
    assert sizes[8] >= 25
    assert sizes[9] >= 15
    assert sizes[10] >= 15
    assert sizes[11] >= 15
    assert sizes[12] >= 20
    assert sizes[13] >= 20
    assert sizes[14] >= 6
    assert sizes[15] >= 30
    assert sizes[16] >= 30
    assert sizes[17] >= 30
    assert sizes[18] >= 30
    assert sizes[19] >= 30
    assert sizes[20] >= 30


def test_the_corpus_covers_every_kind_it_promises():
    kinds = {kind for verdict in score.load_verdicts() for kind in verdict["kinds"]}
    assert {"terraform-variables", "cloudformation-parameters", "cdk-output", "irsa-manifests",
            "eks-terraform", "helm-values", "gitlab-ci", "hcp-terraform", "cognito",
            "trust-policy-json", "github-actions-workflows", "google", "azure"} <= kinds


def test_shape_problems_are_named():
    bad = [
        {"repo": "acme", "commit": "abc", "kinds": [], "expected": [
            {"rule": "OIDC999", "path": "/etc/passwd", "why": ""},
            {"rule": "OIDC204", "path": "../outside.tf", "why": "x", "adress": "typo"},
        ]},
        {"repo": "acme/api", "commit": "A" * 40, "kinds": ["poetry"], "paths": ["/abs"],
         "expected": None},
        {"repo": "ACME/api", "commit": "a" * 40, "kinds": ["cognito"], "expected": []},
        {"repo": "acme/web", "commit": "b" * 40, "kinds": ["cognito"], "expected": [],
         "batch": 0, "note": "typo"},
        {"repo": "acme/ops", "commit": "c" * 40, "kinds": ["terragrunt"], "expected": [],
         "batch": "2"},
    ]
    problems = score.verdict_problems(bad, RULE_IDS)
    text = "\n".join(problems)
    for expected in ["`repo` must be owner/name", "`commit` must be 40 lower-case hex",
                     "`kinds` must be a non-empty list", "unknown rule 'OIDC999'",
                     "`path` must be a relative file path", "`why` must say why",
                     "unknown keys ['adress']", "unknown kind 'poetry'",
                     "path '/abs' must be relative", "`expected` must be a list",
                     "ACME/api: listed twice",
                     "acme/web: `batch` must be a whole number from 1",
                     "acme/web: unknown keys ['note']",
                     "acme/ops: `batch` must be a whole number from 1"]:
        assert expected in text, (expected, problems)


# -- reading a report ----------------------------------------------------------------------

def test_a_report_is_read_as_problems_from_the_checkout_root(tmp_path):
    checkout = tmp_path / "acme" / "infra"
    document = {"root": str(checkout / "deploy"), "findings": [
        _finding("OIDC204", "main.tf", "aws_iam_role.a", "warning", line=3),
        _finding("OIDC204", "main.tf", "aws_iam_role.a", "warning", line=9),  # same problem
        _finding("OIDC202", "main.tf", "aws_iam_role.a", "note"),  # notes are not scored
        _finding("OIDC203", "main.tf", "aws_iam_role.b", suppressed=True),
        _finding("OIDC209", "main.tf", "aws_iam_role.a", related=["vars.tf"]),
    ], "diagnostics": []}
    problems = score.problems_of(document, checkout)
    assert [(p.rule, p.path, p.address, p.line) for p in problems] == [
        ("OIDC204", "deploy/main.tf", "aws_iam_role.a", 3),
        ("OIDC209", "deploy/main.tf", "aws_iam_role.a", 1),
    ]
    assert problems[1].related == ("deploy/vars.tf",)


def test_internal_errors_and_files_not_read_are_told_apart():
    document = {"findings": [], "diagnostics": [
        {"path": "", "level": "error", "message": "rule OIDC108 failed: KeyError('sub')"},
        {"path": "ci.yml", "level": "warning", "message": "YAML syntax error: line 3"},
        {"path": "main.tf", "level": "note", "message": "two condition blocks merged"},
    ]}
    assert score.internal_errors(document, 0, "") == ["rule OIDC108 failed: KeyError('sub')"]
    assert score.not_read(document) == ["ci.yml: YAML syntax error: line 3"]
    assert score.internal_errors(None, 2, "oidclint: internal error: boom\n") == [
        "exit 2: oidclint: internal error: boom"]
    assert score.internal_errors({"findings": [], "diagnostics": []}, 0, "") == []


# -- matching ------------------------------------------------------------------------------

def _problem(rule, path, address=None, related=()):
    return score.Problem(rule, path, address, "error", 1, "m", tuple(related))


def test_matching_counts_true_and_false_positives_and_misses():
    expected = [
        _entry("OIDC204", "main.tf", "aws_iam_role.deploy"),
        _entry("OIDC209", "main.tf", "aws_iam_role.deploy"),
        _entry("OIDC112", ".github/workflows/deploy.yml"),
    ]
    reported = [
        _problem("OIDC204", "main.tf", 'aws_iam_role.deploy["web"]'),  # an instance
        _problem("OIDC204", "main.tf", 'aws_iam_role.deploy["api"]'),
        _problem("OIDC112", ".github/workflows/deploy.yml"),
        _problem("OIDC203", "main.tf", "aws_iam_role.deploy"),
        _problem("OIDC209", "main.tf", "aws_iam_role.deployer"),  # another resource
    ]
    result = score.match(expected, reported, "acme/infra")
    assert [e["rule"] for e in result.false_negatives] == ["OIDC209"]
    assert [(p.rule, p.address) for p in result.false_positives] == [
        ("OIDC203", "aws_iam_role.deploy"), ("OIDC209", "aws_iam_role.deployer")]
    assert len(result.true_positives) == 3
    totals = score.totals([result])
    assert totals["precision"] == pytest.approx(3 / 5)
    assert totals["recall"] == pytest.approx(2 / 3)


def test_a_finding_placed_at_the_value_matches_the_trust_file_through_related_locations():
    expected = [_entry("OIDC204", "roles.tf", "aws_iam_role.deploy")]
    at_value = _problem("OIDC204", "terraform.tfvars", "aws_iam_role.deploy", ["roles.tf"])
    assert not score.match(expected, [at_value]).false_positives
    elsewhere = _problem("OIDC204", "terraform.tfvars", "aws_iam_role.deploy", ["other.tf"])
    assert score.match(expected, [elsewhere]).false_negatives == expected


def test_an_exact_path_is_preferred_when_two_entries_could_claim_a_problem():
    expected = [_entry("OIDC204", "a.tf"), _entry("OIDC204", "b.tf")]
    reported = [_problem("OIDC204", "b.tf", related=["a.tf"]), _problem("OIDC204", "a.tf")]
    result = score.match(expected, reported)
    assert not result.false_negatives and not result.false_positives
    assert {(e["path"], p.path) for e, p in result.true_positives} == {("a.tf", "a.tf"),
                                                                       ("b.tf", "b.tf")}


def test_address_matching_takes_instances_but_not_prefixes():
    assert score.address_matches("aws_iam_role.x", 'aws_iam_role.x["a"]')
    assert score.address_matches("aws_iam_role.x", "aws_iam_role.x[0]")
    assert score.address_matches("aws_iam_role.x", "aws_iam_role.x")
    assert not score.address_matches("aws_iam_role.x", "aws_iam_role.xy")
    assert not score.address_matches("aws_iam_role.x", None)
    assert score.address_matches(None, "anything")


# -- the whole script ----------------------------------------------------------------------

def test_the_script_scores_a_checkout_and_skips_missing_ones(tmp_path, capsys):
    checkouts = tmp_path / "checkouts"
    (checkouts / "acme" / "infra").mkdir(parents=True)
    (checkouts / "acme" / "infra" / "main.tf").write_text(OPEN_TRUST)
    verdicts = tmp_path / "verdicts.yaml"
    verdicts.write_text(yaml.safe_dump([
        {"repo": "acme/infra", "commit": "0" * 40, "kinds": ["terraform"],
         "expected": [{"rule": "OIDC204", "path": "main.tf", "address": "aws_iam_role.deploy",
                       "why": "every repository of acme"},
                      {"rule": "OIDC209", "path": "main.tf", "address": "aws_iam_role.deploy",
                       "why": "a miss on purpose"}]},
        {"repo": "acme/absent", "commit": "1" * 40, "kinds": ["terraform"], "expected": []},
    ]))
    out = tmp_path / "scores.json"
    status = score.main(["--checkouts", str(checkouts), "--verdicts", str(verdicts),
                         "--json", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    assert "| acme/infra | 2 | 1 | 1 | 1 | 1 | 0 | 0 | 0 |" in printed
    assert "skipped (no checkout in" in printed and "acme/absent" in printed
    assert "FN acme/infra: main.tf OIDC209 aws_iam_role.deploy: a miss on purpose" in printed
    written = json.loads(out.read_text())
    assert written["totals"]["precision"] == 1.0 and written["totals"]["recall"] == 0.5
    assert written["skipped"] == ["acme/absent"]


def test_the_script_refuses_a_malformed_verdicts_file(tmp_path, capsys):
    verdicts = tmp_path / "verdicts.yaml"
    verdicts.write_text(yaml.safe_dump([{"repo": "acme/infra", "commit": "xyz",
                                         "kinds": ["terraform"], "expected": []}]))
    assert score.main(["--checkouts", str(tmp_path), "--verdicts", str(verdicts)]) == 2
    assert "`commit` must be 40" in capsys.readouterr().err


def test_an_internal_error_fails_the_script(tmp_path, capsys, monkeypatch):
    (tmp_path / "acme" / "infra").mkdir(parents=True)
    verdicts = tmp_path / "verdicts.yaml"
    verdicts.write_text(yaml.safe_dump([{"repo": "acme/infra", "commit": "0" * 40,
                                         "kinds": ["terraform"], "expected": []}]))
    broken = {"findings": [], "diagnostics": [
        {"path": "", "level": "error", "message": "rule OIDC301 failed: TypeError()"}]}
    monkeypatch.setattr(score, "run_scan", lambda checkout, verdict: (broken, 0, ""))
    assert score.main(["--checkouts", str(tmp_path), "--verdicts", str(verdicts)]) == 1
    captured = capsys.readouterr()
    assert "INTERNAL acme/infra: rule OIDC301 failed: TypeError()" in captured.out
    assert "internal error in: acme/infra" in captured.err


def test_a_batch_is_scored_alone_and_every_batch_gets_its_totals(tmp_path, capsys):
    checkouts = tmp_path / "checkouts"
    for name in ("old", "new"):
        (checkouts / "acme" / name).mkdir(parents=True)
        (checkouts / "acme" / name / "main.tf").write_text(OPEN_TRUST)
    entry = {"rule": "OIDC204", "path": "main.tf", "address": "aws_iam_role.deploy",
             "why": "every repository of acme"}
    verdicts = tmp_path / "verdicts.yaml"
    verdicts.write_text(yaml.safe_dump([
        {"repo": "acme/old", "commit": "0" * 40, "kinds": ["terraform"], "expected": [entry]},
        {"repo": "acme/new", "commit": "1" * 40, "kinds": ["terraform"], "batch": 2,
         "expected": []},
    ]))
    out = tmp_path / "scores.json"
    assert score.main(["--checkouts", str(checkouts), "--verdicts", str(verdicts),
                       "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "batch 1: 1 repositories, precision 100.0% (1/1), recall 100.0% (1/1)" in printed
    assert "batch 2: 1 repositories, precision 0.0% (0/1), recall 100.0% (0/0)" in printed
    assert "all: 2 repositories, precision 50.0% (1/2), recall 100.0% (1/1)" in printed
    written = json.loads(out.read_text())
    assert set(written["batches"]) == {"1", "2"}
    assert [r["batch"] for r in written["repositories"]] == [1, 2]

    assert score.main(["--checkouts", str(checkouts), "--verdicts", str(verdicts),
                       "--batch", "2"]) == 0
    printed = capsys.readouterr().out
    assert "acme/new" in printed and "acme/old" not in printed
    assert "batch 1:" not in printed

    assert score.main(["--checkouts", str(checkouts), "--verdicts", str(verdicts),
                       "--batch", "3"]) == 2
    assert "no verdict in batch 3" in capsys.readouterr().err
