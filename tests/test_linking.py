"""Linking workloads to roles and trusts to providers, honest about what the scan cannot see:
a role name defined in several root modules, given to a module whose code is not read, or
named in several accounts; lookups of providers; values left for the user to fill in."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES
from oidclint.engine import build_graph, scan
from oidclint.reporters.graph import linked_view
from oidclint.source import FILL_IN, Partial, Span, Str, Unknown, fill_ins

TRUST = '''\
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_role" "deploy" {
  name = "%(name)s"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = { StringEquals = {
        "token.actions.githubusercontent.com:sub" = "repo:acme/api:ref:refs/heads/main" } }
    }]
  })
}
'''

WORKFLOW = '''\
on: {push: {branches: [main]}}
permissions: {id-token: write}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: %(role)s
          aws-region: eu-west-1
'''


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


def graph_of(root: Path):
    graph, _, _ = build_graph([root], root=root, repository="acme/api")
    return graph


# -- fill-in placeholders ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["<VALUE>", "<ACCOUNT_ID>", "<your-org>", "<ACCOUNT-ID>",
                                  "<org.name>"])
def test_a_whole_placeholder_is_unknown(text):
    value = fill_ins(Str(text, Span("main.tf", 3, 13)))
    assert value == Unknown(f"placeholder {text}", Span("main.tf", 3, 13))


def test_placeholders_inside_a_value_leave_the_rest_known():
    value = fill_ins(Str("arn:aws:iam::<ACCOUNT-ID>:oidc-provider/<host>"))
    assert isinstance(value, Partial)
    assert value.parts[0] == "arn:aws:iam::" and value.parts[2] == ":oidc-provider/"
    assert [u.origin for u in value.unknowns] == ["placeholder <ACCOUNT-ID>",
                                                  "placeholder <host>"]


@pytest.mark.parametrize("text", [
    "repo:acme/*", "repo:acme/api:ref:refs/heads/main", "arn:aws:iam::123456789012:role/x",
    "https://token.actions.githubusercontent.com", "a < b and c > d", "<>", "< VALUE >",
    "<your org>", "<1st>", "system:serviceaccount:*:*", "x<=y", "<-- not one -->",
])
def test_other_text_is_never_taken_for_a_placeholder(text):
    value = Str(text)
    assert fill_ins(value) is value
    assert not FILL_IN.fullmatch(text)


def test_placeholders_in_lists_maps_and_partly_known_text():
    listed = ["repo:acme/api:*", "<REPOSITORY>"]
    assert fill_ins(listed) == ["repo:acme/api:*", Unknown("placeholder <REPOSITORY>")]
    untouched = {"a": "b", "c": ["d"]}
    assert fill_ins(untouched) is untouched
    partly = Partial(("https://", Unknown("var.host"), "/<path>"))
    assert [u.origin for u in fill_ins(partly).unknowns] == ["var.host", "placeholder <path>"]


# -- links to roles ---------------------------------------------------------------------------


def test_one_role_of_the_name_is_a_certain_link(tmp_path):
    graph = graph_of(tree(tmp_path, {
        "infra/main.tf": TRUST % {"name": "deploy"},
        ".github/workflows/ci.yml": WORKFLOW % {"role": "arn:aws:iam::123456789012:role/deploy"},
    }))
    (workload,) = graph.workloads
    link = graph.link(workload)
    assert link.certain and [r.scope for r in link.roles] == ["infra"]
    assert [(w.name, r.address) for w, r in graph.links()] == [
        ("ci.yml job deploy", "aws_iam_role.deploy")]


def test_two_roles_of_the_name_in_one_root_module_are_each_checked(tmp_path):
    # One account holds one role of a name: whichever of the two the code creates is it.
    second = (TRUST % {"name": "deploy"}).split('resource "aws_iam_role"')[1]
    graph = graph_of(tree(tmp_path, {
        "infra/main.tf": TRUST % {"name": "deploy"}
        + 'resource "aws_iam_role"' + second.replace('"deploy"', '"deploy2"', 1),
        ".github/workflows/ci.yml": WORKFLOW % {"role": "arn:aws:iam::123456789012:role/deploy"},
    }))
    (workload,) = graph.workloads
    assert graph.link(workload).certain
    assert [r.address for _, r in graph.links()] == ["aws_iam_role.deploy", "aws_iam_role.deploy2"]
    assert [[r.address for r in roles] for _, roles in graph.candidate_links()] == [
        ["aws_iam_role.deploy"], ["aws_iam_role.deploy2"]]


def test_the_same_name_in_two_root_modules_is_ambiguous(tmp_path):
    graph = graph_of(tree(tmp_path, {
        "dev/main.tf": TRUST % {"name": "deploy"},
        "prod/main.tf": TRUST % {"name": "deploy"},
        ".github/workflows/ci.yml": WORKFLOW % {"role": "arn:aws:iam::123456789012:role/deploy"},
    }))
    (workload,) = graph.workloads
    link = graph.link(workload)
    assert not link.certain and not link.unseen
    assert sorted(r.scope for r in link.roles) == ["dev", "prod"]
    assert list(graph.links()) == []
    assert [(w.name, sorted(r.scope for r in roles)) for w, roles in graph.candidate_links()] \
        == [("ci.yml job deploy", ["dev", "prod"])]


@pytest.mark.parametrize("given, linked", [
    ('role_name = "deploy"', False),
    ('roles = [{ name = "deploy" }]', False),
    ('role_arn = "arn:aws:iam::123456789012:role/deploy"', False),
    # Another account's role of that name is another role.
    ('role_arn = "arn:aws:iam::999999999999:role/deploy"', True),
    ('role_name = "deploy-ci"', True),
    ("role_name = var.name", True),
])
def test_a_name_given_to_a_module_the_scan_cannot_read(tmp_path, given, linked):
    graph = graph_of(tree(tmp_path, {
        "example/main.tf": TRUST % {"name": "deploy"},
        "shared/main.tf": f'''\
            variable "name" {{}}
            module "ci" {{
              source  = "acme-platform/ci-role/aws"
              version = "2.1.0"
              {given}
            }}
            ''',
        ".github/workflows/ci.yml": WORKFLOW % {"role": "arn:aws:iam::123456789012:role/deploy"},
    }))
    (workload,) = graph.workloads
    link = graph.link(workload)
    assert [r.scope for r in link.roles] == ["example"]
    assert link.certain is linked
    if not linked:
        (unseen,) = link.unseen
        assert unseen.span.path == "shared/main.tf" and unseen.span.line == 2
        assert "module.ci (acme-platform/ci-role/aws)" in unseen.label
        assert list(graph.candidate_links()) == []


def test_unread_module_calls_keep_the_strings_they_are_given(tmp_path):
    graph = graph_of(tree(tmp_path, {"main.tf": '''\
        module "roles" {
          source   = "../outside"
          for_each = toset(["a", "b"])
          name     = "ci-${each.key}"
          subjects = ["repo:acme/api:*"]
          tags     = { team = "platform" }
        }
        resource "aws_iam_openid_connect_provider" "github" {
          url            = "https://token.actions.githubusercontent.com"
          client_id_list = ["sts.amazonaws.com"]
        }
        '''}))
    calls = graph.inventory.unread_calls
    assert [(c.address, c.source, c.scope) for c in calls] == [
        ('module.roles["a"]', "../outside", "."), ('module.roles["b"]', "../outside", ".")]
    assert sorted(map(str, calls[0].values)) == ["ci-a", "platform", "repo:acme/api:*"]


def test_workloads_naming_the_role_in_more_accounts_than_the_scan_has_roles(tmp_path):
    files = {
        "infra/main.tf": TRUST % {"name": "deploy"},
        ".github/workflows/dev.yml": WORKFLOW % {"role": "arn:aws:iam::111111111111:role/deploy"},
        ".github/workflows/prod.yml": WORKFLOW % {"role": "arn:aws:iam::222222222222:role/deploy"},
    }
    graph = graph_of(tree(tmp_path / "one", files))
    links = {w.name: graph.link(w) for w in graph.workloads}
    assert not any(link.certain for link in links.values())
    assert "account 222222222222" in links["dev.yml job deploy"].unseen[0].label
    assert links["dev.yml job deploy"].unseen[0].span.path == ".github/workflows/prod.yml"
    # A role of that name in a second root module: as many roles as accounts, each link is
    # between the two (ambiguous but all seen).
    files["other/main.tf"] = TRUST % {"name": "deploy"}
    graph = graph_of(tree(tmp_path / "two", files))
    assert all(not graph.link(w).unseen and len(graph.link(w).roles) == 2
               for w in graph.workloads)


def test_a_role_value_not_wholly_known_is_listed_as_unresolved_and_not_noted_twice():
    for fixture, unresolved in [
        ("negative-account-from-variable",
         ["deploy.yml job deploy: arn:aws:iam::${vars.PROD_ACCOUNT_ID}:role/api-deploy-prod"]),
        ("negative-manifest-role-from-environment", [
            "ServiceAccount carts/carts: ${CARTS_IAM_ROLE (substituted when the manifest is "
            "rendered)}",
            "ServiceAccount catalog/catalog: ${kustomize variable $(CATALOG_ROLE_ARN)}",
            "ServiceAccount orders/orders: arn:aws:iam::${ACCOUNT_ID (substituted when the "
            "manifest is rendered)}:role/orders",
        ]),
    ]:
        folder = FIXTURES / "OIDC305" / fixture
        report = scan([folder], root=folder, repository="acme/api")
        assert sorted(report.unresolved) == unresolved
        assert not [f for f in report.findings if f.rule_id == "OIDC305"]


def test_a_placeholder_in_a_workflow_role_is_unresolved(tmp_path):
    root = tree(tmp_path, {".github/workflows/ci.yml":
                           WORKFLOW % {"role": "arn:aws:iam::<ACCOUNT_ID>:role/deploy"}})
    report = scan([root], root=root, repository="acme/api")
    assert report.unresolved == [
        "ci.yml job deploy: arn:aws:iam::${placeholder <ACCOUNT_ID>}:role/deploy"]
    assert report.findings == []


# -- links to providers -----------------------------------------------------------------------

LOOKUP = '''\
data "aws_iam_openid_connect_provider" "github" {
  %(by)s
}
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = data.aws_iam_openid_connect_provider.github.arn }
      Condition = { StringEquals = {
        "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
        "token.actions.githubusercontent.com:sub" = "repo:acme/api:ref:refs/heads/main" } }
    }]
  })
}
'''

PROVIDERS = '''\
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["other"]
}
resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}
'''


@pytest.mark.parametrize("by", [
    'url = "https://token.actions.githubusercontent.com"',
    "url = var.url",
    "arn = var.arn",
])
def test_a_provider_looked_up_is_one_of_its_own_root_module_only(tmp_path, by):
    lookup = LOOKUP % {"by": by} + 'variable "url" {}\nvariable "arn" {}\n'
    graph = graph_of(tree(tmp_path, {"roles/main.tf": lookup, "bootstrap/main.tf": PROVIDERS}))
    (trust,) = graph.trusts()
    assert trust.providers == []
    # What the lookup names still says which issuer it is, when it says it.
    known = "url =" in by and "var" not in by
    assert trust.hosts == (["token.actions.githubusercontent.com"] if known else [])


def test_a_provider_looked_up_beside_the_one_created_is_that_one(tmp_path):
    lookup = LOOKUP % {"by": 'url = "https://token.actions.githubusercontent.com"'}
    graph = graph_of(tree(tmp_path, {"main.tf": lookup + PROVIDERS,
                                     "other/main.tf": PROVIDERS}))
    (trust,) = graph.trusts()
    assert [(p.address, p.scope) for p in trust.providers] == [
        ("aws_iam_openid_connect_provider.github", ".")]


def test_a_literal_provider_arn_still_finds_the_provider_by_its_host(tmp_path):
    role = TRUST.split("resource \"aws_iam_role\"")[1].replace(
        "aws_iam_openid_connect_provider.github.arn",
        '"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"')
    graph = graph_of(tree(tmp_path, {"roles/main.tf": 'resource "aws_iam_role"' + role,
                                     "bootstrap/main.tf": PROVIDERS}))
    (trust,) = graph.trusts()
    assert [(p.address, p.scope) for p in trust.providers] == [
        ("aws_iam_openid_connect_provider.github", "bootstrap")]


def test_the_graph_draws_a_lookup_as_itself(tmp_path):
    lookup = LOOKUP % {"by": 'url = "https://token.actions.githubusercontent.com"'}
    view = linked_view(graph_of(tree(tmp_path, {"roles/main.tf": lookup,
                                                "bootstrap/main.tf": PROVIDERS})))
    edges = {(view.nodes[a]["label"], view.nodes[b]["label"]) for a, b in view.edges}
    assert edges == {("aws_iam_role.deploy", "data.aws_iam_openid_connect_provider.github\n"
                                             "token.actions.githubusercontent.com")}


def test_a_reference_is_resolved_in_the_workloads_own_root_module(tmp_path):
    irsa = '''\
        resource "aws_iam_role" "irsa" {
          name = "%s-irsa"
          assume_role_policy = "{}"
        }
        resource "kubernetes_service_account_v1" "api" {
          metadata {
            name        = "api"
            namespace   = "%s"
            annotations = { "eks.amazonaws.com/role-arn" = aws_iam_role.irsa.arn }
          }
        }
        '''
    graph, _, _ = build_graph([tree(tmp_path, {"dev/main.tf": irsa % ("dev", "dev"),
                                               "prod/main.tf": irsa % ("prod", "prod")})],
                              root=tmp_path, prefilter=False)
    assert sorted((w.name, [(r.scope, r.name) for r in graph.link(w).roles],
                   graph.link(w).certain) for w in graph.workloads) == [
        ("ServiceAccount dev/api", [("dev", "dev-irsa")], True),
        ("ServiceAccount prod/api", [("prod", "prod-irsa")], True)]
