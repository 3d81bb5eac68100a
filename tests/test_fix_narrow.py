"""``oidclint fix --narrow ROLE``: the least-privilege trust for the linked workloads, written
in the syntax of the role's trust, with its proof; and the findings that point at it."""

from __future__ import annotations

import json
import shutil
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import SAMPLES
from oidclint.cli import app
from oidclint.engine import scan

runner = CliRunner()

WORKFLOW = """\
name: deploy
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/ci
          aws-region: eu-west-1
  rollback:
    runs-on: ubuntu-latest
    if: github.event_name == 'workflow_dispatch'
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/ci
          aws-region: eu-west-1
"""
PROVIDER_TF = """\
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
"""
CONDITIONS = {
    # The trust each rule reports, as (operator, sub values) beside the audience.
    "OIDC201": None,
    "OIDC203": ("StringLike", ["repo:acme*"]),
    "OIDC204": ("StringLike", ["repo:acme/*"]),
    "OIDC205": ("StringEquals", ["environment:production"]),
    "OIDC209": ("StringLike", ["repo:acme/api:*"]),
}
ADMIN = """
resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"""


def jsonencode_tree(folder: Path, sub: tuple[str, list[str]] | None, extra: str = "") -> Path:
    condition = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    if sub:
        condition.setdefault(sub[0], {})["token.actions.githubusercontent.com:sub"] = sub[1]
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
    (folder / "main.tf").write_text(PROVIDER_TF + f"""
resource "aws_iam_role" "ci" {{
  name = "ci"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = {{ Federated = aws_iam_openid_connect_provider.github.arn }}
      Condition = {json.dumps(condition)}
    }}]
  }})
}}
""".replace('": ', '" = ') + extra)
    return folder


PROPOSED = ("`aud` StringEquals `sts.amazonaws.com`; `sub` StringLike "
            "`repo:acme/api:environment:production`, `repo:acme/api:ref:refs/heads/*`; "
            "`environment` StringEquals")


@pytest.mark.parametrize("rule", sorted(CONDITIONS))
def test_the_finding_names_the_proposal(tmp_path, rule):
    folder = jsonencode_tree(tmp_path, CONDITIONS[rule], ADMIN if rule == "OIDC209" else "")
    report = scan([folder], root=folder, repository="acme/api")
    found = [f for f in report.findings if f.rule_id == rule]
    assert found, [f.rule_id for f in report.findings]
    # The deploy job runs in `production`, rollback on any branch: no `environment` key.
    assert all("`oidclint fix --narrow aws_iam_role.ci` proposes: `aud` StringEquals "
               "`sts.amazonaws.com`; `sub` StringLike `repo:acme/api:environment:production`, "
               "`repo:acme/api:ref:refs/heads/*`." in f.fix for f in found), found[0].fix


def test_no_proposal_is_named_when_a_subject_is_not_known(tmp_path):
    folder = jsonencode_tree(tmp_path, CONDITIONS["OIDC204"])
    report = scan([folder], root=folder, repository=None)
    found = [f for f in report.findings if f.rule_id == "OIDC204"]
    assert found and all("--narrow" not in f.fix for f in found)


def narrow(*arguments: str):
    return runner.invoke(app, ["fix", "--narrow", *arguments])


def test_it_proposes_for_a_sample_stack_and_proves_it():
    stack = SAMPLES / "github-actions-workflows"
    before = {p: p.read_bytes() for p in stack.rglob("*") if p.is_file()}
    result = narrow("aws_iam_role.ci_deploy", str(stack), "--repository", "acme/payments-api")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "In aws_iam_policy_document condition blocks" in out
    assert '      test     = "StringLike"\n      variable = "${local.github_issuer}:sub"' in out
    assert '"repo:acme/payments-api:ref:refs/heads/*",' in out
    assert re.search(r"^  admits  rollback\.yml job rollback \(workflow_dispatch on any branch\):"
                     r" `repo:acme/payments-api:ref:refs/heads/\*` \(the current trust refuses "
                     r"it: the proposal admits more here\)$", out, re.M)
    for what in ("another owner", "another repository", "another environment",
                 "a pull request"):
        assert re.search(rf"^  refuses {what}: `repo:", out, re.M), what
    assert re.search(r"^  admits  another branch: .*, as rollback\.yml job rollback", out, re.M)
    assert {p: p.read_bytes() for p in stack.rglob("*") if p.is_file()} == before


