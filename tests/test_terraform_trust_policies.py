"""Terraform trust policies in each form they are written: heredoc and quoted JSON,
`jsonencode`, dynamic blocks, files beside the configuration, and values Terraform
rejects."""

from __future__ import annotations

import pytest

from oidclint.source import Partial, Span, Unknown
from terraform_helpers import PROVIDERS_TF, conditions, role, scan


HEREDOC_TF = '''\
variable "repo" {}

resource "aws_iam_role" "heredoc" {
  name = "heredoc"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Federated": "${aws_iam_openid_connect_provider.gh.arn}"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          "token.actions.githubusercontent.com:sub": "repo:${var.repo}:ref:refs/heads/main",
          "token.actions.githubusercontent.com:aud": ${jsonencode(var.audiences)}
        }
      }
    }
  ]
}
EOF
}
'''


def test_heredoc_json_with_unknown_interpolations(tmp_path):
    inventory = scan(tmp_path, {"main.tf": HEREDOC_TF})
    trust = role(inventory, "aws_iam_role.heredoc").trust
    assert trust.problems == []
    statement, = trust.statements
    assert statement.span.line == 9
    assert statement.actions[0].span == Span("main.tf", 12, 17, 12, 48)
    principal, = statement.federated
    assert isinstance(principal, Unknown)  # the provider is not declared in this module
    assert principal.origin.startswith("undeclared aws_iam_openid_connect_provider.gh")
    assert principal.ref == "aws_iam_openid_connect_provider.gh"
    keys = conditions(statement)
    sub = keys["token.actions.githubusercontent.com:sub"]
    assert sub.key.span.line == 15
    value, = sub.values
    assert isinstance(value, Partial) and value.known_prefix == "repo:"
    assert value.parts[1].origin == "var.repo (no default)"
    aud = keys["token.actions.githubusercontent.com:aud"]
    assert isinstance(aud.values[0], Unknown) and "var.audiences" in aud.values[0].origin


def test_heredoc_principal_still_names_its_provider(tmp_path):
    text = PROVIDERS_TF + (
        'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
        '{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",\n'
        ' "Principal": {"Federated": "${aws_iam_openid_connect_provider.github.arn}"}}]}\nEOF\n}\n')
    statement, = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust.statements
    principal, = statement.federated
    assert principal.ref == "aws_iam_openid_connect_provider.github"
    assert principal.span.line == 10


def test_heredoc_json_fully_known(tmp_path):
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<-JSON\n'
            '    {\n      "Statement": {"Effect": "Deny", "Action": "sts:*"}\n    }\n  JSON\n}\n')
    trust = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust
    statement, = trust.statements
    assert statement.effect == "Deny"
    assert statement.effect.span == Span("main.tf", 5, 31, 5, 37)


def test_policy_that_is_not_json_is_a_problem(tmp_path):
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
            '{\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\nEOF\n}\n')
    inventory = scan(tmp_path, {"main.tf": text})
    trust = role(inventory, "aws_iam_role.r").trust
    (span, message), = trust.problems
    assert "not valid JSON" in message
    assert span == Span("main.tf", 6, 1)  # the line with the trailing comma
    assert trust.statements == []


def test_an_argument_a_statement_block_does_not_have_is_reported(tmp_path):
    text = ('data "aws_iam_policy_document" "trust" {\n  statement {\n'
            '    action = ["sts:AssumeRoleWithWebIdentity"]\n'
            '    principals {\n      type        = "Federated"\n'
            '      identifiers = ["arn:aws:iam::111122223333:oidc-provider/gitlab.com"]\n'
            '    }\n  }\n}\n'
            'resource "aws_iam_role" "r" {\n  name = "r"\n'
            '  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n')
    inventory = scan(tmp_path, {"main.tf": text})
    [problem] = inventory.diagnostics
    assert (problem.path, problem.span.line) == ("main.tf", 3)
    assert problem.message == ("data.aws_iam_policy_document.trust: a `statement` block has no "
                               "argument `action` (`actions`?); Terraform rejects it")
    # What the statement was meant to allow is not known: no finding says it allows nothing.
    [statement] = role(inventory, "aws_iam_role.r").trust.statements
    [action] = statement.actions
    assert isinstance(action, Unknown)


def test_quoted_json_string_points_at_the_string(tmp_path):
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n'
            '  assume_role_policy = "{\\"Statement\\": [{\\"Effect\\": \\"Allow\\", '
            '\\"Action\\": \\"sts:AssumeRoleWithWebIdentity\\"}]}"\n}\n')
    trust = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust
    statement, = trust.statements
    assert statement.actions == ["sts:AssumeRoleWithWebIdentity"]
    assert statement.actions[0].span.line == 3
    assert statement.actions[0].span.column == 24


def test_jsonencode_trust_with_eks_issuer(tmp_path):
    text = '''\
resource "aws_eks_cluster" "main" {
  name = "main"
}
locals {
  issuer = replace(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://", "")
}
resource "aws_iam_role" "irsa" {
  name = "irsa"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.issuer}" }
      Condition = {
        StringEquals = {
          "${local.issuer}:sub"                                  = "system:serviceaccount:payments:api"
          "${aws_eks_cluster.main.identity[0].oidc[0].issuer}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}
data "aws_caller_identity" "current" {}
'''
    trust = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.irsa").trust
    statement, = trust.statements
    assert statement.span == Span("main.tf", 11, 18, 21, 6)
    by_claim = {c.claim: c for c in statement.conditions}
    sub, aud = by_claim["sub"], by_claim["aud"]
    assert sub.key.known_prefix == "oidc.eks."
    assert sub.key.span == Span("main.tf", 17, 11, 17, 32)
    assert aud.key.known_prefix == "https://oidc.eks."  # scheme left in: never matches
    principal, = statement.federated
    assert principal.known_prefix == "arn:aws:iam::"
    assert principal.parts[1].origin == "data.aws_caller_identity.current.account_id"


