"""Terraform folders to providers, roles and policies, with the spans rules point at."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.model import Inventory
from oidclint.source import Partial, SourceFile, Span, Unknown
from oidclint.terraform_roots import parse_terraform


def scan(tmp_path: Path, files: dict[str, str]) -> Inventory:
    sources = []
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        sources.append(SourceFile(name, target, text, "terraform"))
    return parse_terraform(sources)


def role(inventory: Inventory, address: str):
    return next(r for r in inventory.roles if r.address == address)


def conditions(statement) -> dict[str, object]:
    return {str(c.key): c for c in statement.conditions}


PROVIDERS_TF = '''\
resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}
'''

DOCUMENT_TF = '''\
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitHub"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/other"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.host}:sub"
      values   = local.subjects
    }

    condition {
      test     = "StringLike"
      variable = "${local.host}:sub"
      values   = ["repo:acme/web:*"]
    }
  }
}
'''

ROLE_TF = '''\
locals {
  host     = replace(aws_iam_openid_connect_provider.github.url, "https://", "")
  subjects = ["repo:acme/api:ref:refs/heads/main"]
}

resource "aws_iam_role" "deploy" {
  name                 = "deploy"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 7200
  managed_policy_arns  = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]

  inline_policy {
    name   = "s3"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
  }
}
'''


def test_provider(tmp_path):
    inventory = scan(tmp_path, {"providers.tf": PROVIDERS_TF})
    provider, = inventory.providers
    assert provider.address == "aws_iam_openid_connect_provider.github"
    assert provider.url == "https://token.actions.githubusercontent.com"
    assert provider.url.span == Span("providers.tf", 2, 21, 2, 66)
    assert provider.host == "token.actions.githubusercontent.com"
    assert provider.client_ids == ["sts.amazonaws.com"]
    assert provider.thumbprints == ["6938fd4d98bab03faadb97b34396831e3780aea1"]
    assert provider.span == Span("providers.tf", 1, 1, 5, 2)
    assert provider.scope == "."


def test_provider_with_unknown_url_and_missing_lists(tmp_path):
    inventory = scan(tmp_path, {"infra/oidc/main.tf": (
        'variable "issuer" {}\n'
        'resource "aws_iam_openid_connect_provider" "x" {\n  url = var.issuer\n}\n')})
    provider, = inventory.providers
    assert isinstance(provider.url, Unknown) and provider.url.origin == "var.issuer (no default)"
    assert provider.client_ids == [] and provider.thumbprints == []
    assert provider.scope == "infra/oidc"


def test_policy_document_across_files(tmp_path):
    inventory = scan(tmp_path, {"providers.tf": PROVIDERS_TF, "document.tf": DOCUMENT_TF,
                                "role.tf": ROLE_TF})
    # The two StringLike blocks on `sub` merge (OR); the note says so at the second block.
    [merged] = inventory.diagnostics
    assert merged.span.line == 28 and "OR, not AND" in merged.message
    deploy = role(inventory, "aws_iam_role.deploy")
    assert deploy.name == "deploy" and deploy.name.ref == "aws_iam_role.deploy"
    assert deploy.scope == "." and deploy.span == Span("role.tf", 6, 1, 16, 2)
    assert deploy.max_session_duration == 7200
    trust = deploy.trust
    assert trust.problems == [] and trust.unknown is None
    statement, = trust.statements
    assert statement.span == Span("document.tf", 2, 3, 33, 4)
    assert statement.sid == "GitHub" and statement.allows
    assert statement.effect.span.line == 2  # the default Allow points at the statement
    assert statement.actions == ["sts:AssumeRoleWithWebIdentity"]
    assert statement.actions[0].span == Span("document.tf", 4, 16, 4, 47)
    federated = statement.federated
    assert len(federated) == 2  # two principals blocks of one type merge
    assert isinstance(federated[0], Partial)
    assert federated[0].ref == "aws_iam_openid_connect_provider.github"
    assert str(federated[0]).endswith(":oidc-provider/token.actions.githubusercontent.com")
    keys = conditions(statement)
    aud = keys["token.actions.githubusercontent.com:aud"]
    assert aud.operator == "StringEquals" and aud.values == ["sts.amazonaws.com"]
    assert aud.key.span == Span("document.tf", 18, 18, 18, 37)
    assert aud.span == aud.key.span
    sub = keys["token.actions.githubusercontent.com:sub"]
    assert sub.operator == "StringLike"
    # Two conditions with one test and variable merge their values (as the provider does).
    assert sub.values == ["repo:acme/api:ref:refs/heads/main", "repo:acme/web:*"]
    assert sub.values[0].span == Span("role.tf", 3, 15, 3, 50)
    assert sub.key.span.line == 24


def test_condition_blocks_on_one_computed_key_merge(tmp_path):
    # `${replace(provider.url, ...)}:sub` twice is one key once evaluated: the provider merges
    # the blocks; a key of another expression stays apart.
    inventory = scan(tmp_path, {"main.tf": '''\
resource "aws_iam_openid_connect_provider" "eks" {
  url            = var.issuer
  client_id_list = ["sts.amazonaws.com"]
}
variable "issuer" {}
variable "other" {}
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:sub"
      values   = ["system:serviceaccount:kube-system:aws-node"]
    }
    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:sub"
      values   = ["system:serviceaccount:kube-system:ebs-csi-controller-sa"]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.other}:sub"
      values   = ["system:serviceaccount:kube-system:other"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
'''})
    (statement,) = inventory.roles[0].trust.statements
    subs = [c for c in statement.conditions if c.claim == "sub"]
    assert [[str(v) for v in c.values] for c in subs] == [
        ["system:serviceaccount:kube-system:aws-node",
         "system:serviceaccount:kube-system:ebs-csi-controller-sa"],
        ["system:serviceaccount:kube-system:other"]]
    assert any("merges their values" in d.message for d in inventory.diagnostics)


def test_role_permissions(tmp_path):
    inventory = scan(tmp_path, {"providers.tf": PROVIDERS_TF, "document.tf": DOCUMENT_TF,
                                "role.tf": ROLE_TF})
    by_address = {p.address: p for p in inventory.policies}
    managed = by_address["aws_iam_role.deploy.managed_policy_arns[0]"]
    assert managed.managed_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert managed.roles == ["aws_iam_role.deploy"] and managed.roles[0].ref == "aws_iam_role.deploy"
    inline = by_address["aws_iam_role.deploy.inline_policy[0]"]
    assert inline.document.statements[0].actions == ["s3:*"]
    assert inline.span.line == 12 and inline.scope == "."


ATTACHMENTS_TF = '''\
resource "aws_iam_role" "ci" {
  name_prefix        = "ci-"
  assume_role_policy = "{}"
}
resource "aws_iam_policy" "deploy" {
  name   = "deploy"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.ci.name
  policy_arn = aws_iam_policy.deploy.arn
}
resource "aws_iam_role_policy" "inline" {
  role   = aws_iam_role.ci.id
  policy = <<-EOF
    {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
  EOF
}
resource "aws_iam_policy_attachment" "many" {
  name       = "many"
  roles      = [aws_iam_role.ci.name, "legacy"]
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
'''


def test_attachments_name_their_roles(tmp_path):
    inventory = scan(tmp_path, {"main.tf": ATTACHMENTS_TF})
    ci = role(inventory, "aws_iam_role.ci")
    assert isinstance(ci.name, Unknown) and ci.name.ref == "aws_iam_role.ci"
    policies = {p.address: p for p in inventory.policies}
    attachment = policies["aws_iam_role_policy_attachment.admin"]
    assert attachment.roles[0].ref == "aws_iam_role.ci"
    assert attachment.managed_arn.ref == "aws_iam_policy.deploy"
    assert attachment.span == Span("main.tf", 9, 1, 12, 2)
    inline = policies["aws_iam_role_policy.inline"]
    assert inline.roles[0].ref == "aws_iam_role.ci"
    statement, = inline.document.statements
    assert statement.actions == ["s3:GetObject"]
    assert statement.actions[0].span == Span("main.tf", 16, 50, 16, 64)  # <<- trimmed columns
    managed = policies["aws_iam_policy.deploy"]
    assert managed.roles == [] and managed.document.statements[0].actions == ["*"]
    many = policies["aws_iam_policy_attachment.many"]
    generated, legacy = many.roles
    assert isinstance(generated, Unknown) and generated.ref == "aws_iam_role.ci"
    assert legacy == "legacy" and legacy.ref is None


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


def test_syntax_error_is_a_diagnostic_and_other_files_still_parse(tmp_path):
    inventory = scan(tmp_path, {
        "providers.tf": PROVIDERS_TF,
        "broken.tf": 'resource "aws_iam_role" "x" {\n  name = \n}\n',
        "other/main.tf": 'resource "aws_iam_role" "ok" {\n  name = "ok"\n  assume_role_policy = "{}"\n}\n',
    })
    diagnostic, = inventory.diagnostics
    assert diagnostic.path == "broken.tf"
    assert diagnostic.message.startswith("HCL syntax error: line 2, column")
    assert [p.address for p in inventory.providers] == ["aws_iam_openid_connect_provider.github"]
    assert [(r.address, r.scope) for r in inventory.roles] == [("aws_iam_role.ok", "other")]
    assert sorted(inventory.files) == ["broken.tf", "other/main.tf", "providers.tf"]


@pytest.mark.parametrize("text", [
    "locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}\n",
    "locals {\n  x = " + "(" * 3000 + "1" + ")" * 3000 + "\n}\n",
    'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = jsonencode('
    + "[" * 2000 + "]" * 2000 + ")\n}\n",
    'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
    + "[" * 3000 + "]" * 3000 + "\nEOF\n}\n",
    "x = " + "1 + " * 3000 + "1\n",
])
def test_deep_nesting_does_not_crash(tmp_path, text):
    inventory = scan(tmp_path, {"deep.tf": text, "providers.tf": PROVIDERS_TF})
    assert [p.address for p in inventory.providers] == ["aws_iam_openid_connect_provider.github"]
    assert not [d for d in inventory.diagnostics if "could not evaluate" in d.message]


def test_deeply_nested_policy_json_is_a_problem(tmp_path):
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
            + "[" * 3000 + "]" * 3000 + "\nEOF\n}\n")
    (span, message), = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust.problems
    assert "nested too deeply" in message and span.line == 3


def test_undecodable_input_is_a_diagnostic(tmp_path):
    source = SourceFile("bad.tf", tmp_path / "bad.tf", "resource \x00 {")
    inventory = parse_terraform([source])
    assert inventory.diagnostics[0].message.startswith("HCL syntax error: line 1, column")


def test_source_files_without_a_real_folder(tmp_path):
    source = SourceFile("main.tf", Path("main.tf"), 'locals {\n  x = file("a.json")\n}\n'
                        'resource "aws_iam_role" "r" {\n  name = local.x\n  assume_role_policy = "{}"\n}\n')
    r, = parse_terraform([source]).roles
    assert isinstance(r.name, Unknown) and r.name.origin == "file a.json"


def test_yaml_is_not_a_json_policy(tmp_path):
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
            'Version: "2012-10-17"\nStatement: []\nEOF\n}\n')
    (span, message), = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust.problems
    assert message.startswith("the policy is not valid JSON: line 1")
    assert span == Span("main.tf", 4, 1)


# -- EKS clusters and the ServiceAccounts that assume roles -------------------------------

EKS_TF = '''\
resource "aws_eks_cluster" "main" {
  name     = var.cluster
  role_arn = "arn:aws:iam::123456789012:role/eks"
}

variable "cluster" {
  default = "prod"
}

resource "aws_iam_role" "api" {
  name = "payments-api"
}

resource "kubernetes_service_account_v1" "api" {
  metadata {
    name      = "api"
    namespace = "payments"
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.api.arn
      "eks.amazonaws.com/audience" = "sts.amazonaws.com"
    }
  }
}

resource "kubernetes_service_account" "worker" {
  metadata {
    name = "worker"
    annotations = {
      "eks.amazonaws.com/role-arn" = "arn:aws:iam::123456789012:role/worker"
    }
  }
}

resource "kubernetes_service_account" "plain" {
  metadata {
    name = "plain"
  }
}
'''


def test_eks_cluster_with_the_issuer_the_evaluator_gives(tmp_path):
    text = EKS_TF + 'locals {\n  issuer = aws_eks_cluster.main.identity[0].oidc[0].issuer\n}\n'
    inventory = scan(tmp_path, {"eks/main.tf": text})
    cluster, = inventory.clusters
    assert cluster.address == "aws_eks_cluster.main" and cluster.scope == "eks"
    assert cluster.name == "prod" and cluster.name.ref == "aws_eks_cluster.main"
    assert cluster.span == Span("eks/main.tf", 1, 1, 4, 2)
    assert isinstance(cluster.issuer, Partial) and cluster.issuer.ref == "aws_eks_cluster.main"
    from oidclint.hcl.module import Module
    from oidclint.hcl.syntax import parse_file
    evaluated = Module("eks", parse_file(text, "eks/main.tf")).local("issuer", cluster.span)
    assert evaluated.parts == cluster.issuer.parts
    assert str(cluster.issuer) == ("https://oidc.eks.${region of aws_eks_cluster.main}"
                                   ".amazonaws.com/id/${OIDC id of aws_eks_cluster.main}")


def test_eks_cluster_without_a_name(tmp_path):
    cluster, = scan(tmp_path, {"main.tf": 'resource "aws_eks_cluster" "c" {}\n'}).clusters
    assert isinstance(cluster.name, Unknown) and cluster.name.origin == "aws_eks_cluster.c.name (not set)"


def test_kubernetes_service_accounts_with_role_annotations(tmp_path):
    inventory = scan(tmp_path, {"main.tf": EKS_TF})
    workloads = {w.name: w for w in inventory.workloads}
    assert set(workloads) == {"ServiceAccount payments/api", "ServiceAccount default/worker"}
    api = workloads["ServiceAccount payments/api"]
    assert api.kind == "kubernetes" and api.cluster == "aws_eks_cluster.main"
    assert api.span == Span("main.tf", 16, 17, 16, 22)
    assert isinstance(api.role, Partial) and api.role.ref == "aws_iam_role.api"
    assert str(api.role) == "arn:aws:iam::${account id of aws_iam_role.api}:role/payments-api"
    assert api.role_span == Span("main.tf", 19, 38, 19, 58)
    assert api.audience == "sts.amazonaws.com"
    context, = api.contexts
    assert context.label == "ServiceAccount payments/api"
    assert context.subject == "system:serviceaccount:payments:api" and not context.pattern
    worker = workloads["ServiceAccount default/worker"]  # the provider's default namespace
    assert worker.role == "arn:aws:iam::123456789012:role/worker"
    assert worker.contexts[0].subject == "system:serviceaccount:default:worker"


def test_service_account_cluster_only_when_the_folder_has_exactly_one(tmp_path):
    two = EKS_TF + 'resource "aws_eks_cluster" "other" {\n  name = "other"\n}\n'
    assert {w.cluster for w in scan(tmp_path, {"main.tf": two}).workloads} == {None}
    alone = EKS_TF.split('resource "aws_iam_role"')[0].replace("aws_eks_cluster", "aws_eks_addon")
    inventory = scan(tmp_path, {"a/main.tf": alone, "b/sa.tf": EKS_TF[EKS_TF.index('resource "kubernetes'):]})
    assert inventory.clusters == [] and {w.cluster for w in inventory.workloads} == {None}


def test_service_accounts_with_unknown_or_odd_values(tmp_path):
    text = '''\
variable "namespace" {}
resource "kubernetes_service_account" "a" {
  metadata {
    generate_name = "a-"
    namespace     = var.namespace
    annotations   = { "eks.amazonaws.com/role-arn" = var.role }
  }
}
resource "kubernetes_service_account" "b" {
  metadata {
    name        = 7
    annotations = var.annotations
  }
}
resource "kubernetes_service_account" "c" {}
'''
    inventory = scan(tmp_path, {"main.tf": text})
    workload, = inventory.workloads
    subject = workload.contexts[0].subject
    assert isinstance(subject, Partial)
    assert [u.origin for u in subject.unknowns] == [
        "var.namespace (no default)", "kubernetes_service_account.a.metadata.name (generated)"]
    assert isinstance(workload.role, Unknown) and workload.role.origin == "undeclared var.role"
    assert not [d for d in inventory.diagnostics if "could not evaluate" in d.message]


KUBERNETES_OBJECTS_TF = '''\
variable "team" {}

resource "kubernetes_namespace_v1" "app" {
  metadata {
    name = "payments"
  }
}

resource "kubernetes_namespace" "team" {
  metadata {
    name = var.team
  }
}

resource "kubernetes_namespace" "generated" {
  metadata {
    generate_name = "tmp-"
  }
}

resource "kubernetes_service_account_v1" "api" {
  metadata {
    name      = "api"
    namespace = kubernetes_namespace_v1.app.metadata[0].name
  }
}

resource "kubernetes_service_account" "plain" {
  metadata {
    name = "plain"
  }
}

resource "kubernetes_service_account" "many" {
  count = 2
  metadata {
    name      = "worker-${count.index}"
    namespace = kubernetes_namespace.team.id
  }
}

resource "kubernetes_service_account" "dynamic" {
  dynamic "metadata" {
    for_each = var.metadata
    content {
      name = metadata.value
    }
  }
}
'''


@pytest.mark.parametrize("expression, expected", [
    ("kubernetes_namespace_v1.app.metadata[0].name", "payments"),
    ("kubernetes_namespace_v1.app.metadata.0.name", "payments"),
    ("kubernetes_namespace_v1.app.id", "payments"),
    ("kubernetes_service_account_v1.api.metadata[0].namespace", "payments"),
    ("kubernetes_service_account_v1.api.id", "payments/api"),
    ("kubernetes_service_account.plain.metadata[0].namespace", "default"),  # the default
    ("kubernetes_service_account.plain.id", "default/plain"),
    ("kubernetes_service_account.many[1].metadata[0].name", "worker-1"),
    ("kubernetes_service_account_v1.api.metadata[*].name", ["api"]),
    ("kubernetes_namespace_v1.app.metadata", [{"name": "payments"}]),
])
def test_kubernetes_names_from_references(expression, expected):
    from oidclint.hcl.module import Module
    from oidclint.hcl.syntax import parse_file
    from oidclint.hcl.values import plain

    module = Module(".", parse_file(KUBERNETES_OBJECTS_TF + f"locals {{\n  x = {expression}\n}}\n",
                                    "main.tf"))
    assert plain(module.local("x", Span("main.tf", 1))) == expected


@pytest.mark.parametrize("expression, origins", [
    ("kubernetes_namespace.team.metadata[0].name", ["var.team (no default)"]),
    ("kubernetes_service_account.many[0].id", ["var.team (no default)"]),
    ("kubernetes_namespace.generated.metadata[0].name",
     ["kubernetes_namespace.generated.metadata[0].name (generated)"]),
    ("kubernetes_namespace.generated.id",
     ["kubernetes_namespace.generated.metadata[0].name (generated)"]),
    ("kubernetes_service_account.dynamic.metadata[0].name",
     ["kubernetes_service_account.dynamic.metadata[0].name"]),  # dynamic, unknown set
    ("kubernetes_service_account.plain.metadata[1].name",
     ["kubernetes_service_account.plain.metadata[1].name"]),
    ("kubernetes_service_account.plain.metadata.name",
     ["kubernetes_service_account.plain.metadata.name (an index is needed)"]),
    ("kubernetes_service_account.plain.spec[0].name",
     ["kubernetes_service_account.plain.spec[0].name"]),
])
def test_kubernetes_names_that_stay_unknown(expression, origins):
    from oidclint.hcl.module import Module
    from oidclint.hcl.syntax import parse_file

    module = Module(".", parse_file(KUBERNETES_OBJECTS_TF + f"locals {{\n  x = {expression}\n}}\n",
                                    "main.tf"))
    value = module.local("x", Span("main.tf", 1))
    unknowns = value.unknowns if isinstance(value, Partial) else [value]
    assert [u.origin for u in unknowns] == origins


def test_service_account_namespace_and_trust_from_references(tmp_path):
    """The ServiceAccount's namespace and the trust's subject both refer to Kubernetes
    objects: the workload's subject and the trust's pattern are evaluated alike."""
    text = KUBERNETES_OBJECTS_TF.replace(
        '    namespace = kubernetes_namespace_v1.app.metadata[0].name\n',
        '    namespace = kubernetes_namespace_v1.app.metadata[0].name\n'
        '    annotations = { "eks.amazonaws.com/role-arn" = "arn:aws:iam::123456789012:role/api" }\n')
    inventory = scan(tmp_path, {"main.tf": text})
    workload, = inventory.workloads
    assert workload.name == "ServiceAccount payments/api"
    assert workload.contexts[0].subject == "system:serviceaccount:payments:api"


def test_a_cluster_looked_up_is_a_cluster_and_its_provider_an_eks_issuer(tmp_path):
    from oidclint.graph import TrustGraph

    text = '''\
data "aws_eks_cluster" "main" {
  name = "payments"
}
data "aws_iam_openid_connect_provider" "by_url" {
  url = data.aws_eks_cluster.main.identity[0].oidc[0].issuer
}
data "aws_iam_openid_connect_provider" "by_arn" {
  arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB12"
}
data "aws_iam_openid_connect_provider" "unknown" {
  arn = var.provider_arn
}
resource "aws_iam_role" "r" {
  for_each = {
    url     = data.aws_iam_openid_connect_provider.by_url.arn
    arn     = data.aws_iam_openid_connect_provider.by_arn.arn
    unknown = data.aws_iam_openid_connect_provider.unknown.arn
    built   = "arn:aws:iam::${var.account}:oidc-provider/${trimprefix(data.aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://")}"
  }
  name = each.key
  assume_role_policy = jsonencode({
    Statement = [{
      Effect = "Allow", Action = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = each.value }
    }]
  })
}
'''
    inventory = scan(tmp_path, {"main.tf": text})
    cluster, = inventory.clusters
    assert cluster.address == "data.aws_eks_cluster.main" and cluster.name == "payments"
    assert str(cluster.issuer).startswith("https://oidc.eks.${region of data.aws_eks_cluster")
    graph = TrustGraph(inventory)
    kinds = {t.role.address: t.issuer.kind if t.issuer else None for t in graph.trusts()}
    assert kinds == {'aws_iam_role.r["arn"]': "eks", 'aws_iam_role.r["built"]': "eks",
                     'aws_iam_role.r["url"]': "eks", 'aws_iam_role.r["unknown"]': None}


def test_service_account_beside_a_cluster_looked_up_runs_in_it(tmp_path):
    text = EKS_TF.replace('resource "aws_eks_cluster" "main"', 'data "aws_eks_cluster" "main"')
    api = next(w for w in scan(tmp_path, {"main.tf": text}).workloads if "api" in w.name)
    assert api.cluster == "data.aws_eks_cluster.main"


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


def test_the_account_of_a_provider_follows_provider_configurations(tmp_path):
    """`providers = {}` maps, `provider = aws.x`, inherited defaults and a module's own
    provider block; what chooses the account is compared, not the region."""
    provider = ('resource "aws_iam_openid_connect_provider" "%s" {\n%s'
                '  url = "https://token.actions.githubusercontent.com"\n}\n')
    files = {
        "main.tf": '''\
variable "role" {}
provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "us"
  region = "us-east-1"
}
provider "aws" {
  alias = "prod"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform"
  }
}
provider "aws" {
  alias = "input"
  assume_role {
    role_arn = var.role
  }
}
module "inherits" {
  source = "./child"
}
module "mapped" {
  source    = "./child"
  providers = { aws = aws.prod }
}
module "nested" {
  source    = "./outer"
  providers = { aws = aws.input }
}
module "own" {
  source = "./own"
}
''' + provider % ("default", "") + provider % ("us", "  provider = aws.us\n")
            + provider % ("input", "  provider = aws.input\n")
            + provider % ("input_again", "  provider = aws.input\n")
            + provider % ("missing", "  provider = aws.nowhere\n"),
        "child/main.tf": provider % ("this", "") + provider % ("alias", "  provider = aws.x\n"),
        "outer/main.tf": 'module "inner" {\n  source = "../child"\n}\n',
        "own/main.tf": 'provider "aws" {\n  profile = "sandbox"\n}\n' + provider % ("this", ""),
    }
    accounts = {p.address: p.account for p in scan(tmp_path, files).providers}
    prod = '{"assume_role":["arn:aws:iam::222222222222:role/terraform"]}'
    assert accounts == {
        "aws_iam_openid_connect_provider.default": "{}",
        "aws_iam_openid_connect_provider.us": "{}",  # another region, the same account
        "aws_iam_openid_connect_provider.input": "provider.aws.input",
        "aws_iam_openid_connect_provider.input_again": "provider.aws.input",
        "aws_iam_openid_connect_provider.missing": None,
        "module.inherits.aws_iam_openid_connect_provider.this": "{}",
        "module.inherits.aws_iam_openid_connect_provider.alias": None,  # never passed
        "module.mapped.aws_iam_openid_connect_provider.this": prod,
        "module.mapped.aws_iam_openid_connect_provider.alias": None,
        "module.nested.module.inner.aws_iam_openid_connect_provider.this": "provider.aws.input",
        "module.nested.module.inner.aws_iam_openid_connect_provider.alias": None,
        "module.own.aws_iam_openid_connect_provider.this": '{"profile":"sandbox"}',
    }
