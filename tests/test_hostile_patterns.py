"""Patterns and expressions that used to run for ever: subject and include globs that
backtrack exponentially, a pattern longer than a trust policy can hold, one too complex for the
subject grammar, a catastrophic regular expression in Terraform.

Each tree holds the good stack (its OIDC201 must survive) and one hostile input; the scan runs
as the command, in a process of its own with a hard timeout, twice, and must print the same
JSON both times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hostile_tree import GITLAB, WORKFLOW
from test_bad_input import GOOD_BUT_FLAWED


HOSTILE_TRUST = '''resource "aws_iam_role" "hostile" {
  name = "api-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = %s }
      }
    }]
  })
}
'''
BRANCH_WORKFLOW = '''on:
  push:
    branches: [%s]
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/api-deploy
          aws-region: eu-west-1
'''
STAR_A = '"repo:acme/api:ref:refs/heads/' + "*a" * 30 + '*x"'


def _memory_limit() -> None:
    """2 GB of address space for the scan (it needs a tenth of that): a regression fails the
    test with a MemoryError instead of taking the machine's memory."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3, 2 * 1024 ** 3))


def scan_command(tmp_path: Path, files: dict[str, str], *extra: str) -> dict:
    """The good stack and ``files``, scanned by the command (JSON) twice in a subprocess."""
    tree = tmp_path / "tree"
    for name, text in {"good.tf": GOOD_BUT_FLAWED, **files}.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "oidclint", "scan", str(tree), "--format", "json",
             "--no-cache", "--no-prefilter", "--repository", "acme/api", *extra],
            capture_output=True, text=True, timeout=120, preexec_fn=_memory_limit)
        assert done.returncode in (0, 1), done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    return json.loads(outputs[0])


def said(report: dict) -> list[tuple[str, str, str]]:
    return [(d["path"], d["level"], d["message"]) for d in report["diagnostics"]]


def found(report: dict) -> list[tuple[str, str, str | None]]:
    return [(f["rule_id"], f["path"], f["address"]) for f in report["findings"]]


def test_a_glob_that_backtracks_exponentially_is_matched_in_linear_time(tmp_path):
    report = scan_command(tmp_path, {"hostile.tf": HOSTILE_TRUST % STAR_A,
                                     WORKFLOW: BRANCH_WORKFLOW % ("a" * 40)})
    assert said(report) == []
    assert found(report) == [("OIDC201", "good.tf", "aws_iam_role.deploy"),
                             ("OIDC108", "hostile.tf", "aws_iam_role.hostile")]
    [mismatch] = [f for f in report["findings"] if f["rule_id"] == "OIDC108"]
    assert mismatch["message"].startswith(
        "deploy.yml job deploy (push to " + "a" * 40 + ") presents "
        "`repo:acme/api:ref:refs/heads/" + "a" * 40 + "`")


def test_explain_matches_the_same_glob_in_linear_time(tmp_path):
    scan_command(tmp_path, {"hostile.tf": HOSTILE_TRUST % STAR_A,
                            WORKFLOW: BRANCH_WORKFLOW % ("a" * 40)})
    done = subprocess.run(
        [sys.executable, "-m", "oidclint", "explain", "--path", str(tmp_path / "tree"),
         "--repository", "acme/api", "--workload", WORKFLOW + ":deploy"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path / "tree")
    assert done.returncode == 1, done.stderr  # refused: the statement fails
    assert "=> statement FAILS" in done.stdout


def test_a_pattern_longer_than_a_trust_policy_is_reported_not_analysed(tmp_path):
    value = '"repo:acme/' + "a*:" * 13000 + 'b"'  # 39,011 characters
    report = scan_command(tmp_path, {"hostile.tf": HOSTILE_TRUST % value})
    assert said(report) == [(
        "hostile.tf", "warning", "aws_iam_role.hostile: a `token.actions.githubusercontent.com:"
        "sub` value of 39,011 characters is longer than oidclint analyses (8,192 characters, "
        "the most a role trust policy can hold); not checked")]
    assert found(report) == [("OIDC201", "good.tf", "aws_iam_role.deploy")]


def test_a_pattern_too_complex_for_the_subject_grammar_is_reported(tmp_path):
    value = '"repo:' + "*" * 8000 + '"'
    report = scan_command(tmp_path, {"hostile.tf": HOSTILE_TRUST % value})
    assert said(report) == [(
        "hostile.tf", "warning", "OIDC115 impossible-subject-pattern: whether any GitHub "
        "Actions subject matches the `sub` value of aws_iam_role.hostile (8,005 characters) is too "
        "complex to decide (more than 200,000 states); it is not checked.")]
    assert found(report) == [("OIDC201", "good.tf", "aws_iam_role.deploy"),
                             ("OIDC203", "hostile.tf", "aws_iam_role.hostile")]


def test_a_catastrophic_regular_expression_gives_an_unknown_value_and_a_note(tmp_path):
    module = '''locals {
  checked = regexall("^(a+)+$", "%sb")
}
resource "aws_iam_role" "hostile" {
  name = "checked-${length(local.checked)}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:acme/*" }
      }
    }]
  })
}
''' % ("a" * 40)
    report = scan_command(tmp_path, {"infra/main.tf": module,
                                     "infra/comments.tf": "# a second file, comments only\n"})
    assert said(report) == [(
        "infra/main.tf", "note", "regexall(): the pattern `^(a+)+$` could backtrack for more "
        "than 20,000,000 steps on a text of 41 characters; its result is unknown")]
    assert found(report) == [("OIDC201", "good.tf", "aws_iam_role.deploy"),
                             ("OIDC204", "infra/main.tf", "aws_iam_role.hostile")]


def test_an_include_glob_that_backtracks_exponentially_is_matched_in_linear_time(tmp_path):
    pipeline = "include:\n  - local: '/" + "*a" * 30 + "*x.yml'\n"
    report = scan_command(tmp_path, {GITLAB: pipeline, "a" * 40 + ".yml": "job: {}\n"})
    [(path, level, message)] = said(report)
    assert (path, level) == (GITLAB, "note")
    assert message.endswith("is not among the scanned files; its jobs are not analyzed")
    assert found(report) == [("OIDC201", "good.tf", "aws_iam_role.deploy")]
