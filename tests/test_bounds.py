"""Bounds: a file that takes too long is reported as not read and the scan goes on; the exit
code can say a scan was incomplete."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from oidclint import engine
from oidclint.budget import BudgetExceeded, time_budget
from oidclint.cli import app
from oidclint.config import Config
from oidclint.parsers import cloudformation, terraform

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
