"""Built-in models of terraform-module/github-oidc-provider/aws (1.x, 2.0-2.1, 2.2+).

What each model must produce is what the real module renders for the same inputs
(docs/registry-modules.md): one GitHub statement whose subjects are ``repo:<entry>`` or
``repo:<entry>:*``, no ``aud`` condition, the provider and the attached policy ARNs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oidclint.engine import build_graph, scan
from oidclint.hcl.registry import MODELS, find_model, normalise_source
from oidclint.model import Inventory

MODULE = "terraform-module/github-oidc-provider/aws"
GIT = "git::https://github.com/terraform-module/terraform-aws-github-oidc-provider.git"
GITHUB = "token.actions.githubusercontent.com"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
V1 = "terraform-module-github-oidc-provider/v1"
V2_0 = "terraform-module-github-oidc-provider/v2.0"
V2 = "terraform-module-github-oidc-provider/v2"


@pytest.mark.parametrize("source, ref", [
    (MODULE, None),
    (f"registry.terraform.io/{MODULE}", None),
    (f"{GIT}?ref=v2.3.0", "v2.3.0"),
    ("github.com/terraform-module/terraform-aws-github-oidc-provider?ref=v1.0.1", "v1.0.1"),
])
def test_sources_name_the_module(source, ref):
    assert normalise_source(source) == (MODULE, ref)


@pytest.mark.parametrize("source, version, model", [
    (MODULE, "~> 2.2.1", V2),
    (MODULE, "2.3.0", V2),
    (MODULE, "~> 2.0", V2),        # the newest 2.x
    (MODULE, "~> 2.0.0", V2_0),
    (MODULE, "2.1.0", V2_0),
    (MODULE, "~> 1", V2),           # ~> 1 admits every release from 1.0.0: 2.3.0
    (MODULE, "~> 1.0", V1),
    (MODULE, "1.0.1", V1),
    (MODULE, "0.1.1", V1),
    (f"{GIT}?ref=v1.0.0", None, V1),
    (MODULE, None, V2),             # no version: the newest, with a note
])
def test_versions_choose_the_model(source, version, model):
    found = find_model(source, version)
    assert found is not None and found.folder == MODELS / model
    assert (found.note is not None) == (version is None and "?ref=" not in source)


def test_a_version_before_any_release_has_no_model():
    assert find_model(MODULE, "0.0.1") is None


def call_model(tmp_path: Path, model: str, arguments: str) -> Inventory:
    shutil.copytree(MODELS / model, tmp_path / "model")
    (tmp_path / "main.tf").write_text(
        f'module "m" {{\n  source = "./model"\n{arguments}\n}}\n', encoding="utf-8")
    graph, _, _ = build_graph([tmp_path])
    return graph.inventory


def sub_values(role) -> list[str]:
    (statement,) = role.trust.statements
    assert [str(a) for a in statement.actions] == ["sts:AssumeRoleWithWebIdentity"]
    keys = [(str(c.operator), str(c.key)) for c in statement.conditions]
    assert keys == [("StringLike", f"{GITHUB}:sub")]  # never a condition on aud
    return [str(v) for v in statement.conditions[0].values]


def federated(role) -> list[str]:
    (statement,) = role.trust.statements
    return [str(p) for p in statement.principals.get("Federated", [])]


@pytest.mark.parametrize("model, name, repositories", [
    (V1, "oidc-provider-aws-github-action", "github_repositories"),
    (V2_0, "github-oidc-provider-aws", "repositories"),
    (V2_0, "github-oidc-provider-aws", "github_repositories"),  # the 2.0.x name
    (V2, "github-oidc-provider-aws", "repositories"),
])
def test_entries_without_a_context_admit_any_context(tmp_path, model, name, repositories):
    inventory = call_model(tmp_path, model, f'''
  {repositories} = ["acme/api", "acme/*", "acme/web:ref:refs/heads/main"]
  oidc_role_attach_policies = ["{ADMIN}", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
''')
    (role,) = inventory.roles
    assert role.name == name
    assert sub_values(role) == ["repo:acme/api:*", "repo:acme/*:*",
                                "repo:acme/web:ref:refs/heads/main"]
    (provider,) = inventory.providers
    assert str(provider.url) == f"https://{GITHUB}"
    assert [str(c) for c in provider.client_ids] == ["sts.amazonaws.com"]
    (principal,) = role.trust.statements[0].principals["Federated"]
    assert principal.ref == "module.m.aws_iam_openid_connect_provider.this[0]"
    assert sorted(str(p.managed_arn) for p in inventory.policies) == \
        [ADMIN, "arn:aws:iam::aws:policy/ReadOnlyAccess"]


@pytest.mark.parametrize("model", [V1, V2_0])
def test_before_2_2_the_role_needs_the_modules_provider(tmp_path, model):
    inventory = call_model(tmp_path, model, f'''
  create_oidc_provider      = false
  github_repositories       = ["acme/api"]
  oidc_role_attach_policies = ["{ADMIN}"]
''')
    assert inventory.roles == [] and inventory.providers == [] and inventory.policies == []


def test_from_2_2_the_role_may_trust_an_existing_provider(tmp_path):
    arn = f"arn:aws:iam::111122223333:oidc-provider/{GITHUB}"
    inventory = call_model(tmp_path, V2, f'''
  create_oidc_provider = false
  oidc_provider_arn    = "{arn}"
  role_name            = "deploy"
  repositories         = ["acme/api:environment:production"]
''')
    (role,) = inventory.roles
    assert role.name == "deploy" and inventory.providers == []
    assert federated(role) == [arn]
    assert sub_values(role) == ["repo:acme/api:environment:production"]


def test_create_oidc_role_false_makes_only_the_provider(tmp_path):
    inventory = call_model(tmp_path, V2, '''
  create_oidc_role = false
  repositories     = ["acme/api"]
''')
    assert inventory.roles == [] and len(inventory.providers) == 1


def test_a_registry_call_with_an_admin_policy_and_a_bare_repository_is_oidc209(tmp_path):
    (tmp_path / "main.tf").write_text(f'''
module "github-oidc" {{
  source  = "{MODULE}"
  version = "~> 2.2.1"

  role_name                 = "deployer"
  repositories              = ["acme/eks-infra"]
  oidc_role_attach_policies = ["{ADMIN}"]
}}
''', encoding="utf-8")
    report = scan([tmp_path])
    found = {(f.rule_id, f.address) for f in report.findings}
    assert found == {("OIDC209", "module.github-oidc.aws_iam_role.this[0]"),
                     ("OIDC202", "module.github-oidc.aws_iam_role.this[0]")}


def test_a_2x_input_passed_to_1x_is_said(tmp_path):
    # A 2.x name with a constraint that admits 1.x only: Terraform refuses the call.
    (tmp_path / "main.tf").write_text(f'''
module "github-oidc" {{
  source  = "{MODULE}"
  version = "~> 1.0"

  repositories              = ["acme/api"]
  oidc_provider_arn         = "arn:aws:iam::111122223333:oidc-provider/{GITHUB}"
  oidc_role_attach_policies = ["{ADMIN}"]
}}
''', encoding="utf-8")
    report = scan([tmp_path])
    (note,) = [d for d in report.diagnostics if "Terraform refuses the call" in d.message]
    assert note.message == (
        f"module.github-oidc: {MODULE} 0.1.0 to before 2.0.0 has no inputs "
        "`oidc_provider_arn` (an input of 2.2.0 on), `repositories` (an input of 2.0.0 to "
        "before 2.2.0, 2.2.0 on): Terraform refuses the call as written, and the model of "
        "0.1.0 to before 2.0.0 does not read them (check `version`)")
    assert note.span.line == 2
    # The 1.x role is built from its own inputs only: no repository, no token admitted.
    assert not any(f.rule_id == "OIDC209" for f in report.findings)


def test_the_readme_s_tilde_1_admits_2x_and_its_repositories(tmp_path):
    # The module's README shows `version = "~> 1"` with the 2.1+ name `repositories`: a
    # pessimistic constraint on the major version alone lets the major version grow, so
    # Terraform installs the newest release (2.3.0), which takes `repositories`.
    (tmp_path / "main.tf").write_text(f'''
module "github-oidc" {{
  source  = "{MODULE}"
  version = "~> 1"

  create_oidc_provider      = true
  repositories              = ["acme/api"]
  oidc_role_attach_policies = ["{ADMIN}"]
}}
''', encoding="utf-8")
    report = scan([tmp_path])
    assert not [d for d in report.diagnostics if "Terraform refuses the call" in d.message]
    assert {(f.rule_id, f.address) for f in report.findings if f.level.value != "note"} == {
        ("OIDC209", "module.github-oidc.aws_iam_role.this[0]")}


def test_inputs_of_the_release_chosen_are_not_said(tmp_path):
    (tmp_path / "main.tf").write_text(f'''
module "github-oidc" {{
  source       = "{MODULE}"
  version      = "~> 2.2"
  repositories = ["acme/api:ref:refs/heads/main"]
  tags         = {{ team = "platform" }}
}}
''', encoding="utf-8")
    assert not any("Terraform refuses" in d.message for d in scan([tmp_path]).diagnostics)