def test_dynamic_blocks_are_unknown(tmp_path):
    text = '''\
variable "subjects" {}
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"]
    }
    dynamic "condition" {
      for_each = var.subjects
      content {
        test     = "StringLike"
        variable = "token.actions.githubusercontent.com:sub"
        values   = [condition.value]
      }
    }
  }
  dynamic "statement" {
    for_each = var.subjects
    content {
      actions = ["sts:AssumeRole"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
'''
    trust = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust
    known, dynamic = trust.statements
    condition, = known.conditions
    assert isinstance(condition.key, Unknown) and condition.span.line == 9
    assert dynamic.unknown is not None and dynamic.span.line == 18


def test_policy_document_principal_star_and_sources(tmp_path):
    text = '''\
data "aws_iam_policy_document" "base" {
  statement {
    sid     = "Keep"
    actions = ["sts:AssumeRole"]
  }
  statement {
    sid     = "Replace"
    actions = ["s3:*"]
  }
}
data "aws_iam_policy_document" "trust" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    sid     = "Replace"
    effect  = "Deny"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    not_principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::1:root"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
'''
    trust = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust
    keep, replaced = trust.statements
    assert keep.sid == "Keep" and keep.span.line == 2
    assert replaced.sid == "Replace" and replaced.effect == "Deny"
    assert replaced.principals == {"*": ["*"]}
    assert replaced.not_principals == {"AWS": ["arn:aws:iam::1:root"]}


def test_trust_from_a_file_beside_the_configuration(tmp_path):
    trust_json = '{\n  "Statement": [\n    {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity"}\n  ]\n}\n'
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "trust.json").write_text(trust_json)
    (tmp_path / "iam" / "trust.json.tpl").write_text(trust_json.replace("Allow", "${effect}"))
    text = ('resource "aws_iam_role" "file" {\n  name = "f"\n'
            '  assume_role_policy = file("${path.module}/trust.json")\n}\n'
            'resource "aws_iam_role" "template" {\n  name = "t"\n'
            '  assume_role_policy = templatefile("${path.module}/trust.json.tpl", { effect = "Deny" })\n}\n')
    inventory = scan(tmp_path, {"iam/main.tf": text})
    from_file, = role(inventory, "aws_iam_role.file").trust.statements
    assert from_file.span == Span("iam/trust.json", 3, 5, 3, 67)
    from_template, = role(inventory, "aws_iam_role.template").trust.statements
    assert from_template.effect == "Deny"
    assert from_template.span.path == "iam/trust.json.tpl" and from_template.span.line == 3


def test_unknown_trust_and_session_duration(tmp_path):
    text = ('variable "trust" {}\nvariable "duration" {}\nresource "aws_iam_role" "r" {\n'
            '  name = "r"\n  assume_role_policy = var.trust\n  max_session_duration = var.duration\n}\n')
    r = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r")
    assert r.trust.unknown is not None and r.trust.unknown.origin == "var.trust (no default)"
    assert isinstance(r.max_session_duration, Unknown)


def test_yaml_is_not_a_json_policy(tmp_path):
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
            'Version: "2012-10-17"\nStatement: []\nEOF\n}\n')
    (span, message), = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust.problems
    assert message.startswith("the policy is not valid JSON: line 1")
    assert span == Span("main.tf", 4, 1)


@pytest.mark.parametrize("name, text", [
    ("main.tf", 'resource "aws_iam_role" "r" {\n'
                '  assume_role_policy = data.aws_iam_policy_document.trust\n}\n'),
    ("main.tf.json", '{"resource": {"aws_iam_role": {"r": {\n'
                     '  "assume_role_policy": "${data.aws_iam_policy_document.trust}"}}}}\n'),
])
def test_a_policy_document_object_instead_of_its_json_is_rejected_as_terraform_does(
        tmp_path, name, text):
    from oidclint.engine import scan as scan_tree

    document = ('data "aws_iam_policy_document" "trust" {\n  statement {\n'
                '    actions = ["sts:AssumeRoleWithWebIdentity"]\n  }\n}\n')
    (tmp_path / "document.tf").write_text(document)
    (tmp_path / name).write_text(text)
    report = scan_tree([tmp_path], root=tmp_path, prefilter=False)
    problem, = [d for d in report.diagnostics if "JSON string" in d.message]
    assert problem.message == (
        "aws_iam_role.r: `assume_role_policy` must be a JSON string; Terraform rejects the "
        "object `data.aws_iam_policy_document.trust`: use "
        "`data.aws_iam_policy_document.trust.json`")
    assert (problem.path, problem.span.line) == (name, 2)


@pytest.mark.parametrize("value, what", [
    ('{ Version = "2012-10-17", Statement = [] }', "an object: wrap it in jsonencode()"),
    ("[]", "a list: wrap it in jsonencode()"),
    ("aws_iam_role.other", "the object `aws_iam_role.other`"),
])
def test_other_values_that_are_not_strings_are_rejected(tmp_path, value, what):
    inventory = scan(tmp_path, {"main.tf": f'resource "aws_iam_role" "r" {{\n'
                                           f'  assume_role_policy = {value}\n}}\n'
                                           'resource "aws_iam_role" "other" {}\n'})
    trust = role(inventory, "aws_iam_role.r").trust
    (span, message), = trust.problems
    assert message.endswith(what) and span.line == 2
    assert trust.statements == []
