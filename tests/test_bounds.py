"""Bounds: a file that takes too long is reported as not read and the scan goes on; the exit
code can say a scan was incomplete."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oidclint import engine
from oidclint.budget import Budget, BudgetExceeded, time_budget
from oidclint.cli import app
from oidclint.config import Config
from oidclint.model import Level
from oidclint.readers.cloudformation import reader as cloudformation
from oidclint.readers.terraform import reader as terraform
from oidclint.rule import Rule

TRUST = '''
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
      }
    }]
  })
}
'''


@pytest.fixture(autouse=True)
def warm_parser():
    """The HCL grammar is built on first use (about a second); a budget of a fraction of a
    second must not be spent on that."""
    terraform.parse_file("locals {}\n", "warm.tf")


def test_the_budget_interrupts_a_slow_block():
    started = time.perf_counter()
    with pytest.raises(BudgetExceeded, match="0.2 s time budget"):
        with time_budget(0.2):
            while True:
                time.sleep(0.01)
    assert time.perf_counter() - started < 2
    with time_budget(None):  # no limit, nothing armed
        time.sleep(0.01)


def test_a_slow_template_is_reported_and_the_rest_is_scanned(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text(TRUST)
    (tmp_path / "slow.yaml").write_text("Resources: {}\n")
    real = cloudformation.parse_cloudformation

    def slow(file):
        if file.path == "slow.yaml":
            time.sleep(30)
        return real(file)

    monkeypatch.setattr(cloudformation, "parse_cloudformation", slow)
    report = engine.scan([tmp_path], Config(time_budget=0.3), root=tmp_path, prefilter=False)
    assert [(d.path, d.message) for d in report.diagnostics] == [
        ("slow.yaml", "took longer than the 0.3 s time budget; not read")]
    assert [f.rule_id for f in report.findings] == ["OIDC201"]
    assert report.incomplete


def test_a_slow_terraform_file_is_reported_and_its_folder_still_evaluated(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text(TRUST)
    (tmp_path / "slow.tf").write_text("locals {}\n")
    real = terraform.parse_file

    def slow(text, path, at=None):
        if path == "slow.tf":
            time.sleep(30)
        return real(text, path, at=at)

    monkeypatch.setattr(terraform, "parse_file", slow)
    report = engine.scan([tmp_path], Config(time_budget=0.3), root=tmp_path, prefilter=False)
    assert [(d.path, d.message) for d in report.diagnostics] == [
        ("slow.tf", "took longer than the 0.3 s time budget; not read")]
    assert [f.rule_id for f in report.findings] == ["OIDC201"]


def test_fail_on_incomplete_exits_3_only_when_nothing_else_fails(tmp_path):
    (tmp_path / "broken.tf").write_text('resource "aws_iam_openid_connect_provider" "x" {\n')
    runner = CliRunner()
    assert runner.invoke(app, ["scan", str(tmp_path)]).exit_code == 0
    assert runner.invoke(app, ["scan", str(tmp_path), "--fail-on-incomplete"]).exit_code == 3
    (tmp_path / "main.tf").write_text(TRUST)
    assert runner.invoke(app, ["scan", str(tmp_path), "--fail-on-incomplete"]).exit_code == 1


def test_the_file_size_limit_comes_from_the_configuration(tmp_path):
    (tmp_path / "main.tf").write_text(TRUST)
    report = engine.scan([tmp_path], Config(max_file_size=100), root=tmp_path)
    assert report.findings == []
    [diagnostic] = report.diagnostics
    assert diagnostic.path == "main.tf" and "larger than the 100-byte limit" in diagnostic.message


# --- budgets nest ---------------------------------------------------------------------------


def spin(seconds: float) -> None:
    """Busy for ``seconds`` (the budget interrupts it like any Python code)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_an_inner_budget_gives_the_outer_one_back():
    outer = Budget(0.6)
    started = time.monotonic()
    with pytest.raises(BudgetExceeded) as raised:
        with outer.running():
            with time_budget(5):  # ends well before its own limit
                spin(0.1)
            inner = Budget(0.2)
            try:
                with inner.running():
                    spin(30)
            except BudgetExceeded as exc:
                assert inner.owns(exc) and not outer.owns(exc)
            spin(30)  # the outer budget is still armed, with what is left of it
    assert outer.owns(raised.value)
    assert time.monotonic() - started < 10


