"""What each built-in model of a registry module produces: the trust the real module renders
for the same inputs (docs/registry-modules.md lists the files read).

The smoke tests copy a model folder beside a root module that calls it as ``./model``, the
way a vendored module is scanned; a registry source is resolved to its model by the module
loader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oidclint.engine import build_graph, scan
from oidclint.model import Inventory
from oidclint.source import Partial, Unknown
from registry_models_helpers import EKS_ISSUER, EKS_PROVIDER_ARN, GITHUB, folder


def call_model(tmp_path: Path, model: str, arguments: str, extra: str = "") -> Inventory:
    shutil.copytree(folder(model), tmp_path / "model")
    (tmp_path / "main.tf").write_text(
        f'module "m" {{\n  source = "./model"\n{arguments}\n}}\n{extra}', encoding="utf-8")
    graph, _, _ = build_graph([tmp_path])
    return graph.inventory


def only_role(inventory: Inventory):
    assert len(inventory.roles) == 1, [r.address for r in inventory.roles]
    return inventory.roles[0]


def web_identity_statements(role):
    return [s for s in role.trust.statements
            if "sts:AssumeRoleWithWebIdentity" in [str(a) for a in s.actions]]


def conditions(statement) -> dict[tuple[str, str], list]:
    return {(str(c.operator), str(c.key)): [str(v) for v in c.values]
            for c in statement.conditions}


def federated(statement) -> list:
    return list(statement.principals.get("Federated", []))


def known_tail(value) -> str:
    """The text after the last unknown part of a partly known string."""
    if isinstance(value, Partial):
        return str(value.parts[-1])
    return str(value)


def test_scan_runs_over_a_model_called_as_a_local_module(tmp_path):
    shutil.copytree(folder("iam-github-oidc-role/v5"), tmp_path / "model")
    (tmp_path / "main.tf").write_text(
        'module "github_role" {\n  source   = "./model"\n  name     = "deploy"\n'
        '  subjects = ["acme/*"]\n}\n', encoding="utf-8")
    report = scan([tmp_path])
    assert report.findings is not None
    assert any(f.rule_id == "OIDC204" for f in report.findings), \
        [f.rule_id for f in report.findings]


def test_github_oidc_role_v5(tmp_path):
    inventory = call_model(tmp_path, "iam-github-oidc-role/v5", '''
  name     = "deploy"
  subjects = ["acme/api:ref:refs/heads/main", "repo:acme/web:*"]
  policies = { admin = "arn:aws:iam::aws:policy/AdministratorAccess" }
''')
    role = only_role(inventory)
    assert role.name == "deploy"
    (statement,) = role.trust.statements
    assert str(statement.sid) == "GithubOidcAuth"
    assert [str(a) for a in statement.actions] == ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"]
    assert known_tail(federated(statement)[0]) == f":oidc-provider/{GITHUB}"
    assert conditions(statement) == {
        ("ForAllValues:StringEquals", f"{GITHUB}:iss"): [f"https://{GITHUB}"],
        ("ForAllValues:StringEquals", f"{GITHUB}:aud"): ["sts.amazonaws.com"],
        ("StringLike", f"{GITHUB}:sub"): ["repo:acme/api:ref:refs/heads/main", "repo:acme/web:*"],
    }
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/AdministratorAccess"]


def test_github_oidc_role_v5_without_subjects_keeps_an_empty_sub_condition(tmp_path):
    role = only_role(call_model(tmp_path, "iam-github-oidc-role/v5", 'name = "x"'))
    (statement,) = role.trust.statements
    assert conditions(statement)[("StringLike", f"{GITHUB}:sub")] == []


def test_github_oidc_role_v5_enterprise_url_and_audience(tmp_path):
    role = only_role(call_model(tmp_path, "iam-github-oidc-role/v5", '''
  provider_url      = "https://token.actions.githubusercontent.com/acme"
  audience          = "https://github.com/acme"
  subject_condition = "StringEquals"
  subjects          = ["acme/api:environment:prod"]
'''))
    (statement,) = role.trust.statements
    assert known_tail(federated(statement)[0]) == f":oidc-provider/{GITHUB}/acme"
    found = conditions(statement)
    assert found[("ForAllValues:StringEquals", f"{GITHUB}/acme:aud")] == ["https://github.com/acme"]
    assert found[("StringEquals", f"{GITHUB}/acme:sub")] == ["repo:acme/api:environment:prod"]


def test_iam_role_v6_github(tmp_path):
    inventory = call_model(tmp_path, "iam-role/v6", '''
  name                   = "ci"
  enable_github_oidc     = true
  oidc_subjects          = ["acme/api:ref:refs/heads/main"]
  oidc_wildcard_subjects = ["repo:acme/web:*"]
  trust_policy_conditions = [{
    test = "StringEquals", variable = "token.actions.githubusercontent.com:actor", values = ["octocat"]
  }]
  policies = { ro = "arn:aws:iam::aws:policy/ReadOnlyAccess" }
''')
    role = only_role(inventory)
    assert isinstance(role.name, Unknown)  # use_name_prefix defaults to true
    (statement,) = role.trust.statements
    assert str(statement.sid) == "GithubOidcAuth"
    assert conditions(statement) == {
        ("ForAllValues:StringEquals", f"{GITHUB}:iss"): [f"https://{GITHUB}"],
        ("ForAllValues:StringEquals", f"{GITHUB}:aud"): ["sts.amazonaws.com"],
        ("StringEquals", f"{GITHUB}:sub"): ["repo:acme/api:ref:refs/heads/main"],
        ("StringEquals", f"{GITHUB}:actor"): ["octocat"],
        ("StringLike", f"{GITHUB}:sub"): ["repo:acme/web:*"],
    }
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_iam_role_v6_github_without_subjects_has_no_sub_condition(tmp_path):
    role = only_role(call_model(tmp_path, "iam-role/v6",
                                'name = "ci"\n  enable_github_oidc = true'))
    (statement,) = role.trust.statements
    assert {key for _, key in conditions(statement)} == {f"{GITHUB}:iss", f"{GITHUB}:aud"}


def test_iam_role_v6_generic_oidc_one_statement_per_provider(tmp_path):
    inventory = call_model(tmp_path, "iam-role/v6", f'''
  name                 = "irsa"
  use_name_prefix      = false
  enable_oidc          = true
  oidc_provider_urls   = ["https://{EKS_ISSUER}", "gitlab.com"]
  oidc_subjects        = ["system:serviceaccount:ns:sa"]
  oidc_audiences       = ["sts.amazonaws.com"]
  create_inline_policy = true
  inline_policy_permissions = {{ S3 = {{ actions = ["s3:GetObject"], resources = ["*"] }} }}
''')
    role = only_role(inventory)
    assert role.name == "irsa"
    first, second = role.trust.statements
    assert known_tail(federated(first)[0]) == f":oidc-provider/{EKS_ISSUER}"
    assert conditions(first) == {
        ("StringEquals", f"{EKS_ISSUER}:sub"): ["system:serviceaccount:ns:sa"],
        ("StringEquals", f"{EKS_ISSUER}:aud"): ["sts.amazonaws.com"],
    }
    assert known_tail(federated(second)[0]) == ":oidc-provider/gitlab.com"
    assert ("StringEquals", "gitlab.com:sub") in conditions(second)
    inline = [p for p in inventory.policies if p.document is not None]
    assert len(inline) == 1


def test_iam_role_v6_disabled_switches_give_an_empty_trust(tmp_path):
    role = only_role(call_model(tmp_path, "iam-role/v6", 'name = "x"'))
    assert role.trust.statements == []


def test_irsa_eks_v5(tmp_path):
    inventory = call_model(tmp_path, "iam-role-for-service-accounts-eks/v5", f'''
  role_name = "ebs-csi"
  oidc_providers = {{
    main = {{
      provider_arn               = "{EKS_PROVIDER_ARN}"
      namespace_service_accounts = ["kube-system:ebs-csi-controller-sa"]
    }}
  }}
  role_policy_arns = {{ ebs = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" }}
''')
    role = only_role(inventory)
    assert role.name == "ebs-csi"
    (statement,) = role.trust.statements
    assert [str(a) for a in statement.actions] == ["sts:AssumeRoleWithWebIdentity"]
    assert [str(p) for p in federated(statement)] == [EKS_PROVIDER_ARN]
    assert conditions(statement) == {
        ("StringEquals", f"{EKS_ISSUER}:sub"):
            ["system:serviceaccount:kube-system:ebs-csi-controller-sa"],
        ("StringEquals", f"{EKS_ISSUER}:aud"): ["sts.amazonaws.com"],
    }
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]


def test_irsa_eks_v5_reads_4x_list_of_policies_and_condition_operator(tmp_path):
    inventory = call_model(tmp_path, "iam-role-for-service-accounts-eks/v5", f'''
  role_name                  = "app"
  assume_role_condition_test = "StringLike"
  oidc_providers = {{
    main = {{ provider_arn = "{EKS_PROVIDER_ARN}", namespace_service_accounts = ["apps:*"] }}
  }}
  role_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
''')
    (statement,) = only_role(inventory).trust.statements
    assert conditions(statement)[("StringLike", f"{EKS_ISSUER}:sub")] == \
        ["system:serviceaccount:apps:*"]
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_irsa_eks_v5_self_assumption_statement(tmp_path):
    role = only_role(call_model(tmp_path, "iam-role-for-service-accounts-eks/v5", f'''
  role_name              = "app"
  allow_self_assume_role = true
  oidc_providers = {{ main = {{ provider_arn = "{EKS_PROVIDER_ARN}", namespace_service_accounts = ["a:b"] }} }}
'''))
    self_statement = next(s for s in role.trust.statements
                          if str(s.sid) == "ExplicitSelfRoleAssumption")
    assert [str(a) for a in self_statement.actions] == ["sts:AssumeRole"]
    assert len(web_identity_statements(role)) == 1


def test_irsa_v6(tmp_path):
    inventory = call_model(tmp_path, "iam-role-for-service-accounts/v6", f'''
  name            = "ebs-csi"
  use_name_prefix = false
  oidc_providers = {{
    one = {{ provider_arn = "{EKS_PROVIDER_ARN}", namespace_service_accounts = ["kube-system:ebs", "kube-system:snap"] }}
  }}
  policies    = {{ ebs = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" }}
  permissions = {{ S3 = {{ actions = ["s3:GetObject"], resources = ["*"] }} }}
''')
    role = only_role(inventory)
    assert role.name == "ebs-csi"
    (statement,) = role.trust.statements
    assert conditions(statement) == {
        ("StringEquals", f"{EKS_ISSUER}:sub"):
            ["system:serviceaccount:kube-system:ebs", "system:serviceaccount:kube-system:snap"],
        ("StringEquals", f"{EKS_ISSUER}:aud"): ["sts.amazonaws.com"],
    }
    arns = [str(p.managed_arn) for p in inventory.policies if p.managed_arn is not None]
    assert "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" in arns
    assert any(p.document is not None for p in inventory.policies)


def test_assumable_role_with_oidc_v4(tmp_path):
    inventory = call_model(tmp_path, "iam-assumable-role-with-oidc/v4", f'''
  create_role                    = true
  role_name                      = "app"
  provider_url                   = "https://{EKS_ISSUER}"
  oidc_fully_qualified_subjects  = ["system:serviceaccount:ns:sa"]
  oidc_fully_qualified_audiences = ["sts.amazonaws.com"]
  role_policy_arns               = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
''')
    role = only_role(inventory)
    assert role.name == "app"
    assert role.max_session_duration == 3600
    (statement,) = role.trust.statements
    assert [str(a) for a in statement.actions] == ["sts:AssumeRoleWithWebIdentity"]
    assert known_tail(federated(statement)[0]) == f":oidc-provider/{EKS_ISSUER}"
    assert conditions(statement) == {
        ("StringEquals", f"{EKS_ISSUER}:sub"): ["system:serviceaccount:ns:sa"],
        ("StringLike", f"{EKS_ISSUER}:aud"): ["sts.amazonaws.com"],
    }
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_assumable_role_with_oidc_creates_nothing_unless_asked(tmp_path):
    inventory = call_model(tmp_path, "iam-assumable-role-with-oidc/v4", f'''
  role_name    = "app"
  provider_url = "{EKS_ISSUER}"
''')
    assert inventory.roles == []


def test_assumable_role_with_oidc_v4_without_subjects_trusts_the_whole_issuer(tmp_path):
    role = only_role(call_model(tmp_path, "iam-assumable-role-with-oidc/v4", f'''
  create_role   = true
  role_name     = "app"
  provider_urls = ["{EKS_ISSUER}", "", "{EKS_ISSUER}"]
'''))
    (statement,) = role.trust.statements  # duplicates and empty URLs dropped
    assert statement.conditions == []


def test_assumable_role_with_oidc_v4_dedups_before_stripping_the_scheme(tmp_path):
    role = only_role(call_model(tmp_path, "iam-assumable-role-with-oidc/v4", f'''
  create_role   = true
  role_name     = "app"
  provider_urls = ["{EKS_ISSUER}", "https://{EKS_ISSUER}"]
'''))
    first, second = role.trust.statements
    assert known_tail(federated(first)[0]) == known_tail(federated(second)[0])


def test_assumable_role_with_oidc_before_3_7_writes_one_statement_for_every_url(tmp_path):
    """3.0 to 3.6: every provider in one statement, each sub condition once per URL (so a
    token of either issuer lacks the other's key); 3.7 on: one statement per URL."""
    arguments = f'''
  create_role                   = true
  role_name                     = "app"
  provider_urls                 = ["https://{EKS_ISSUER}", "{GITHUB}"]
  oidc_fully_qualified_subjects = ["system:serviceaccount:ns:sa"]
'''
    (statement,) = only_role(call_model(tmp_path, "iam-assumable-role-with-oidc/v3",
                                        arguments)).trust.statements
    assert sorted(known_tail(arn) for arn in federated(statement)) == sorted(
        [f":oidc-provider/{EKS_ISSUER}", f":oidc-provider/{GITHUB}"])
    assert conditions(statement) == {
        ("StringEquals", f"{EKS_ISSUER}:sub"): ["system:serviceaccount:ns:sa"],
        ("StringEquals", f"{GITHUB}:sub"): ["system:serviceaccount:ns:sa"]}
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    eks, github = only_role(call_model(tmp_path, "iam-assumable-role-with-oidc/v3.7",
                                       arguments)).trust.statements
    assert conditions(eks) == {
        ("StringEquals", f"{EKS_ISSUER}:sub"): ["system:serviceaccount:ns:sa"]}
    assert conditions(github) == {
        ("StringEquals", f"{GITHUB}:sub"): ["system:serviceaccount:ns:sa"]}


@pytest.mark.parametrize("version, expected", [
    ("3.6.0", "iam-assumable-role-with-oidc/v3"), ("3.5.0", "iam-assumable-role-with-oidc/v3"),
    ("3.7.0", "iam-assumable-role-with-oidc/v3.7"), ("~> 3.0", "iam-assumable-role-with-oidc/v3.7"),
    ("~> 4.0", "iam-assumable-role-with-oidc/v4"), ("2.25.0", None)])
def test_assumable_role_with_oidc_3_x_release_lines(version, expected):
    from oidclint.hcl.registry import MODELS, find_model

    found = find_model("terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc",
                       version)
    assert (str(found.folder.relative_to(MODELS)) if found else None) == expected


def test_assumable_role_with_oidc_3_x_outputs_keep_the_this_prefix(tmp_path):
    (tmp_path / "app.tf").write_text('''
module "irsa" {
  source                        = "terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc"
  version                       = "3.6.0"
  create_role                   = true
  role_name                     = "app"
  provider_url                  = "%s"
  oidc_fully_qualified_subjects = ["system:serviceaccount:apps:api"]
}

resource "kubernetes_service_account" "web" {
  metadata {
    name      = "web"
    namespace = "apps"
    annotations = {
      "eks.amazonaws.com/role-arn" = module.irsa.this_iam_role_arn
    }
  }
}
''' % EKS_ISSUER)
    findings = scan([tmp_path], root=tmp_path).findings
    assert [(f.rule_id, f.address) for f in findings if f.level.value != "note"] == [
        ("OIDC108", "module.irsa.aws_iam_role.this[0]")]


def test_assumable_role_with_oidc_v5(tmp_path):
    role = only_role(call_model(tmp_path, "iam-assumable-role-with-oidc/v5", f'''
  create_role                  = true
  role_name                    = "ci"
  provider_urls                = ["{GITHUB}"]
  oidc_subjects_with_wildcards = ["repo:acme/*"]
  allow_self_assume_role       = true
  provider_trust_policy_conditions = [{{
    test = "StringEquals", variable = "{GITHUB}:aud", values = ["sts.amazonaws.com"]
  }}]
'''))
    (statement,) = web_identity_statements(role)
    assert [str(a) for a in statement.actions] == ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
    assert conditions(statement) == {
        ("StringLike", f"{GITHUB}:sub"): ["repo:acme/*"],
        ("StringEquals", f"{GITHUB}:aud"): ["sts.amazonaws.com"],
    }
    assert any(str(s.sid) == "ExplicitSelfRoleAssumption" for s in role.trust.statements)


def test_unfunco_v1(tmp_path):
    inventory = call_model(tmp_path, "unfunco-oidc-github/v1", '''
  github_repositories  = ["acme/api", "acme/web:ref:refs/heads/main", "other/*"]
  additional_audiences = ["extra"]
''')
    role = only_role(inventory)
    assert role.name == "github"
    (statement,) = role.trust.statements
    assert known_tail(federated(statement)[0]) == f":oidc-provider/{GITHUB}"
    assert conditions(statement) == {
        ("StringLike", f"{GITHUB}:sub"):
            ["repo:acme/api:*", "repo:acme/web:ref:refs/heads/main", "repo:other/*:*"],
        ("StringEquals", f"{GITHUB}:aud"): ["sts.amazonaws.com", "extra"],
    }
    (provider,) = inventory.providers
    assert str(provider.url) == f"https://{GITHUB}"
    # additional_audiences are trusted but not registered on the provider
    assert [str(c) for c in provider.client_ids] == \
        ["https://github.com/acme", "https://github.com/other", "sts.amazonaws.com"]
    # ReadOnlyAccess is attached by default in 1.x
    assert [known_tail(p.managed_arn) for p in inventory.policies] == \
        [":iam::aws:policy/ReadOnlyAccess"]


def test_unfunco_v1_enterprise_slug_doubles_the_slug_in_the_principal(tmp_path):
    inventory = call_model(tmp_path, "unfunco-oidc-github/v1", '''
  github_repositories = ["acme/api"]
  enterprise_slug     = "acme"
''')
    (statement,) = only_role(inventory).trust.statements
    assert known_tail(federated(statement)[0]) == f":oidc-provider/{GITHUB}/acme/acme"
    assert (("StringLike", f"{GITHUB}:sub")) in conditions(statement)
    assert str(inventory.providers[0].url) == f"https://{GITHUB}/acme"


def test_unfunco_v2(tmp_path):
    inventory = call_model(tmp_path, "unfunco-oidc-github/v2", '''
  github_repositories  = ["acme/api"]
  iam_role_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
''')
    role = only_role(inventory)
    assert role.name == "GitHubActions"
    (statement,) = role.trust.statements
    found = conditions(statement)
    assert found[("StringLike", f"{GITHUB}:sub")] == ["repo:acme/api:*"]
    (audience,) = next(c for c in statement.conditions if str(c.key).endswith(":aud")).values
    assert isinstance(audience, Partial) and audience.parts[0] == "sts."
    # no ReadOnlyAccess by default any more; the listed policy is attached
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_unfunco_v3(tmp_path):
    inventory = call_model(tmp_path, "unfunco-oidc-github/v3", '''
  github_subjects = ["acme/api", "acme/web:pull_request"]
  enterprise_slug = "acme"
''')
    role = only_role(inventory)
    (statement,) = role.trust.statements
    assert known_tail(federated(statement)[0]) == f":oidc-provider/{GITHUB}/acme"
    assert conditions(statement)[("StringLike", f"{GITHUB}/acme:sub")] == \
        ["repo:acme/api:ref:refs/heads/main", "repo:acme/web:pull_request"]
    assert str(inventory.providers[0].url) == f"https://{GITHUB}/acme"


def test_unfunco_v3_default_subject_star(tmp_path):
    (statement,) = only_role(call_model(tmp_path, "unfunco-oidc-github/v3", '''
  github_subjects = ["acme/api"]
  default_subject = "*"
''')).trust.statements
    assert conditions(statement)[("StringLike", f"{GITHUB}:sub")] == ["repo:acme/api:*"]


def test_unfunco_v3_creates_nothing_without_subjects(tmp_path):
    inventory = call_model(tmp_path, "unfunco-oidc-github/v3", "github_subjects = []")
    assert inventory.roles == [] and inventory.providers == []


@pytest.mark.parametrize("model, client_ids", [
    ("iam-oidc-provider/v6", 'client_id_list = ["sts.amazonaws.com", "https://github.com/acme"]'),
    ("iam-github-oidc-provider/v5", 'client_id_list = ["sts.amazonaws.com", "https://github.com/acme"]'),
])
def test_provider_models(tmp_path, model, client_ids):
    inventory = call_model(tmp_path, model, client_ids)
    (provider,) = inventory.providers
    assert str(provider.url) == f"https://{GITHUB}"
    assert [str(c) for c in provider.client_ids] == ["sts.amazonaws.com", "https://github.com/acme"]


# --- a registry source, resolved to its model by the module loader -------------------------

def test_registry_source_is_evaluated_with_its_model(tmp_path):
    (tmp_path / "main.tf").write_text('''
module "github_role" {
  source   = "terraform-aws-modules/iam/aws//modules/iam-github-oidc-role"
  version  = "~> 5.0"
  name     = "deploy"
  subjects = ["acme/*"]
}
''', encoding="utf-8")
    graph, _, _ = build_graph([tmp_path])
    role = only_role(graph.inventory)
    assert role.name == "deploy"
    (statement,) = role.trust.statements
    assert conditions(statement)[("StringLike", f"{GITHUB}:sub")] == ["repo:acme/*"]


# --- philips-labs/github-oidc ----------------------------------------------------------------

def test_philips_labs_defaults_allow_main_and_deny_pull_requests(tmp_path):
    inventory = call_model(tmp_path, "philips-labs-github-oidc/v0", '''
  repo                        = "acme/api"
  role_name                   = "deploy"
  openid_connect_provider_arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
  role_policy_arns            = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
''')
    role = only_role(inventory)
    assert role.name == "deploy"
    (statement,) = web_identity_statements(role)
    assert conditions(statement) == {
        ("StringEquals", f"{GITHUB}:aud"): ["sts.amazonaws.com"],
        ("StringLike", f"{GITHUB}:sub"): ["repo:acme/api:ref:refs/heads/main"],
        ("StringNotLike", f"{GITHUB}:sub"): ["repo:acme/api:pull_request"],
    }
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_philips_labs_merges_the_switches_and_extra_conditions_per_operator_and_key(tmp_path):
    inventory = call_model(tmp_path, "philips-labs-github-oidc/v0", '''
  repo                        = "acme/api"
  openid_connect_provider_arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
  default_conditions          = ["allow_main", "allow_environment"]
  github_environments         = ["prod", "stage"]
  repo_mainline_branch        = "trunk"
  account_ids                 = ["444455556666"]
  conditions = [{
    test     = "StringLike"
    variable = "token.actions.githubusercontent.com:sub"
    values   = ["repo:acme/api:ref:refs/tags/*"]
  }]
''')
    role = only_role(inventory)
    (statement,) = web_identity_statements(role)
    assert conditions(statement)[("StringLike", f"{GITHUB}:sub")] == [
        "repo:acme/api:ref:refs/heads/trunk", "repo:acme/api:environment:prod",
        "repo:acme/api:environment:stage", "repo:acme/api:ref:refs/tags/*"]
    assert len(role.trust.statements) == 2  # the account root statement
    # no role_name: the repository with a random suffix
    assert isinstance(role.name, Partial) and str(role.name.parts[0]) == "acme-api-"


def test_philips_labs_no_match_sentinel_only_when_nothing_else_is_allowed(tmp_path):
    beside = call_model(tmp_path / "a", "philips-labs-github-oidc/v0", '''
  repo                        = "acme/api"
  role_name                   = "deploy"
  openid_connect_provider_arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
  default_conditions          = ["allow_main", "allow_environment"]
  github_environments         = []
''')
    (statement,) = web_identity_statements(only_role(beside))
    assert conditions(statement)[("StringLike", f"{GITHUB}:sub")] == \
        ["repo:acme/api:ref:refs/heads/main"]
    alone = call_model(tmp_path / "b", "philips-labs-github-oidc/v0", '''
  repo                        = "acme/api"
  role_name                   = "deploy"
  openid_connect_provider_arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
  default_conditions          = ["allow_environment"]
  github_environments         = []
''')
    (statement,) = web_identity_statements(only_role(alone))
    assert conditions(statement)[("StringLike", f"{GITHUB}:sub")] == ["ensurethereisnotmatch"]


def test_philips_labs_makes_no_role_without_a_repository(tmp_path):
    inventory = call_model(tmp_path, "philips-labs-github-oidc/v0", '''
  openid_connect_provider_arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
''')
    assert inventory.roles == []


def test_philips_labs_registry_calls_give_an_administrator_role_for_every_branch(tmp_path):
    (tmp_path / "main.tf").write_text('''
module "oidc_provider" {
  source  = "philips-labs/github-oidc/aws//modules/provider"
  version = "~> 0.8.1"
}
module "deploy" {
  source                      = "philips-labs/github-oidc/aws"
  version                     = "~> 0.8.1"
  openid_connect_provider_arn = module.oidc_provider.openid_connect_provider.arn
  repo                        = "acme/api"
  default_conditions          = ["allow_all"]
  role_policy_arns            = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
module "main_only" {
  source                      = "philips-labs/github-oidc/aws"
  version                     = "~> 0.8.1"
  openid_connect_provider_arn = module.oidc_provider.openid_connect_provider.arn
  repo                        = "acme/api"
  role_name                   = "main-only"
  role_policy_arns            = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
''', encoding="utf-8")
    report = scan([tmp_path])
    found = {(f.rule_id, f.address) for f in report.findings if f.level != "note"}
    assert found == {("OIDC209", "module.deploy.aws_iam_role.main[0]")}, found
    (provider,) = build_graph([tmp_path])[0].inventory.providers
    assert str(provider.url) == f"https://{GITHUB}"


# --- thetestlabs/oidc-with-github-actions -----------------------------------------------------

def test_thetestlabs_every_context_of_each_repository_and_the_managed_policy(tmp_path):
    inventory = call_model(tmp_path, "thetestlabs-oidc-with-github-actions/v0", '''
  github_org          = "acme"
  github_repositories = ["api", "web"]
  iam_role_policy     = "AdministratorAccess"
''')
    role = only_role(inventory)
    assert role.name == "GitHubOIDCRole"
    (statement,) = role.trust.statements
    assert conditions(statement) == {
        ("StringLike", f"{GITHUB}:sub"): ["repo:acme/api:*", "repo:acme/web:*"]}
    (provider,) = inventory.providers
    assert str(provider.url) == f"https://{GITHUB}"
    assert [str(p.managed_arn) for p in inventory.policies] == \
        ["arn:aws:iam::aws:policy/AdministratorAccess"]


def test_thetestlabs_creates_nothing_when_disabled(tmp_path):
    inventory = call_model(tmp_path, "thetestlabs-oidc-with-github-actions/v0", '''
  enabled             = false
  github_org          = "acme"
  github_repositories = ["api"]
''')
    assert inventory.roles == [] and inventory.providers == []


ASSUMABLE_ROLE = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"

HCP_TRUST = '''
data "aws_iam_policy_document" "hcp" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::111122223333:oidc-provider/app.terraform.io"]
    }
    condition {
      test     = "StringEquals"
      variable = "app.terraform.io:aud"
      values   = ["aws.workload.identity"]
    }
    condition {
      test     = "StringLike"
      variable = "app.terraform.io:sub"
      values   = ["organization:acme:project:*:workspace:*:run_phase:*"]
    }
  }
}
'''


@pytest.mark.parametrize("version, switch, trusted", [
    ("~> 5.30", "create_custom_role_trust_policy = true", True),
    ("5.60.0", "", False),          # 5.30 on: without the switch the module's own trust
    ("5.20.0", "", True),           # before 5.30: the custom trust whenever it is given
    ("~> 4.10", "", True),
])
def test_assumable_role_uses_the_callers_trust_as_its_release_does(tmp_path, version, switch,
                                                                   trusted):
    (tmp_path / "main.tf").write_text(f'''
module "hcp" {{
  source                   = "{ASSUMABLE_ROLE}"
  version                  = "{version}"
  create_role              = true
  role_name                = "hcp-admin"
  custom_role_trust_policy = data.aws_iam_policy_document.hcp.json
  custom_role_policy_arns  = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  {switch}
}}
''' + HCP_TRUST, encoding="utf-8")
    report = scan([tmp_path], root=tmp_path)
    found = sorted((f.rule_id, f.address) for f in report.findings if f.level.value != "note")
    role = "module.hcp.aws_iam_role.this[0]"
    if trusted:
        assert found == [("OIDC204", role), ("OIDC209", role)]
    else:
        # The document reaches no role: checked on its own, where it is written.
        assert found == [("OIDC204", "data.aws_iam_policy_document.hcp")]


def test_assumable_role_inline_statements_and_switches_are_its_permissions(tmp_path):
    inventory = call_model(tmp_path, "iam-assumable-role/v5.30", '''
  create_role                     = true
  role_name                       = "ci"
  create_custom_role_trust_policy = true
  custom_role_trust_policy        = "{}"
  attach_readonly_policy          = true
  inline_policy_statements = [{
    actions   = ["iam:PutRolePolicy"]
    resources = ["*"]
  }]
''')
    assert [str(p.managed_arn) for p in inventory.policies if p.managed_arn is not None] == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    (inline,) = [p for p in inventory.policies if p.document is not None]
    assert [str(a) for a in inline.document.statements[0].actions] == ["iam:PutRolePolicy"]


def test_assumable_role_creates_nothing_unless_asked(tmp_path):
    assert call_model(tmp_path, "iam-assumable-role/v5.30", '''
  role_name = "ci"
''').roles == []