def test_service_accounts_are_probed_by_namespace_and_name():
    result = narrow("payments-eu-ledger-exporter", str(SAMPLES / "eks-irsa-workloads"))
    assert result.exit_code == 0, result.output
    assert "  refuses another ServiceAccount: `system:serviceaccount:ledger:exporter-oidclint-" \
           "probe`" in result.stdout
    assert "  refuses another namespace: `system:serviceaccount:ledger-oidclint-probe:" \
           "exporter`" in result.stdout


def test_an_unknown_role_is_a_usage_error_naming_it(tmp_path):
    result = narrow("nosuch", str(jsonencode_tree(tmp_path, None)))
    assert result.exit_code == 2
    assert "no role 'nosuch' in the scan" in result.output
    missing = runner.invoke(app, ["fix", str(tmp_path)])
    assert missing.exit_code == 2 and "--narrow ROLE" in missing.output


def test_nothing_is_proposed_when_a_subject_is_not_known(tmp_path):
    folder = jsonencode_tree(tmp_path, None)
    result = narrow("ci", str(folder))  # no repository: GitHub subjects are not known
    assert result.exit_code == 1
    assert "deploy.yml job deploy (environment production): its subject is not known" \
        in result.stdout
    assert "Nothing is proposed" in result.stdout
    alone = narrow("ci", str(folder / "main.tf"), "--repository", "acme/api")
    assert alone.exit_code == 1
    assert "No proposal for aws_iam_role.ci (main.tf:6:1): no workload of the scan is " \
           "linked to the role." in alone.stdout


# --- each syntax: the block parses, and applied by hand it admits exactly the workloads -----

TRUSTS = {
    "policy-document": ("main.tf", PROVIDER_TF + """
data "aws_iam_policy_document" "ci" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "${local.issuer}:sub"
      values   = ["repo:acme/*"]
    }
  }
}

locals {
  issuer = replace(aws_iam_openid_connect_provider.github.url, "https://", "")
}

resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = data.aws_iam_policy_document.ci.json
}
"""),
    "jsonencode": ("main.tf", None),
    "heredoc": ("main.tf", PROVIDER_TF + """
resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Principal": {"Federated": "${aws_iam_openid_connect_provider.github.arn}"},
      "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}
    }
  ]
}
EOF
}
"""),
    "yaml": ("template.yaml", """\
Resources:
  Provider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
      ClientIdList: [sts.amazonaws.com]
  Ci:
    Type: AWS::IAM::Role
    Properties:
      RoleName: ci
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: !Ref Provider
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringLike:
                token.actions.githubusercontent.com:sub: "repo:acme/*"
"""),
    "json": ("template.json", json.dumps({"Resources": {
        "Provider": {"Type": "AWS::IAM::OIDCProvider", "Properties": {
            "Url": "https://token.actions.githubusercontent.com",
            "ClientIdList": ["sts.amazonaws.com"]}},
        "Ci": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "ci", "AssumeRolePolicyDocument": {"Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": {"Ref": "Provider"}},
                "Condition": {"StringLike": {
                    "token.actions.githubusercontent.com:sub": "repo:acme/*"}}}]}}}}},
        indent=2)),
    # A trust policy file a script gives the role (`aws iam create-role`).
    "policy": ("trust.json", json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/"
                                   "token.actions.githubusercontent.com"},
        "Condition": {"StringLike": {
            "token.actions.githubusercontent.com:sub": "repo:acme/*"}}}]}, indent=2)),
}
CREATE_ROLE = "aws iam create-role --role-name ci --assume-role-policy-document file://trust.json\n"
CONDITION_BLOCK = {
    # Where the trust's condition block is, to put the proposal in its place.
    "policy-document": re.compile(r"    condition \{.*\n    \}\n", re.S),
    "jsonencode": re.compile(r"      Condition = \{.*?\n"),
    "heredoc": re.compile(r'      "Condition": \{.*\}\}\n'),
    "yaml": re.compile(r"            Condition:\n.*", re.S),
    "json": re.compile(r'              "Condition": \{.*?\n              \}\n', re.S),
    "policy": re.compile(r'      "Condition": \{.*?\n      \}\n', re.S),
}
NAMES = {"policy-document": "aws_iam_policy_document condition blocks",
         "jsonencode": "a jsonencode map", "heredoc": "heredoc JSON",
         "yaml": "CloudFormation YAML", "json": "CloudFormation JSON",
         "policy": "policy JSON"}