def test_an_outer_budget_that_ends_first_fires_inside_the_inner_block():
    outer, inner = Budget(0.3), Budget(20)
    with pytest.raises(BudgetExceeded) as raised:
        with outer.running():
            try:
                with inner.running():
                    spin(30)
            except BudgetExceeded as exc:
                assert not inner.owns(exc)
                raise
    assert outer.owns(raised.value) and raised.value.seconds == 0.3


def test_an_outer_deadline_passed_during_an_inner_block_fires_when_it_ends(monkeypatch):
    # The inner block overruns the outer deadline (its own timer was the one armed, and a
    # handler swallowed its expiry): the outer one fires as soon as the inner block ends.
    outer = Budget(0.3)
    with pytest.raises(BudgetExceeded) as raised:
        with outer.running():
            with Budget(0.25).running():
                end = time.monotonic() + 0.6
                while time.monotonic() < end:
                    try:
                        spin(0.05)
                    except BudgetExceeded:
                        pass  # swallowed, as a careless handler would
            spin(30)
    assert outer.owns(raised.value)


REDOS_MODULE = '''
locals {
  slow = regexall("^(a+)+$", "%sb")
}

resource "aws_iam_role" "slow" {
  name = "slow-${length(local.slow)}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = { StringLike = { "token.actions.githubusercontent.com:sub" = "repo:acme/*" } }
    }]
  })
}
''' % ("a" * 40)


