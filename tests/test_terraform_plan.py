"""Terraform plan JSON (``terraform show -json``) to the model, and the rules over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, SAMPLES
from oidclint.engine import all_rules, run_rules
from oidclint.graph import TrustGraph
from oidclint.model import Inventory
from oidclint.located.documents import load_documents
from oidclint.readers.terraform.plan import is_plan, link_sources, parse_plan
from oidclint.source import SourceFile, Span, Unknown
from oidclint.terraform_roots import parse_terraform

GH = "token.actions.githubusercontent.com"
GH_ARN = f"arn:aws:iam::123456789012:oidc-provider/{GH}"
AWS = "registry.terraform.io/hashicorp/aws"


def read_plan(text: str, path: str = "plan.json") -> Inventory:
    document = load_documents(text, path, json_mode=True)[0]
    assert is_plan(document)
    return parse_plan(SourceFile(path, Path(path), text, "structured"), document)


def read_plan_file(folder: Path, root: Path) -> Inventory:
    path = (folder / "plan.json").relative_to(root).as_posix()
    return read_plan((folder / "plan.json").read_text(), path)


def findings(inventory: Inventory) -> set[tuple[str, str, str | None]]:
    found, problems = run_rules(TrustGraph(inventory), all_rules())
    assert not problems
    return {(f.rule_id, f.span.path, f.address) for f in found}


def trust(subjects, *, operator="StringLike", federated=GH_ARN) -> str:
    condition = {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}
    if subjects is not None:
        condition.setdefault(operator, {})[f"{GH}:sub"] = subjects
    return json.dumps({"Statement": [{"Action": "sts:AssumeRoleWithWebIdentity",
                                      "Condition": condition, "Effect": "Allow",
                                      "Principal": {"Federated": federated}}],
                       "Version": "2012-10-17"}, separators=(",", ":"), sort_keys=True)


def resource(address: str, values: dict, unknown: dict | None = None) -> dict:
    local = address.rsplit("module.", 1)[-1].split(".", 1)[-1] if "module." in address else address
    kind, name = local.split(".")[0], local.split(".")[1].split("[")[0]
    return {"address": address, "mode": "managed", "type": kind, "name": name,
            "provider_name": AWS, "values": values, "unknown": unknown or {}}


def plan_text(resources: list[dict], modules: dict[str, list[dict]] | None = None,
              configuration: dict | None = None) -> str:
    def planned(r):
        return {k: v for k, v in r.items() if k != "unknown"}

    root = {"resources": [planned(r) for r in resources]}
    if modules:
        root["child_modules"] = [{"address": m, "resources": [planned(r) for r in rs]}
                                 for m, rs in modules.items()]
    every = resources + [r for rs in (modules or {}).values() for r in rs]
    changes = [{"address": r["address"], "mode": "managed", "type": r["type"],
                "name": r["name"], "provider_name": AWS,
                "change": {"actions": ["create"], "before": None, "after": r["values"],
                           "after_unknown": r["unknown"]}} for r in every]
    return json.dumps({"format_version": "1.2", "terraform_version": "1.9.8",
                       "planned_values": {"root_module": root}, "resource_changes": changes,
                       "configuration": configuration or {"root_module": {}}},
                      separators=(",", ":")) + "\n"


GITHUB = resource("aws_iam_openid_connect_provider.github", {
    "arn": GH_ARN, "client_id_list": ["sts.amazonaws.com"], "url": GH,
    "thumbprint_list": ["6938fd4d98bab03faadb97b34396831e3780aea1"]})


def role(address: str, role_name: str | None, policy: str | None, **unknown) -> dict:
    values = {"name": role_name, "assume_role_policy": policy, "max_session_duration": 3600,
              "path": "/"}
    return resource(address, {k: v for k, v in values.items() if v is not None},
                    {"arn": True, "id": True, "unique_id": True, "inline_policy": True,
                     "managed_policy_arns": True, **unknown})


# --- what a plan is ------------------------------------------------------------------------


@pytest.mark.parametrize("document, expected", [
    ({"format_version": "1.2", "planned_values": {}}, True),
    ({"format_version": "1.2", "resource_changes": []}, True),
    ({"format_version": "1.0", "values": {"root_module": {}}}, False),  # a state, not a plan
    ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, False),
    (["format_version"], False),
])
def test_is_plan(document, expected):
    assert is_plan(document) is expected


# --- the for_each fixture: exactly the wrong instance is reported ---------------------------


def test_one_of_two_for_each_instances_admits_every_repository():
    folder = FIXTURES / "OIDC204" / "positive-plan-for-each"
    inventory = read_plan_file(folder, folder)
    assert not inventory.diagnostics
    assert sorted(r.address for r in inventory.roles) == [
        'aws_iam_role.deploy["api"]', 'aws_iam_role.deploy["web"]']
    # The api instance also holds AmazonECS_FullAccess (any role passed to ECS tasks): OIDC209.
    assert findings(inventory) == {("OIDC204", "plan.json", 'aws_iam_role.deploy["api"]'),
                                   ("OIDC209", "plan.json", 'aws_iam_role.deploy["api"]')}


def test_the_finding_points_at_the_subject_inside_the_policy_string():
    folder = FIXTURES / "OIDC204" / "positive-plan-for-each"
    text = (folder / "plan.json").read_text()
    found, _ = run_rules(TrustGraph(read_plan(text)), all_rules())
    written = '\\"repo:acme/*:*\\"'
    column = text.index(written) + 1
    assert {f.span for f in found} == {Span("plan.json", 1, column, 1, column + len(written))}


@pytest.mark.parametrize("folder", sorted(p.parent for p in FIXTURES.glob("*/*plan*/plan.json")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_plan_fixtures_give_exactly_their_expected_findings(folder):
    import yaml

    expected = yaml.safe_load((folder / "expected.yaml").read_text())["findings"] or []
    inventory = read_plan_file(folder, folder)
    assert not inventory.diagnostics
    assert findings(inventory) == {(e["rule"], e["path"], e.get("address")) for e in expected}


def test_module_resources_keep_their_module_address():
    folder = FIXTURES / "OIDC201" / "positive-plan-module"
    inventory = read_plan_file(folder, folder)
    assert [r.address for r in inventory.roles] == ["module.site_deploy.aws_iam_role.this"]
    assert inventory.roles[0].scope == "plan.json"


def test_a_plan_without_planned_values_is_read_from_its_changes():
    document = json.loads(plan_text([GITHUB, role("aws_iam_role.ci", "ci", trust(None))]))
    del document["planned_values"]
    document["resource_changes"].append({**document["resource_changes"][1], "deposed": "0ab1"})
    document["resource_changes"].append({
        "address": "data.aws_iam_role.old", "mode": "data", "type": "aws_iam_role",
        "name": "old", "change": {"actions": ["read"], "after": {"name": "old"}}})
    inventory = read_plan(json.dumps(document))
    assert [r.address for r in inventory.roles] == ["aws_iam_role.ci"]
    assert findings(inventory) == {("OIDC201", "plan.json", "aws_iam_role.ci")}


# --- values known only after apply ---------------------------------------------------------


def test_unknown_values_are_unknown_known_after_apply():
    text = plan_text([GITHUB, role("aws_iam_role.ci", None, None, name=True,
                                   assume_role_policy=True)])
    ci = read_plan(text).roles[0]
    assert isinstance(ci.name, Unknown)
    assert ci.name.origin == "aws_iam_role.ci.name (known after apply)"
    assert ci.trust.unknown.origin == "aws_iam_role.ci.assume_role_policy (known after apply)"
    assert findings(read_plan(text)) == set()


def test_a_provider_kept_from_state_gets_its_scheme_back():
    provider = read_plan(plan_text([GITHUB])).providers[0]
    assert provider.url == f"https://{GH}"
    assert provider.host == GH
    assert [str(c) for c in provider.client_ids] == ["sts.amazonaws.com"]


def test_a_policy_that_is_not_json_is_a_problem_of_the_trust():
    trust_of = read_plan(plan_text([role("aws_iam_role.ci", "ci", "{not json")])).roles[0].trust
    assert trust_of.problems and "not valid JSON" in trust_of.problems[0][1]


def test_a_pretty_printed_policy_keeps_its_lines_inside_the_string():
    policy = json.dumps(json.loads(trust(["repo:acme/api:*"])), indent=2)
    text = plan_text([GITHUB, role("aws_iam_role.ci", "ci", policy)])
    condition = read_plan(text).roles[0].trust.statements[0].conditions[-1]
    written = '\\"repo:acme/api:*\\"'
    column = text.index(written) + 1
    assert condition.values[0].span == Span("plan.json", 1, column, 1, column + len(written))


# --- permissions: references are values in a plan ------------------------------------------


def test_an_attachment_by_role_name_makes_a_broad_trust_privileged():
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    text = plan_text([GITHUB, role("aws_iam_role.ops", "ops", trust("repo:acme/ops:*")),
                      resource("aws_iam_role_policy_attachment.ops",
                               {"role": "ops", "policy_arn": admin}, {"id": True})])
    inventory = read_plan(text)
    graph = TrustGraph(inventory)
    assert graph.is_administrator(inventory.roles[0])
    assert ("OIDC209", "plan.json", "aws_iam_role.ops") in findings(inventory)


def test_a_managed_policy_created_in_the_same_plan_is_found_through_the_configuration():
    everything = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    configuration = {"root_module": {"resources": [{
        "address": "aws_iam_role_policy_attachment.ops", "mode": "managed",
        "type": "aws_iam_role_policy_attachment", "name": "ops",
        "expressions": {"policy_arn": {"references": ["aws_iam_policy.admin.arn",
                                                      "aws_iam_policy.admin"]},
                        "role": {"references": ["aws_iam_role.ops.name", "aws_iam_role.ops"]}},
    }]}}
    text = plan_text([GITHUB, role("aws_iam_role.ops", "ops", trust("repo:acme/ops:*")),
                      resource("aws_iam_policy.admin", {"name": "admin", "policy": everything},
                               {"arn": True, "id": True}),
                      resource("aws_iam_role_policy_attachment.ops", {"role": "ops"},
                               {"id": True, "policy_arn": True})], configuration=configuration)
    inventory = read_plan(text)
    attachment = next(p for p in inventory.policies
                      if p.address == "aws_iam_role_policy_attachment.ops")
    assert isinstance(attachment.managed_arn, Unknown)
    assert attachment.managed_arn.ref == "aws_iam_policy.admin"
    assert TrustGraph(inventory).is_administrator(inventory.roles[0])


def test_a_service_account_asks_for_a_role_created_in_the_same_plan():
    configuration = {"root_module": {"resources": [{
        "address": "kubernetes_service_account_v1.api", "mode": "managed",
        "type": "kubernetes_service_account_v1", "name": "api",
        "expressions": {"metadata": [{
            "annotations": {"references": ["aws_iam_role.api.arn", "aws_iam_role.api"]},
            "name": {"constant_value": "api"}, "namespace": {"constant_value": "payments"}}]},
    }]}}
    text = plan_text([
        resource("aws_eks_cluster.main", {"name": "main"}, {"identity": True}),
        role("aws_iam_role.api", "payments-api", None, assume_role_policy=True),
        resource("kubernetes_service_account_v1.api", {"metadata": [
            {"name": "api", "namespace": "payments", "annotations": {}}]},
            {"metadata": [{"annotations": {"eks.amazonaws.com/role-arn": True}}]}),
    ], configuration=configuration)
    inventory = read_plan(text)
    workload = inventory.workloads[0]
    assert workload.name == "ServiceAccount payments/api"
    assert workload.cluster == "aws_eks_cluster.main"
    assert isinstance(workload.role, Unknown) and workload.role.ref == "aws_iam_role.api"
    assert TrustGraph(inventory).assumed_roles(workload) == inventory.roles
    assert "oidc.eks." in str(inventory.clusters[0].issuer)


# --- the .tf source of planned resources -----------------------------------------------------


def test_plan_roles_and_providers_are_related_to_their_tf_source():
    stack = SAMPLES / "terraform-plan"
    plan = read_plan_file(stack, stack.parent)
    sources = parse_terraform([SourceFile(p.relative_to(stack.parent).as_posix(), p,
                                          p.read_text(), "terraform")
                               for p in sorted(stack.glob("*.tf"))])
    link_sources(plan, sources)
    role = next(r for r in plan.roles if r.address == 'aws_iam_role.deploy["api"]')
    assert [(o.span.path, o.span.line, o.label) for o in role.origins] == [
        ("terraform-plan/deploy_roles.tf", 15, 'source of aws_iam_role.deploy["api"]')]
    assert [o.span.path for o in plan.providers[0].origins] == ["terraform-plan/oidc.tf"]
    link_sources(plan, sources)  # linking twice adds nothing
    assert len(role.origins) == 1


def test_a_finding_on_a_planned_role_lists_its_tf_source_as_related():
    stack = SAMPLES / "terraform-plan"
    plan = read_plan_file(stack, stack.parent)
    sources = parse_terraform([SourceFile(p.relative_to(stack.parent).as_posix(), p,
                                          p.read_text(), "terraform")
                               for p in sorted(stack.glob("*.tf"))])
    link_sources(plan, sources)
    found, _ = run_rules(TrustGraph(plan), all_rules())
    assert [(f.rule_id, f.address) for f in found] == [("OIDC204", 'aws_iam_role.deploy["api"]'),
                                                       ("OIDC209", 'aws_iam_role.deploy["api"]')]
    assert all("terraform-plan/deploy_roles.tf" in {r.span.path for r in f.related} for f in found)


def _defined(address: str, path: str) -> Inventory:
    from oidclint.model import Role

    return Inventory(roles=[Role(address, None, None, span=Span(path, 3), scope="x")])


@pytest.mark.parametrize("planned, defined_at, linked", [
    ('aws_iam_role.a["x"]', ("aws_iam_role.a", "infra/main.tf"), True),
    ('aws_iam_role.a["x"]', ("aws_iam_role.a", "other/main.tf"), False),
    ('aws_iam_role.a', ("aws_iam_role.a", "infra/modules/role/main.tf"), False),
    ('module.gh.aws_iam_role.a', ("module.gh.aws_iam_role.a", "infra/main.tf"), True),
    ('module.gh["k"].aws_iam_role.a[0]', ("aws_iam_role.a", "infra/modules/gh/main.tf"), True),
    ('module.gh.aws_iam_role.a', ("aws_iam_role.a", "elsewhere/modules/gh/main.tf"), False),
])
def test_which_tf_resource_a_planned_one_comes_from(planned, defined_at, linked):
    plan = _defined(planned, "infra/plan.json")
    link_sources(plan, _defined(*defined_at))
    assert bool(plan.roles[0].origins) is linked


def test_the_plan_itself_is_not_its_own_source():
    plan = _defined('aws_iam_role.a["x"]', "infra/plan.json")
    sources = _defined("aws_iam_role.a", "infra/main.tf.json")
    sources.roles += plan.roles + _defined('aws_iam_role.a["x"]', "infra/staging.json").roles
    link_sources(plan, sources)
    assert [o.span.path for o in plan.roles[0].origins] == ["infra/main.tf.json"]


def test_an_ambiguous_source_is_not_guessed():
    plan = _defined("module.gh.aws_iam_role.a", "infra/plan.json")
    sources = _defined("aws_iam_role.a", "infra/modules/one/main.tf")
    sources.roles += _defined("aws_iam_role.a", "infra/modules/two/main.tf").roles
    link_sources(plan, sources)
    assert plan.roles[0].origins == []
