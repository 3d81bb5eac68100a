"""`oidclint explain` and `oidclint graph` over workloads linked to roles across folders."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES
from oidclint.cli import app

runner = CliRunner()


@pytest.fixture
def linked_tree(tmp_path):
    """A workflow, a ServiceAccount manifest and the Terraform roles, each in its own folder."""
    github = FIXTURES / "OIDC108" / "positive-job-gained-environment"
    eks = FIXTURES / "OIDC108" / "positive-service-account-namespace"
    shutil.copytree(github, tmp_path, dirs_exist_ok=True)
    shutil.copytree(eks, tmp_path, dirs_exist_ok=True)
    (tmp_path / "expected.yaml").unlink()
    return tmp_path


def test_graph_links_workflow_manifest_and_terraform_in_one_scan(linked_tree):
    result = runner.invoke(app, ["graph", str(linked_tree), "--format", "json",
                                 "--repository", "acme/api"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    edges = {(labels[e["source"]], labels[e["target"]], e["label"]) for e in data["edges"]}
    assert ("deploy.yml job deploy", "aws_iam_role.deploy", "environment production") in edges
    assert ("ServiceAccount payment/api", "aws_iam_role.api", "ServiceAccount payment/api") in edges
    assert any(s == "aws_iam_role.api" and "system:serviceaccount:payments:api" in l
               for s, _, l in edges)


@pytest.mark.parametrize("fmt, marker", [("mermaid", "flowchart LR"), ("dot", "digraph oidclint")])
def test_graph_text_formats(linked_tree, fmt, marker):
    result = runner.invoke(app, ["graph", str(linked_tree), "--format", fmt, "--repository", "acme/api"])
    assert result.exit_code == 0
    assert result.stdout.startswith(marker)
    assert "aws_iam_role.api" in result.stdout and "ServiceAccount payment/api" in result.stdout


def test_explain_role_says_why_aws_refuses(linked_tree):
    result = runner.invoke(app, ["explain", "aws_iam_role.api", "--path", str(linked_tree),
                                 "--claim", "sub=system:serviceaccount:payment:api",
                                 "--claim", "aud=sts.amazonaws.com"])
    assert result.exit_code == 1, result.output
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in result.stdout
    assert "the token has `system:serviceaccount:payment:api`" in result.stdout


def test_explain_role_admits_the_right_claims(linked_tree):
    result = runner.invoke(app, ["explain", "payments-api", "--path", str(linked_tree),
                                 "--claim", "sub=system:serviceaccount:payments:api",
                                 "--claim", "aud=sts.amazonaws.com"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("AWS would admit this token.")


def test_explain_workload_reproduces_the_error(linked_tree):
    result = runner.invoke(app, ["explain", "--path", str(linked_tree), "--repository", "acme/api",
                                 "--workload", ".github/workflows/deploy.yml:deploy"])
    assert result.exit_code == 1, result.output
    assert "presents" in result.stdout
    assert "FAILS   StringEquals token.actions.githubusercontent.com:sub" in result.stdout
    assert "AWS would answer: Not authorized" in result.stdout


def test_explain_usage_errors(linked_tree):
    assert runner.invoke(app, ["explain", "--path", str(linked_tree)]).exit_code == 2
    assert runner.invoke(app, ["explain", "nope", "--path", str(linked_tree)]).exit_code == 2
    assert runner.invoke(app, ["explain", "aws_iam_role.api", "--claim", "sub",
                               "--path", str(linked_tree)]).exit_code == 2


def test_explain_workload_names_every_role_it_may_assume():
    folder = FIXTURES / "OIDC108" / "negative-same-name-given-to-unread-module"
    result = runner.invoke(app, ["explain", "--path", str(folder), "--repository", "acme/site",
                                 "--workload", ".github/workflows/release.yml:publish"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("release.yml job publish may assume any of aws_iam_role.deploy in ")
    assert "module.ci_role (acme-platform/ci-role/aws), whose code the scan cannot read" in first


HELM = FIXTURES / "OIDC108" / "positive-helm-release-names-service-account"


@pytest.mark.parametrize("wanted", ["main.tf:alb", "Helm release kube-system/alb"])
def test_explain_workload_shows_why_a_helm_release_is_refused(wanted):
    result = runner.invoke(app, ["explain", "--path", str(HELM), "--workload", wanted])
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    # The name the chart gives its ServiceAccount, and where it comes from.
    assert first == ("Helm release kube-system/alb (ServiceAccount "
                     "kube-system/alb-aws-load-balancer-controller, named by chart "
                     "aws-load-balancer-controller from the release name `alb`) presents:")
    assert ("FAILS   StringEquals sub `system:serviceaccount:kube-system:"
            "aws-load-balancer-controller`: the token has `system:serviceaccount:kube-system:"
            "alb-aws-load-balancer-controller`") in result.stdout
    assert "AWS would answer: Not authorized" in result.stdout


def test_graph_draws_a_helm_release_as_a_workload():
    result = runner.invoke(app, ["graph", str(HELM), "--format", "mermaid"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    ids = {line.split('"')[1]: line.split("(")[0].split("[")[0] for line in lines
           if line.startswith("n") and "-->" not in line}
    release, role = ids["Helm release kube-system/alb"], ids["aws_iam_role.lbc"]
    assert f'{release}(["Helm release kube-system/alb"])' in lines  # drawn as a workload
    assert any(line.startswith(f'{release} -->|"ServiceAccount kube-system/alb-aws-load-'
                               'balancer-controller') and line.endswith(f"| {role}")
               for line in lines)


@pytest.mark.parametrize("fixture, verdict, code", [
    ("positive-buildkite-branch-not-admitted", "refuses it whatever they are", 1),
    ("negative-buildkite-step-admitted", "admits it depends on them", 0)])
def test_explain_workload_decides_a_partly_unknown_subject_when_it_can(fixture, verdict, code):
    folder = FIXTURES / "OIDC108" / fixture
    result = runner.invoke(app, ["explain", "--path", str(folder),
                                 "--workload", ".buildkite/pipeline.yml:deploy"])
    assert result.exit_code == code, result.output
    assert "partly unknown" in result.stdout and verdict in result.stdout
    assert "may assume any of" not in result.stdout


def test_graph_draws_the_other_ci_workloads():
    folder = FIXTURES / "OIDC108"
    for fixture, workload in (("negative-circleci-branch-admitted", "job deploy"),
                              ("negative-bitbucket-repository-steps-admitted", "step Upload"),
                              ("negative-hcp-workspace-admitted", "tfe_workspace.network")):
        result = runner.invoke(app, ["graph", str(folder / fixture), "--format", "mermaid"])
        assert result.exit_code == 0, result.output
        assert workload in result.stdout and "-->|" in result.stdout


def test_explain_workload_of_a_central_workflow_takes_each_ref_it_may_be_called_at(tmp_path):
    """A call at `@v1` names a branch or a tag: explain evaluates the trust for each."""
    shutil.copytree(FIXTURES / "OIDC108" / "positive-remote-reusable-workflow-ref-differs",
                    tmp_path, dirs_exist_ok=True)
    result = runner.invoke(app, ["explain", "--path", str(tmp_path), "--repository", "acme/api",
                                 "--workload", "platform/.github/workflows/deploy.yml:apply"])
    assert result.exit_code == 1, result.output
    assert "release.yml job deploy → deploy.yml job apply (push to main) presents, if " \
           "`job_workflow_ref` is `acme/platform/.github/workflows/deploy.yml@refs/heads/v1`:" \
           in result.stdout
    assert "is `acme/platform/.github/workflows/deploy.yml@refs/tags/v1`:" in result.stdout
    assert result.stdout.count("FAILS   StringEquals token.actions.githubusercontent.com:"
                               "job_workflow_ref") == 2
    assert result.stdout.count("Not authorized to perform sts:AssumeRoleWithWebIdentity") == 2


ROLE_IN_ROOT = '''
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
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:acme/api:ref:refs/heads/%s"
        }
      }
    }]
  })
}
'''
RELEASE = '''
on:
  push:
    branches: [release]
permissions:
  id-token: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
'''


@pytest.mark.parametrize("branches, code", [(("main", "main"), 1), (("main", "release"), 0)])
def test_explain_exits_1_only_when_every_role_a_workload_may_assume_refuses(tmp_path, branches,
                                                                            code):
    """Two root modules each define a role `deploy`: which one the job reaches is not known,
    so the answer is `Not authorized` only if both refuse its token."""
    for folder, branch in zip(("staging", "production"), branches):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "main.tf").write_text(ROLE_IN_ROOT % branch)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "release.yml").write_text(RELEASE)
    result = runner.invoke(app, ["explain", "--path", str(tmp_path), "--repository", "acme/api",
                                 "--workload", ".github/workflows/release.yml:publish"])
    assert result.exit_code == code, result.output
    assert result.stdout.startswith("release.yml job publish may assume any of ")
    assert "AWS would answer: Not authorized" in result.stdout
    assert ("AWS would admit this token." in result.stdout) == ("release" in branches)