def test_a_module_of_two_files_keeps_its_budget(tmp_path):
    # A catastrophic `regexall` next to a comment-only second file: the budget of the file
    # being parsed used to switch the module's budget off, and the evaluation then ran for
    # good. The regular expression guard is switched off here, so that only the budget can
    # end the work; in a process of its own with a hard timeout.
    module = tmp_path / "infra"
    module.mkdir()
    (module / "main.tf").write_text(REDOS_MODULE)
    (module / "comments.tf").write_text("# nothing but a comment\n")
    (tmp_path / "good.tf").write_text(TRUST)
    program = "\n".join([
        "import sys",
        "from oidclint.iam import re2 as regex",
        "from oidclint.config import Config",
        "from oidclint.engine import scan",
        "regex.MAX_STEPS = 10 ** 30",
        "report = scan([sys.argv[1]], Config(time_budget=1.0), root=sys.argv[1], prefilter=False)",
        "print([(d.path, d.message) for d in report.diagnostics])",
        "print(sorted((f.rule_id, f.span.path) for f in report.findings))",
    ])
    done = subprocess.run([sys.executable, "-c", program, str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    diagnostics, findings = done.stdout.splitlines()
    assert diagnostics == repr([
        ("infra", "evaluating the module took longer than the 2 s time budget; not read")])
    assert findings == repr([("OIDC201", "good.tf")])


# --- the rule phase ---------------------------------------------------------------------------


class FailsOnOneRole(Rule):
    """A rule with a bug that shows on the role named `broken` only."""

    id = "TEST901"
    name = "fails-on-one-role"
    level = Level.WARNING
    summary = "test"

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            if trust.role.name == "broken":
                raise KeyError("a bug")
            yield self.finding(trust.statement, f"checked {trust.role.address}", trust=trust)


class NeverEnds(Rule):
    """A rule that loops for ever once it has reported the first trust."""

    id = "TEST902"
    name = "never-ends"
    level = Level.NOTE
    summary = "test"

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            yield self.finding(trust.statement, f"looked at {trust.role.address}", trust=trust)
            while True:
                pass


BROKEN = TRUST.replace('"deploy"', '"broken"')


def rule_tree(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(TRUST)
    (tmp_path / "broken.tf").write_text(BROKEN)
    return tmp_path


def real_rules():
    from oidclint_rules.oidc201_missing_subject_condition import MissingSubjectCondition

    return [MissingSubjectCondition()]


def test_a_rule_that_raises_is_an_internal_error_and_still_reports_the_other_trusts(tmp_path):
    report = engine.scan([rule_tree(tmp_path)], root=tmp_path,
                         rules=[FailsOnOneRole(), *real_rules()])
    assert [(f.rule_id, f.address) for f in report.findings] == [
        ("OIDC201", "aws_iam_role.broken"), ("OIDC201", "aws_iam_role.deploy"),
        ("TEST901", "aws_iam_role.deploy")]
    [error] = report.internal_errors
    assert error.path == "broken.tf" and error.level == Level.ERROR
    assert error.message == (
        "internal error: rule TEST901 fails-on-one-role failed on aws_iam_role.broken "
        "(statement 0): KeyError: 'a bug'; the rule goes on without it")


def test_a_rule_that_fails_everywhere_is_given_up_after_a_number_of_items(tmp_path):
    class FailsEverywhere(FailsOnOneRole):
        def check(self, graph):
            for trust in graph.web_identity_trusts():
                raise ValueError(trust.role.address)
            yield from ()

    roles = "".join(TRUST.replace('"deploy"', f'"r{i}"') for i in range(25))
    (tmp_path / "main.tf").write_text(roles)
    report = engine.scan([tmp_path], root=tmp_path, rules=[FailsEverywhere()])
    errors = report.internal_errors
    assert len(errors) == 21
    assert sum(e.message.endswith("; the rule was given up") for e in errors) == 1


def test_a_rule_that_raises_outside_any_item_is_reported_once(tmp_path):
    class FailsAtOnce(FailsOnOneRole):
        def check(self, graph):
            raise RuntimeError("at once")

    report = engine.scan([rule_tree(tmp_path)], root=tmp_path,
                         rules=[FailsAtOnce(), *real_rules()])
    assert [d.message for d in report.internal_errors] == [
        "internal error: rule TEST901 fails-on-one-role failed: RuntimeError: at once; "
        "the rule was given up"]
    assert [f.rule_id for f in report.findings] == ["OIDC201", "OIDC201"]


def test_a_rule_out_of_time_is_reported_and_the_other_rules_still_run(tmp_path):
    report = engine.scan([rule_tree(tmp_path)], Config(time_budget=0.5), root=tmp_path,
                         rules=[NeverEnds(), *real_rules()])
    assert [(f.rule_id, f.address) for f in report.findings] == [
        ("OIDC201", "aws_iam_role.broken"), ("TEST902", "aws_iam_role.broken"),
        ("OIDC201", "aws_iam_role.deploy")]  # what it found before it was stopped stands
    [problem] = report.diagnostics
    assert (problem.path, problem.level) == ("broken.tf", Level.ERROR)
    assert problem.message == ("rule TEST902 never-ends took longer than its 0.5 s time budget "
                               "on aws_iam_role.broken (statement 0) and was stopped: its "
                               "findings may be incomplete")
    assert report.incomplete and not report.internal_errors


def test_the_rule_phase_as_a_whole_has_a_budget(tmp_path, monkeypatch):
    from oidclint import rule_runner

    monkeypatch.setattr(rule_runner, "RULE_BUDGET_FACTOR", 10)  # the phase ends first
    report = engine.scan([rule_tree(tmp_path)], Config(time_budget=0.2), root=tmp_path,
                         rules=[NeverEnds(), *real_rules()])
    assert [d.message for d in report.diagnostics] == [
        "the rules took longer than their 0.6 s time budget together: TEST902, OIDC201 did "
        "not finish; findings may be missing"]


def test_a_report_with_a_rule_out_of_time_is_not_kept_in_the_cache(tmp_path, monkeypatch):
    from oidclint.cache import Cache

    runs = []

    class Counted(NeverEnds):
        def check(self, graph):
            runs.append(1)
            yield from super().check(graph)

    cache = Cache(tmp_path / "cache")
    tree = tmp_path / "tree"
    tree.mkdir()
    rule_tree(tree)
    monkeypatch.setattr(engine, "chosen_rules", lambda config: [Counted(), *real_rules()])
    for _ in range(2):
        report = engine.scan([tree], Config(time_budget=0.3), root=tree, cache=cache)
        assert any("never-ends took longer" in d.message for d in report.diagnostics)
    assert len(runs) == 2  # the second scan ran the rules again


def cli_with(monkeypatch, rules):
    monkeypatch.setattr(engine, "chosen_rules", lambda config: [*rules, *real_rules()])
    return CliRunner()


def test_the_command_exits_2_on_a_rule_that_raises(tmp_path, monkeypatch):
    tree = rule_tree(tmp_path)
    runner = cli_with(monkeypatch, [FailsOnOneRole()])
    result = runner.invoke(app, ["scan", str(tree), "--no-cache", "--fail-on", "never"])
    assert result.exit_code == 2
    assert "internal error: rule TEST901 fails-on-one-role failed on aws_iam_role.broken" \
        in result.stderr
    assert "No problems found" not in result.stdout
    assert "oidclint failed: 1 internal error" in result.stdout
    sarif = runner.invoke(app, ["scan", str(tree), "--no-cache", "--format", "sarif"])
    assert sarif.exit_code == 2
    [invocation] = json.loads(sarif.stdout)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith("internal error: rule TEST901")
    assert {r["ruleId"] for r in json.loads(sarif.stdout)["runs"][0]["results"]} == {
        "OIDC201", "TEST901"}
    report = runner.invoke(app, ["scan", str(tree), "--no-cache", "--format", "json"])
    assert report.exit_code == 2
    assert [d.get("internal") for d in json.loads(report.stdout)["diagnostics"]] == [True]
    summary = runner.invoke(app, ["scan", str(tree), "--no-cache", "--format", "markdown"])
    assert summary.exit_code == 2
    assert "oidclint failed: 1 internal error" in summary.stdout


def test_the_command_exits_3_on_a_rule_out_of_time_with_fail_on_incomplete(tmp_path,
                                                                            monkeypatch):
    tree = rule_tree(tmp_path)
    (tree / ".oidclint.toml").write_text("time-budget = 0.5\n")
    runner = cli_with(monkeypatch, [NeverEnds()])
    args = ["scan", str(tree), "--no-cache", "--fail-on", "never"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, [*args, "--fail-on-incomplete", "--format", "sarif"])
    assert result.exit_code == 3
    [invocation] = json.loads(result.stdout)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert "rule TEST902 never-ends took longer than its 0.5 s time budget" in \
        notification["message"]["text"]


def test_explain_and_graph_stop_at_their_budget(tmp_path, monkeypatch):
    from oidclint import explain as explaining
    from oidclint.reporters import graph as drawing

    tree = rule_tree(tmp_path)
    (tree / ".oidclint.toml").write_text("time-budget = 0.2\n")
    monkeypatch.chdir(tree)

    def forever(*args, **kwargs):
        while True:
            pass

    monkeypatch.setattr(explaining, "explain_role", forever)
    monkeypatch.setattr(drawing, "linked_view", forever)
    runner = CliRunner()
    explained = runner.invoke(app, ["explain", "aws_iam_role.deploy", "--claim", "sub=x"])
    assert explained.exit_code == 3
    assert "the explanation took longer than its 0.6 s time budget and was stopped" in \
        explained.stderr
    drawn = runner.invoke(app, ["graph"])
    assert drawn.exit_code == 3
    assert "drawing the graph took longer than its 0.6 s time budget" in drawn.stderr
