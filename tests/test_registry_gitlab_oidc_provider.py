"""Built-in models of terraform-module/gitlab-oidc-provider/aws (0.1.0-1.0.1, 1.1.0).

What each model must produce is what the real module renders for the same inputs
(docs/registry-modules.md): one GitLab statement, ``StringLike <provider host>:<match_field>``
over the entries exactly as given, no ``aud`` condition, the provider (``url``, ``aud_value``)
and the attached policy ARNs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oidclint.engine import build_graph, scan
from oidclint.hcl.registry import MODELS, find_model, normalise_source
from oidclint.model import Inventory

MODULE = "terraform-module/gitlab-oidc-provider/aws"
GIT = "git::https://github.com/terraform-module/terraform-aws-gitlab-oidc-provider.git"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
V1_0 = "terraform-module-gitlab-oidc-provider/v1.0"
V1 = "terraform-module-gitlab-oidc-provider/v1"
MAIN = "project_path:acme/api:ref_type:branch:ref:main"


@pytest.mark.parametrize("source, ref", [
    (MODULE, None),
    ("Terraform-Module/GitLab-OIDC-Provider/AWS", None),
    (f"registry.terraform.io/{MODULE}", None),
    (f"{GIT}?ref=v1.0.1", "v1.0.1"),
    ("git@github.com:terraform-module/terraform-aws-gitlab-oidc-provider.git?ref=v1.1.0",
     "v1.1.0"),
    ("github.com/terraform-module/terraform-aws-gitlab-oidc-provider?ref=v1.0.0", "v1.0.0"),
])
def test_sources_name_the_module(source, ref):
    assert normalise_source(source) == (MODULE, ref)


def test_the_github_sister_stays_its_own_module():
    assert normalise_source("terraform-module/github-oidc-provider/aws")[0] != MODULE


@pytest.mark.parametrize("source, version, model", [
    (MODULE, "1.0.1", V1_0),
    (MODULE, "~> 1.0.0", V1_0),
    (MODULE, "0.1.0", V1_0),
    (MODULE, "< 1.1.0", V1_0),
    (f"{GIT}?ref=v1.0.0", None, V1_0),
    (MODULE, "~> 1", V1),           # the newest 1.x: 1.1.0
    (MODULE, "1.1.0", V1),
    (MODULE, ">= 1.0", V1),
    (MODULE, None, V1),
])
def test_versions_choose_the_model(source, version, model):
    found = find_model(source, version)
    assert found is not None and found.folder == MODELS / model


def test_a_version_before_any_release_has_no_model():
    assert find_model(MODULE, "0.0.1") is None


def test_only_calls_that_get_1_1_0_are_told_it_does_not_load():
    # As tagged, 1.1.0's variables.tf does not parse: every call resolved to it is told so.
    for version in ("~> 1", "1.1.0", None):
        note = find_model(MODULE, version).note
        assert note is not None and "1.1.0 as tagged has an HCL syntax error" in note
    assert "no version given" in find_model(MODULE, None).note
    assert find_model(MODULE, "1.0.1").note is None
    assert find_model(f"{GIT}?ref=v1.0.0").note is None


def call_model(tmp_path: Path, model: str, arguments: str) -> Inventory:
    shutil.copytree(MODELS / model, tmp_path / "model")
    (tmp_path / "main.tf").write_text(
        f'module "m" {{\n  source = "./model"\n{arguments}\n}}\n', encoding="utf-8")
    graph, _, _ = build_graph([tmp_path])
    return graph.inventory


def condition(role) -> tuple[str, str, list[str]]:
    (statement,) = role.trust.statements
    assert [str(a) for a in statement.actions] == ["sts:AssumeRoleWithWebIdentity"]
    (only,) = statement.conditions  # never a condition on aud
    return str(only.operator), str(only.key), [str(v) for v in only.values]


@pytest.mark.parametrize("model, entries", [(V1_0, "repositories"), (V1, "project_paths")])
def test_entries_are_used_as_given(tmp_path, model, entries):
    inventory = call_model(tmp_path, model, f'''
  {entries} = ["project_path:acme/*", "{MAIN}", "project_path:acme/web"]
  oidc_role_attach_policies = ["{ADMIN}", "{READ_ONLY}"]
''')
    (role,) = inventory.roles
    assert role.name == "gitlab-oidc-provider-aws"
    assert condition(role) == ("StringLike", "gitlab.com:sub",
                               ["project_path:acme/*", MAIN, "project_path:acme/web"])
    (provider,) = inventory.providers
    assert str(provider.url) == "https://gitlab.com"
    assert [str(c) for c in provider.client_ids] == ["https://gitlab.com"]
    (principal,) = role.trust.statements[0].principals["Federated"]
    assert principal.ref == "module.m.aws_iam_openid_connect_provider.this[0]"
    assert sorted(str(p.managed_arn) for p in inventory.policies) == [ADMIN, READ_ONLY]


@pytest.mark.parametrize("model, entries", [(V1_0, "repositories"), (V1, "project_paths")])
def test_a_self_managed_instance_keys_the_trust_on_its_host(tmp_path, model, entries):
    inventory = call_model(tmp_path, model, f'''
  url          = "https://gitlab.example.com"
  aud_value    = ["sts.amazonaws.com"]
  role_name    = "deploy"
  match_field  = "sub"
  {entries} = ["project_path:platform/infra:ref_type:branch:ref:main"]
''')
    (role,) = inventory.roles
    assert role.name == "deploy"
    assert condition(role) == ("StringLike", "gitlab.example.com:sub",
                               ["project_path:platform/infra:ref_type:branch:ref:main"])
    (provider,) = inventory.providers
    assert str(provider.url) == "https://gitlab.example.com"
    assert [str(c) for c in provider.client_ids] == ["sts.amazonaws.com"]


@pytest.mark.parametrize("model, entries", [(V1_0, "repositories"), (V1, "project_paths")])
def test_the_role_needs_the_modules_provider(tmp_path, model, entries):
    inventory = call_model(tmp_path, model, f'''
  create_oidc_provider      = false
  {entries} = ["{MAIN}"]
  oidc_role_attach_policies = ["{ADMIN}"]
''')
    assert inventory.roles == [] and inventory.providers == [] and inventory.policies == []


def test_create_oidc_role_false_makes_only_the_provider(tmp_path):
    inventory = call_model(tmp_path, V1, f'''
  create_oidc_role = false
  project_paths    = ["{MAIN}"]
''')
    assert inventory.roles == [] and len(inventory.providers) == 1


def scan_call(tmp_path: Path, text: str):
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    return scan([tmp_path])


def test_a_registry_call_for_a_whole_group_with_an_admin_policy(tmp_path):
    report = scan_call(tmp_path, f'''
module "gitlab_oidc" {{
  source  = "{MODULE}"
  version = "1.0.1"

  repositories              = ["project_path:acme/*"]
  oidc_role_attach_policies = ["{ADMIN}"]
}}
''')
    role = "module.gitlab_oidc.aws_iam_role.this[0]"
    assert {(f.rule_id, f.address) for f in report.findings} == {
        ("OIDC209", role), ("OIDC204", role), ("OIDC202", role)}
    assert not any("Terraform" in d.message for d in report.diagnostics)


def test_the_readme_form_without_a_ref_part_admits_no_token(tmp_path):
    # The module's README passes `project_path:<group>/<project>` alone under StringLike.
    report = scan_call(tmp_path, f'''
module "gitlab_oidc" {{
  source  = "{MODULE}"
  version = "~> 1"

  project_paths             = ["project_path:acme/api"]
  oidc_role_attach_policies = ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]
}}
''')
    role = "module.gitlab_oidc.aws_iam_role.this[0]"
    assert {(f.rule_id, f.address) for f in report.findings} == {
        ("OIDC115", role), ("OIDC304", role), ("OIDC202", role)}
    (note,) = [d for d in report.diagnostics if "as tagged" in d.message]
    assert note.message.startswith(f"module.gitlab_oidc: {MODULE} 1.1.0 as tagged")
    assert note.span.line == 2


def test_a_1_1_input_passed_to_1_0_is_said(tmp_path):
    report = scan_call(tmp_path, f'''
module "gitlab_oidc" {{
  source        = "{MODULE}"
  version       = "1.0.1"
  project_paths = ["{MAIN}"]
}}
''')
    (note,) = [d for d in report.diagnostics if "Terraform refuses the call" in d.message]
    assert "`project_paths` (an input of 1.1.0 on)" in note.message
