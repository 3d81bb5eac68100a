"""Built-in models of github.com/cds-snc/terraform-modules//gh_oidc_role (1.0.3 - 1.x, 2.x -
3.x, 4.0 - 11.4.4, 11.4.5 on), a module published on GitHub only.

What each model must produce is what the real module renders for the same inputs
(docs/registry-modules.md): per `roles` entry a role named `name` whose one statement trusts
the account's GitHub provider (or the module's own, without `oidc_exists`) with
`StringLike token.actions.githubusercontent.com:sub = repo:<org>/<repo_name>:<claim>` and no
`aud` condition; no policy attachment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oidclint.engine import build_graph, scan
from oidclint.hcl.registry import MODELS, find_model, normalise_source
from oidclint.model import Inventory

ADDRESS = "github.com/cds-snc/terraform-modules//gh_oidc_role"
GITHUB = "token.actions.githubusercontent.com"
V1 = "cds-snc-gh-oidc-role/v1"
V2 = "cds-snc-gh-oidc-role/v2"
V4 = "cds-snc-gh-oidc-role/v4"
V11 = "cds-snc-gh-oidc-role/v11.4.5"


@pytest.mark.parametrize("source, ref", [
    ("github.com/cds-snc/terraform-modules//gh_oidc_role?ref=v3.0.20", "v3.0.20"),
    ("git::https://github.com/cds-snc/terraform-modules.git//gh_oidc_role?ref=v11.4.5",
     "v11.4.5"),
    ("git@github.com:cds-snc/terraform-modules.git//gh_oidc_role?ref=v4.0.0", "v4.0.0"),
    ("github.com/cds-snc/terraform-modules?ref=v3.0.20//gh_oidc_role", "v3.0.20"),
    ("github.com/cds-snc/terraform-modules//gh_oidc_role", None),
])
def test_git_sources_name_the_module(source, ref):
    assert normalise_source(source) == (ADDRESS, ref)


@pytest.mark.parametrize("ref, model", [
    ("v1.0.3", V1), ("v1.0.15", V1), ("v2.0.0", V2), ("v3.0.20", V2), ("v4.0.0", V4),
    ("v9.6.1", V4), ("v11.4.4", V4), ("v11.4.5", V11), ("v1.0.2", None), ("v0.0.48", None),
])
def test_the_ref_chooses_the_release_line(ref, model):
    found = find_model(f"github.com/cds-snc/terraform-modules//gh_oidc_role?ref={ref}")
    assert (str(found.folder.relative_to(MODELS)) if found else None) == model
    assert found is None or found.note is None


def test_a_branch_ref_is_the_newest_release_line_with_a_note():
    found = find_model("github.com/cds-snc/terraform-modules//gh_oidc_role?ref=main")
    assert found is not None and found.folder == MODELS / V11 and "main" in found.note


def test_other_folders_of_the_repository_have_no_model():
    assert find_model("github.com/cds-snc/terraform-modules//S3?ref=v3.0.20") is None
    assert find_model("github.com/cds-snc/terraform-modules?ref=v3.0.20") is None


def call_model(tmp_path: Path, model: str, arguments: str) -> Inventory:
    shutil.copytree(MODELS / model, tmp_path / "model")
    (tmp_path / "main.tf").write_text(
        f'module "m" {{\n  source = "./model"\n  billing_tag_value = "ops"\n{arguments}\n}}\n',
        encoding="utf-8")
    graph, _, _ = build_graph([tmp_path])
    return graph.inventory


def sub_values(role) -> list[str]:
    (statement,) = role.trust.statements
    assert [str(a) for a in statement.actions] == ["sts:AssumeRoleWithWebIdentity"]
    keys = [(str(c.operator), str(c.key)) for c in statement.conditions]
    assert keys == [("StringLike", f"{GITHUB}:sub")]  # never a condition on aud
    return [str(v) for v in statement.conditions[0].values]


ROLES = '''
  roles = [
    { name = "plan", repo_name = "infra", claim = "*" },
    { name = "apply", repo_name = "infra", claim = "ref:refs/heads/main" },
  ]
'''


@pytest.mark.parametrize("model, keys", [
    (V1, None), (V2, None), (V4, '["apply"]'), (V11, '["apply"]')])
def test_one_role_per_entry_trusting_the_existing_provider(tmp_path, model, keys):
    inventory = call_model(tmp_path, model, ROLES + "  oidc_exists = true\n  org_name = \"acme\"\n")
    roles = {role.name: role for role in inventory.roles}
    assert sorted(roles) == ["apply", "plan"]
    assert sub_values(roles["plan"]) == ["repo:acme/infra:*"]
    assert sub_values(roles["apply"]) == ["repo:acme/infra:ref:refs/heads/main"]
    assert inventory.providers == [] and inventory.policies == []
    (principal,) = roles["apply"].trust.statements[0].principals["Federated"]
    assert str(principal).endswith(f":oidc-provider/{GITHUB}")
    address = str(roles["apply"].address)
    if keys is None:  # counted before 4.0.0
        assert address in ("module.m.aws_iam_role.this[0]", "module.m.aws_iam_role.this[1]")
    else:
        assert address == f"module.m.aws_iam_role.this{keys}"


@pytest.mark.parametrize("model, makes_provider", [
    (V1, True), (V2, False), (V4, False), (V11, False)])
def test_oidc_exists_default(tmp_path, model, makes_provider):
    inventory = call_model(tmp_path, model,
                           '  roles = [{ name = "ci", repo_name = "infra", claim = "*" }]')
    (role,) = inventory.roles
    assert role.name == "ci" and sub_values(role) == ["repo:cds-snc/infra:*"]
    assert len(inventory.providers) == (1 if makes_provider else 0)
    if makes_provider:
        (provider,) = inventory.providers
        assert str(provider.url) == f"https://{GITHUB}"
        assert [str(c) for c in provider.client_ids] == ["sts.amazonaws.com"]
        (principal,) = role.trust.statements[0].principals["Federated"]
        assert principal.ref == "module.m.aws_iam_openid_connect_provider.github[0]"


def test_claims_list_from_11_4_5(tmp_path):
    inventory = call_model(tmp_path, V11, '''
  roles = [
    { name = "multi", claims = [
        { repo_name = "*", claim = "ref:refs/heads/main" },
        { repo_name = "web", claim = "environment:prod", org_name = "acme" },
    ] },
    { name = "single", repo_name = "api", claim = "pull_request" },
  ]
''')
    roles = {role.name: role for role in inventory.roles}
    assert sub_values(roles["multi"]) == ["repo:cds-snc/*:ref:refs/heads/main",
                                          "repo:acme/web:environment:prod"]
    assert sub_values(roles["single"]) == ["repo:cds-snc/api:pull_request"]


def test_assume_policy_statements_follow_the_web_identity_statement(tmp_path):
    inventory = call_model(tmp_path, V2, '''
  roles = [{ name = "ci", repo_name = "infra", claim = "ref:refs/heads/main" }]
  assume_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "config.amazonaws.com" }
    }]
  })
''')
    (role,) = inventory.roles
    web, service = role.trust.statements
    assert [str(a) for a in web.actions] == ["sts:AssumeRoleWithWebIdentity"]
    assert [str(s) for s in service.principals["Service"]] == ["config.amazonaws.com"]


def test_a_git_call_with_any_claim_and_an_admin_attachment_by_name_is_oidc209(tmp_path):
    (tmp_path / "main.tf").write_text('''
module "gh_oidc_roles" {
  source            = "github.com/cds-snc/terraform-modules//gh_oidc_role?ref=v9.6.1"
  billing_tag_value = "ops"
  roles             = [{ name = "admin", repo_name = "infra", claim = "*" }]
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = "admin"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
''', encoding="utf-8")
    report = scan([tmp_path])
    assert {(f.rule_id, f.address) for f in report.findings if f.level.value != "note"} == {
        ("OIDC209", 'module.gh_oidc_roles.aws_iam_role.this["admin"]')}
