"""A module call whose code is not read (a registry or git source with no built-in model and
nothing in the scanned tree) is said, in a note, when it looks like it creates web identity
trust; unrelated modules (a VPC, a bucket) stay quiet."""

from __future__ import annotations

import pytest

from oidclint.engine import scan
from oidclint.hcl.registry import web_identity_hint
from oidclint.model import Level


def notes_of(tmp_path, text: str, **options) -> list:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    report = scan([tmp_path], **options)
    return [d for d in report.diagnostics if "is not read: the roles it makes" in d.message]


@pytest.mark.parametrize("source, inputs", [
    ("acme/github-oidc/aws", ""),
    ("git::https://github.com/acme/modules.git//eks/irsa?ref=v3", ""),
    ("github.com/acme/terraform-aws-github-deploy-role", ""),
    ("gitlab.com/acme/infra//gitlab-ci-role", ""),
    ("app.terraform.io/acme/deploy-roles/aws", 'subjects = ["repo:acme/*"]'),
    ("acme/eks-roles/aws", 'oidc_providers = { main = { provider_arn = "x" } }'),
    ("acme/roles/aws", 'provider_url = "token.actions.githubusercontent.com"'),
    ("acme/ci-role/aws", 'repositories = ["acme/api"]'),
    ("terraform-aws-modules/iam/aws//modules/iam-eks-role",
     'cluster_service_accounts = { prod = ["default:app"] }'),
])
@pytest.mark.parametrize("prefilter", [True, False])
def test_a_module_that_may_create_web_identity_trust_is_said(tmp_path, source, inputs,
                                                             prefilter):
    (note,) = notes_of(tmp_path, f'module "ci" {{\n  source = "{source}"\n  {inputs}\n}}\n',
                       prefilter=prefilter)
    assert note.level is Level.NOTE and note.path == "main.tf" and note.span.line == 1
    assert note.message.startswith(f"module.ci (source {source}) is not read: the roles it "
                                   "makes are not checked; its ")
    assert "no built-in model" in note.message


def test_the_note_names_the_version_and_the_inputs_that_suggest_it(tmp_path):
    (note,) = notes_of(tmp_path, '''
module "deploy" {
  source           = "acme/deploy/aws"
  version          = "~> 1.2"
  subjects         = ["repo:acme/api:*"]
  role_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
}
''', prefilter=False)
    assert note.message.startswith("module.deploy (source acme/deploy/aws, version '~> 1.2') "
                                   "is not read")
    assert "its inputs `role_policy_arns`, `subjects` suggest web identity trust" \
        in note.message


def test_one_note_per_call_whatever_its_instances(tmp_path):
    notes = notes_of(tmp_path, '''
module "ci" {
  source   = "acme/github-oidc-role/aws"
  for_each = toset(["api", "web"])
  name     = each.key
}
''', prefilter=False)
    assert len(notes) == 1


@pytest.mark.parametrize("source, inputs", [
    ("terraform-aws-modules/vpc/aws", 'name = "main"'),
    ("terraform-aws-modules/s3-bucket/aws", 'bucket = "logs"'),
    ("git::https://github.com/acme/terraform-aws-ecs.git?ref=v1", 'cluster_name = "x"'),
    ("github.com/acme/network", ""),
    ("cloudposse/github-action-token-rotator/aws", 'parameter_store_token_path = "/x"'),
])
def test_unrelated_modules_stay_quiet(tmp_path, source, inputs):
    assert notes_of(tmp_path, f'''
module "m" {{
  source = "{source}"
  {inputs}
}}
resource "aws_iam_role" "r" {{
  name               = "r"
  assume_role_policy = "{{}}"
}}
''', prefilter=False) == []


def test_modelled_and_unmodelled_registry_modules_keep_their_own_notes(tmp_path):
    (tmp_path / "main.tf").write_text('''
module "modelled" {
  source       = "terraform-module/github-oidc-provider/aws"
  version      = "2.3.0"
  repositories = ["acme/api:ref:refs/heads/main"]
}
module "later" {
  source   = "terraform-aws-modules/iam/aws//modules/iam-github-oidc-role"
  version  = "~> 6.0"
  subjects = ["acme/api:*"]
}
''', encoding="utf-8")
    messages = [d.message for d in scan([tmp_path]).diagnostics]
    assert not any("is not read: the roles it makes" in m for m in messages)
    assert any(m.startswith("module.later: ") and "has no built-in model" in m
               for m in messages)


def test_hint_is_given_by_source_words_or_input_names():
    assert web_identity_hint("acme/oidc/aws", ()) == "its source suggests"
    assert web_identity_hint("github.com/acme/vpc", ()) is None  # the host is not the name
    assert web_identity_hint("acme/x/aws", ["github_subjects"]) == \
        "its input `github_subjects` suggests"
    assert web_identity_hint("acme/x/aws", ["name", "tags"]) is None
