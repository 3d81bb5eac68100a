"""Terraform folders to providers, roles and their permissions, with the spans rules point
at, and the account of a provider."""

from __future__ import annotations

from oidclint.source import Partial, Span, Unknown
from terraform_helpers import PROVIDERS_TF, conditions, role, scan


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
    # IAM takes only an https URL, so that much is known; the host is not.
    assert isinstance(provider.url, Partial) and provider.url.known_prefix == "https://"
    assert isinstance(provider.host, Unknown) and provider.host.origin == "var.issuer (no default)"
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