def block_of(output: str) -> str:
    """The proposed block: the indented lines between the blank lines."""
    return textwrap.dedent(output.split("\n\n")[1])


@pytest.mark.parametrize("syntax", sorted(TRUSTS))
def test_the_proposal_is_written_in_the_trust_syntax_and_does_what_it_says(tmp_path, syntax):
    name, text = TRUSTS[syntax]
    if text is None:
        jsonencode_tree(tmp_path, CONDITIONS["OIDC204"])
    else:
        (tmp_path / ".github" / "workflows").mkdir(parents=True)
        (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
        (tmp_path / name).write_text(text)
        if syntax == "policy":
            (tmp_path / "create-role.sh").write_text(CREATE_ROLE)
    assert "OIDC204" in {f.rule_id for f in scan([tmp_path], root=tmp_path,
                                                 repository="acme/api").findings}
    result = narrow("ci", str(tmp_path), "--repository", "acme/api")
    assert result.exit_code == 0, result.output
    assert f"In {NAMES[syntax]}, for the statement at {name}:" in result.stdout
    block = block_of(result.stdout)
    if syntax == "yaml":
        assert yaml.safe_load(block)["Condition"]["StringLike"] == {
            "token.actions.githubusercontent.com:sub": ["repo:acme/api:environment:production",
                                                        "repo:acme/api:ref:refs/heads/*"]}
    elif syntax in ("json", "heredoc", "policy"):
        assert json.loads("{" + block + "}")["Condition"]["StringEquals"] == {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    # Applied by hand, in the place of the old conditions: the broad pattern is gone, both jobs
    # are admitted, and a second proposal is the same.
    source = (tmp_path / name).read_text()
    indent = CONDITION_BLOCK[syntax].search(source)[0]
    indent = indent[:len(indent) - len(indent.lstrip(" "))]
    if syntax == "heredoc":
        indent = "      "
    (tmp_path / name).write_text(CONDITION_BLOCK[syntax].sub(
        lambda _: textwrap.indent(block, indent) + "\n", source, count=1))
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    assert {f.rule_id for f in report.findings} & {"OIDC108", "OIDC201", "OIDC202", "OIDC204",
                                                   "OIDC209"} == set(), report.findings
    again = narrow("ci", str(tmp_path), "--repository", "acme/api")
    assert block_of(again.stdout) == block
    assert "the current trust refuses" not in again.stdout


def test_the_readme_example_is_what_the_command_prints():
    readme = (SAMPLES.parent / "README.md").read_text()
    match = re.search(r"^<!-- fix-narrow-example: (.+) -->\n```\n\$ oidclint fix --narrow \1\n"
                      r"(.*?)```$", readme, re.M | re.S)
    assert match
    arguments = [str(SAMPLES.parent / a) if a.startswith("sample_stacks/") else a
                 for a in match[1].split()]
    assert narrow(*arguments).stdout == match[2]


def test_a_workload_whose_role_is_not_known_is_named_as_left_out(tmp_path):
    folder = jsonencode_tree(tmp_path, CONDITIONS["OIDC204"])
    (folder / ".github" / "workflows" / "other.yml").write_text(
        WORKFLOW.replace("arn:aws:iam::123456789012:role/ci", "${{ secrets.DEPLOY_ROLE }}"))
    result = narrow("ci", str(folder), "--repository", "acme/api")
    assert result.exit_code == 0, result.output
    assert "  note: not included, as the scan cannot tell whether they assume the role: " \
           "other.yml job deploy, other.yml job rollback." in result.stdout


def test_a_key_for_an_issuer_not_known_is_built_from_the_terraform_provider(tmp_path):
    """An EKS cluster's issuer is known only when deployed: with no key of the trust to copy,
    the proposal builds the keys from the provider resource, and applied they are read as
    keys of that issuer."""
    shutil.copytree(SAMPLES / "eks-irsa-workloads", tmp_path / "stack")
    irsa = tmp_path / "stack" / "terraform" / "irsa.tf"
    source = irsa.read_text()
    trust = re.search(r'data "aws_iam_policy_document" "payments_api_trust" \{.*?\n\}\n',
                      source, re.S)[0]
    open_trust = re.sub(r"\n    condition \{.*?\n    \}\n", "\n", trust, flags=re.S)
    irsa.write_text(source.replace(trust, open_trust))
    stack = tmp_path / "stack"
    assert "OIDC203" in {f.rule_id for f in scan([stack], root=stack).findings}
    result = narrow("aws_iam_role.payments_api", str(stack))
    assert result.exit_code == 0, result.output
    block = block_of(result.stdout)
    assert 'variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")' \
           '}:sub"' in block
    applied = open_trust.replace("  }\n}\n", textwrap.indent(block, "    ") + "\n  }\n}\n")
    irsa.write_text(source.replace(trust, applied))
    found = {f.rule_id for f in scan([stack], root=stack).findings
             if f.address == "aws_iam_role.payments_api"}
    assert found & {"OIDC104", "OIDC108", "OIDC203", "OIDC204"} == set(), found


def test_a_missing_audience_finding_names_the_proposal_too(tmp_path):
    folder = jsonencode_tree(tmp_path, ("StringLike", ["repo:acme/api:*"]))
    main = folder / "main.tf"
    main.write_text(main.read_text().replace(
        '"StringEquals" = {"token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"}, ',
        ""))
    report = scan([folder], root=folder, repository="acme/api")
    [found] = [f for f in report.findings if f.rule_id == "OIDC202"]
    assert "`oidclint fix --narrow aws_iam_role.ci` proposes: `aud` StringEquals " \
           "`sts.amazonaws.com`;" in found.fix, found.fix


def test_explain_narrowed_proves_the_proposal_per_run_and_refuses_others():
    stack = SAMPLES / "github-actions-workflows"
    result = runner.invoke(app, ["explain", "aws_iam_role.ci_deploy", "--narrowed", "--path",
                                 str(stack), "--repository", "acme/payments-api"])
    assert result.exit_code == 0, result.output
    proposed = narrow("aws_iam_role.ci_deploy", str(stack), "--repository", "acme/payments-api")
    # The same proof as fix --narrow prints, without the text to paste.
    proof = proposed.stdout[proposed.stdout.index("Proof ("):proposed.stdout.index("Nothing was")]
    assert proof in result.stdout
    assert "refuses another owner" in result.stdout
    assert "refuses another repository" in result.stdout
    assert "condition {" not in result.stdout


def test_explain_narrowed_exits_1_when_nothing_can_be_proposed(tmp_path):
    folder = jsonencode_tree(tmp_path, CONDITIONS["OIDC204"])
    result = runner.invoke(app, ["explain", "ci", "--narrowed", "--path", str(folder)])
    assert result.exit_code == 1, result.output
    assert "Nothing is proposed" in result.stdout or "No proposal" in result.stdout
    missing = runner.invoke(app, ["explain", "nope", "--narrowed", "--path", str(folder)])
    assert missing.exit_code == 2
