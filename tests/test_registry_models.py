"""Built-in models of registry modules: choosing a model, and what each model produces.

The trust each model must produce is the one the real module renders for the same inputs
(docs/registry-modules.md lists the files read). The smoke tests copy a model folder beside a
root module that calls it as ``./model``, the way a vendored module is scanned.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oidclint.engine import build_graph, scan
from oidclint.hcl.registry import (
    INDEX,
    MODELS,
    find_model,
    normalise_source,
    parse_constraint,
    parse_version,
)
from oidclint.hcl.syntax import parse_file
from oidclint.model import Inventory
from oidclint.source import Partial, Unknown

IAM = "terraform-aws-modules/iam/aws"
GITHUB_ROLE = f"{IAM}//modules/iam-github-oidc-role"
WITH_OIDC = f"{IAM}//modules/iam-assumable-role-with-oidc"
IRSA_EKS = f"{IAM}//modules/iam-role-for-service-accounts-eks"
UNFUNCO = "unfunco/oidc-github/aws"
EKS_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
EKS_PROVIDER_ARN = f"arn:aws:iam::111122223333:oidc-provider/{EKS_ISSUER}"
GITHUB = "token.actions.githubusercontent.com"
IAM_GIT = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git"
IAM_SSH = "git::ssh://git@github.com/terraform-aws-modules/terraform-aws-iam.git"
IAM_GITHUB = "github.com/terraform-aws-modules/terraform-aws-iam"


def folder(name: str) -> Path:
    return MODELS / name


# --- sources -------------------------------------------------------------------------------

@pytest.mark.parametrize("source, address, ref", [
    (GITHUB_ROLE, GITHUB_ROLE, None),
    (f"registry.terraform.io/{GITHUB_ROLE}", GITHUB_ROLE, None),
    ("Terraform-AWS-Modules/IAM/AWS//modules/iam-github-oidc-role/", GITHUB_ROLE, None),
    (f"{IAM_GIT}//modules/iam-github-oidc-role?ref=v5.39.0", GITHUB_ROLE, "v5.39.0"),
    (f"{IAM_GITHUB}//modules/iam-github-oidc-role?ref=v5.39.0", GITHUB_ROLE, "v5.39.0"),
    (f"{IAM_SSH}//modules/iam-role-for-service-accounts-eks?depth=1&ref=v5.30.0", IRSA_EKS,
     "v5.30.0"),
    ("git@github.com:unfunco/terraform-aws-oidc-github.git?ref=v1.7.1", UNFUNCO, "v1.7.1"),
    ("https://github.com/unfunco/terraform-aws-oidc-github", UNFUNCO, None),
    (UNFUNCO, UNFUNCO, None),
])
def test_sources_are_normalised(source, address, ref):
    assert normalise_source(source) == (address, ref)


@pytest.mark.parametrize("source", [
    "./modules/role",
    "../shared/role",
    "app.terraform.io/acme/iam/aws//modules/iam-role",
    "github.com/acme/terraform-aws-iam//modules/iam-role",
    "s3::https://s3.amazonaws.com/bucket/module.zip",
    "",
])
def test_other_sources_have_no_model(source):
    assert find_model(source, "5.0.0") is None


def test_unmodelled_submodule_of_a_known_repository_has_no_model():
    assert find_model(f"{IAM}//modules/iam-user", "5.0.0") is None


def test_every_index_entry_names_an_existing_model_folder():
    for entries in INDEX.values():
        for entry in entries:
            assert (MODELS / entry.folder / "main.tf").is_file(), entry.folder


# --- versions ------------------------------------------------------------------------------

@pytest.mark.parametrize("source, version, model", [
    (GITHUB_ROLE, "~> 5.0", "iam-github-oidc-role/v5"),
    (GITHUB_ROLE, "5.39.0", "iam-github-oidc-role/v5"),
    (GITHUB_ROLE, ">= 5.0, < 6.0", "iam-github-oidc-role/v5"),
    (GITHUB_ROLE, "v5.60.0", "iam-github-oidc-role/v5"),
    (WITH_OIDC, "~> 4.24", "iam-assumable-role-with-oidc/v4"),
    (WITH_OIDC, "4.24.1", "iam-assumable-role-with-oidc/v4"),
    (WITH_OIDC, "~> 5.0", "iam-assumable-role-with-oidc/v5"),
    (WITH_OIDC, ">= 4.0, < 6.0", "iam-assumable-role-with-oidc/v5"),  # newest admitted
    (WITH_OIDC, ">= 4.0, < 5.0", "iam-assumable-role-with-oidc/v4"),
    (WITH_OIDC, "> 4.0, <= 5.0.0", "iam-assumable-role-with-oidc/v5"),
    (WITH_OIDC, "< 5.0", "iam-assumable-role-with-oidc/v4"),
    (WITH_OIDC, "~> 4", "iam-assumable-role-with-oidc/v4"),
    (IRSA_EKS, "~> 4.12", "iam-role-for-service-accounts-eks/v5"),
    (IRSA_EKS, "5.30.0", "iam-role-for-service-accounts-eks/v5"),
    (f"{IAM}//modules/iam-role-for-service-accounts", "~> 6.0",
     "iam-role-for-service-accounts/v6"),
    (f"{IAM}//modules/iam-role", "6.2.0", "iam-role/v6"),
    (UNFUNCO, "1.8.1", "unfunco-oidc-github/v1"),
    (UNFUNCO, "~> 1.0", "unfunco-oidc-github/v1"),
    (UNFUNCO, "~> 2.0", "unfunco-oidc-github/v2"),
    (UNFUNCO, "2.0.2", "unfunco-oidc-github/v2"),
    (UNFUNCO, "~> 3.1", "unfunco-oidc-github/v3"),
])
def test_version_constraints_choose_the_model(source, version, model):
    found = find_model(source, version)
    assert found is not None
    assert found.folder == folder(model)
    assert found.note is None


def test_git_ref_is_the_version_of_a_git_source():
    found = find_model(f"{IAM_GIT}//modules/iam-assumable-role-with-oidc?ref=v4.24.1", None)
    assert found.folder == folder("iam-assumable-role-with-oidc/v4")
    assert found.note is None
    assert found.major == 4


@pytest.mark.parametrize("version", [None, "", "latest", "master", "~> five"])
def test_missing_or_unparsable_version_picks_the_newest_model_and_says_so(version):
    source = ("github.com/unfunco/terraform-aws-oidc-github?ref=main"
              if version == "master" else UNFUNCO)
    found = find_model(source, None if version == "master" else version)
    assert found.folder == folder("unfunco-oidc-github/v3")
    assert found.note
    assert "newest" in found.note


def test_constraint_wider_than_the_models_notes_the_assumption():
    found = find_model(WITH_OIDC, ">= 4.0")
    assert found.folder == folder("iam-assumable-role-with-oidc/v5")
    assert "6.0.0" in found.note


def test_unbounded_constraint_takes_the_newest_model():
    assert find_model(UNFUNCO, ">= 1.0").folder == folder("unfunco-oidc-github/v3")


@pytest.mark.parametrize("source, version", [
    (GITHUB_ROLE, "~> 6.0"),      # merged into iam-role in 6.0
    (GITHUB_ROLE, "4.24.1"),      # not yet written in 4.x
    (IRSA_EKS, "= 4.0.0"),        # the submodule appeared in 4.12
    (f"{IAM}//modules/iam-role", "~> 5.0"),
    (UNFUNCO, "0.8.0"),
    (WITH_OIDC, "!= 4.24.1, = 4.24.1"),
])
def test_versions_outside_every_model_find_nothing(source, version):
    assert find_model(source, version) is None


@pytest.mark.parametrize("text, admitted, refused", [
    # ranges as the index writes them: [since, until)
    ("~> 5.1.2", [((5, 1, 2), (5, 1, 3)), ((5, 1, 0), (5, 2, 0))],
     [((5, 2, 0), (6, 0, 0)), ((5, 0, 0), (5, 1, 2))]),
    ("~> 5.1", [((5, 0, 0), (6, 0, 0))], [((6, 0, 0), None), ((4, 0, 0), (5, 1, 0))]),
    ("~> 5", [((5, 0, 0), (6, 0, 0))], [((6, 0, 0), None)]),
    ("> 5.0.0", [((5, 0, 0), (6, 0, 0))], [((4, 0, 0), (5, 0, 0))]),
    ("<= 5.0.0", [((5, 0, 0), (6, 0, 0))], [((5, 0, 1), (6, 0, 0))]),
    ("< 5.0.0", [((4, 0, 0), (5, 0, 0))], [((5, 0, 0), (6, 0, 0))]),
    ("= 5.3.0", [((5, 0, 0), (6, 0, 0))], [((5, 3, 1), (6, 0, 0)), ((4, 0, 0), (5, 3, 0))]),
    ("5.3", [((5, 0, 0), (6, 0, 0))], [((6, 0, 0), None)]),
    (">= 4.0, < 6.0, != 5.1.0", [((5, 0, 0), (6, 0, 0))], [((6, 0, 0), None)]),
    ("= 5.1.0, != 5.1.0", [], [((5, 0, 0), (6, 0, 0))]),
])
def test_constraint_clauses(text, admitted, refused):
    constraint = parse_constraint(text)
    for since, until in admitted:
        assert constraint.admits_range(since, until), (since, until)
    for since, until in refused:
        assert not constraint.admits_range(since, until), (since, until)


@pytest.mark.parametrize("text", ["", "latest", ">=", "~> x.y", "5.0,", ">> 5.0"])
def test_unparsable_constraints(text):
    assert parse_constraint(text) is None


def test_versions_accept_a_v_prefix_and_prerelease():
    assert parse_version("v5.39.0") == (5, 39, 0)
    assert parse_version("6.0.0-beta1") == (6, 0, 0)
    assert parse_version("5") == (5, 0, 0)
    assert parse_version("main") is None


# --- model files ---------------------------------------------------------------------------

MODEL_FILES = sorted(MODELS.rglob("*.tf"))


def test_there_is_a_model_file_for_every_model_folder():
    folders = {entry.folder for entries in INDEX.values() for entry in entries}
    assert {str(p.parent.relative_to(MODELS)) for p in MODEL_FILES} == folders


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: str(p.relative_to(MODELS)))
def test_model_files_parse(path):
    blocks = parse_file(path.read_text(encoding="utf-8"), str(path))
    kinds = {block.type for block in blocks}
    assert "variable" in kinds and "output" in kinds


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: str(p.relative_to(MODELS)))
def test_model_files_say_what_they_model_and_what_they_leave_out(path):
    head = path.read_text(encoding="utf-8").split("\nvariable", 1)[0]
    assert head.startswith("# oidclint model of ")
    assert "https://github.com/" in head
    assert "Left out:" in head


# --- smoke tests: each model called as a local module --------------------------------------

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


# --- a known module at a version without a model ---------------------------------------------

WORKFLOW = '''\
on: push
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/%s
          aws-region: eu-west-1
'''


@pytest.mark.parametrize("call, assumed, noted", [
    # iam-github-oidc-role was first written in 5.x
    (f'source = "{GITHUB_ROLE}"\n  version = "~> 4.0"\n  name = "deploy"', "deploy", True),
    # a git source's ref is its version; the role name is a prefix in 6.x
    (f'source = "{IAM_GIT}//modules/iam-role?ref=v5.30.0"\n  name = "deploy"', "deploy-a1b2",
     True),
    (f'source = "{UNFUNCO}"\n  version = "0.8.0"\n  iam_role_name = "ci-${{var.env}}"',
     "ci-prod", True),
    (f'source = "{IRSA_EKS}"\n  version = "= 4.0.0"\n  role_name_prefix = "irsa-"', "irsa-x1",
     True),
    # not a known module: no note about versions; it is given the name, so it may define
    # the role the workflow assumes (code the scan cannot read), and the role is not noted
    # as missing either
    ('source = "app.terraform.io/acme/iam/aws"\n  version = "1.0.0"\n  name = "deploy"',
     "deploy", False),
])
def test_a_registry_version_without_a_model_is_noted_once_and_its_role_is_elsewhere(
        tmp_path, call, assumed, noted):
    (tmp_path / "main.tf").write_text(
        'variable "env" {}\n'
        f'module "role" {{\n  for_each = toset(["a", "b"])\n  {call}\n}}\n')
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW % assumed)
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    notes = [d for d in report.diagnostics if "has no built-in model" in d.message]
    not_found = [f for f in report.findings if f.rule_id == "OIDC305"]
    if noted:
        note, = notes
        assert note.message.startswith("module.role: ") and note.span.line == 2
        assert "version '" in note.message and "the models cover" in note.message
        assert not not_found
    else:
        assert not notes and not not_found


def test_roles_of_unmodelled_calls_do_not_hide_other_roles(tmp_path):
    (tmp_path / "main.tf").write_text(
        f'module "role" {{\n  source = "{GITHUB_ROLE}"\n  version = "4.24.1"\n'
        '  name = "deploy"\n}\n')
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW % "release")
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    assert [f.rule_id for f in report.findings] == ["OIDC305"]


def test_a_registry_version_without_a_model_is_noted_in_json_too(tmp_path):
    import json

    call = {"module": {"role": {"source": GITHUB_ROLE, "version": "~> 4.0", "name": "deploy"}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(call, indent=2))
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW % "deploy")
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    note, = [d for d in report.diagnostics if "has no built-in model" in d.message]
    assert note.path == "main.tf.json" and "'~> 4.0'" in note.message
    assert not [f for f in report.findings if f.rule_id == "OIDC305"]
