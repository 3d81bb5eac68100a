"""A conditional whose condition is not known: one of its arms, kept as ``OneOf``."""

from __future__ import annotations

import json

import pytest

from oidclint.engine import build_graph, scan
from oidclint.hcl.module import Module
from oidclint.iam.policy import document_from_options
from oidclint.hcl.syntax import parse_file
from oidclint.hcl.values import MAX_OPTIONS, Encoded, same_value
from oidclint.source import OneOf, Partial, Span, Unknown, alternatives

UNKNOWN_CONDITION = 'variable "c" {}\nvariable "d" {}\nvariable "free" {}\n'


def local(expression: str, declarations: str = UNKNOWN_CONDITION) -> object:
    mod = Module(".", parse_file(f"{declarations}\nlocals {{\n  x = {expression}\n}}\n",
                                 "main.tf"))
    return mod.local("x", Span("main.tf", 1))


def options(value: object) -> list:
    assert isinstance(value, OneOf), value
    return sorted(str(o) for o in value.options)


def test_arms_that_differ_are_kept():
    value = local('var.c ? "ci-dev" : "ci"')
    assert options(value) == ["ci", "ci-dev"]
    assert "var.c" in value.origin  # still read as the unknown it is elsewhere
    assert isinstance(value, Unknown)


def test_arms_alike_are_one_value():
    assert local('var.c ? "ci" : "ci"') == "ci"
    assert local('var.c ? (var.d ? "a" : "b") : (var.d ? "b" : "a")').options.__len__() == 2


def test_an_arm_wholly_unknown_gives_only_unknown():
    value = local('var.c ? "ci" : var.free')
    assert isinstance(value, Unknown) and not isinstance(value, OneOf)


def test_partly_known_arms_are_kept():
    value = local('var.c ? "repo-s3" : "${var.free}-x"')
    assert isinstance(value, OneOf)
    assert any(isinstance(o, Partial) for o in value.options) and "repo-s3" in value.options


def test_nested_conditionals_multiply_up_to_the_cap():
    assert options(local('var.c ? (var.d ? "a" : "b") : (var.d ? "c" : "d")')) == [
        "a", "b", "c", "d"]
    # Seventeen independent choices: far past the cap, so only unknown.
    chosen = [f"var.v{i} ? {i}{i} : {i}" for i in range(MAX_OPTIONS + 1)]
    many = local("max(" + ", ".join(chosen) + ")",
                 "".join(f'variable "v{i}" {{}}\n' for i in range(MAX_OPTIONS + 1)))
    assert isinstance(many, Unknown) and not isinstance(many, OneOf)


def test_functions_give_one_of_their_results():
    assert options(local('upper(var.c ? "a" : "b")')) == ["A", "B"]
    assert options(local('format("%s-role", var.c ? "dev" : "prod")')) == ["dev-role",
                                                                          "prod-role"]
    # What every option gives is decided.
    assert local('contains(var.c ? ["a", "b"] : ["a"], "a")') is True
    assert local('length(var.c ? ["a"] : ["b"])') == 1


def test_a_function_an_option_fails_is_only_unknown():
    value = local('tonumber(var.c ? "5" : "five")')
    assert isinstance(value, Unknown) and not isinstance(value, OneOf)


def test_jsonencode_either_way_is_one_of_two_documents():
    for expression in ('jsonencode(var.c ? { a = 1 } : { a = 2 })',
                       'var.c ? jsonencode({ a = 1 }) : jsonencode({ a = 2 })'):
        value = local(expression)
        assert isinstance(value, OneOf) and all(isinstance(o, Encoded) for o in value.options)
        assert sorted(json.loads(o)["a"] for o in value.options) == [1, 2]


def test_attributes_and_indexes_of_one_of_several_objects():
    assert options(local('(var.c ? { n = "a" } : { n = "b" }).n')) == ["a", "b"]
    assert options(local('{ dev = "x", prod = "y" }[var.c ? "dev" : "prod"]')) == ["x", "y"]
    assert local('(var.c ? { n = "a", m = 1 } : { n = "a", m = 2 }).n') == "a"


def test_templates_keep_the_known_text_around_a_choice():
    value = local('"repo:acme/${var.c ? "api" : "web"}:*"')
    assert isinstance(value, Partial)
    assert value.known_prefix == "repo:acme/" and value.known_suffix == ":*"
    piece = value.parts[1]
    assert options(piece) == ["api", "web"]
    directive = local('"x-%{ if var.c }a%{ else }b%{ endif }"')
    assert isinstance(directive, Partial) and options(directive.parts[1]) == ["a", "b"]
    # A lone interpolation keeps the type of what it holds (HCL's rule).
    assert sorted(local('"${var.c ? 1 : 2}"').options) == [1, 2]


def test_same_value_compares_options():
    first = local('var.c ? "a" : "b"')
    other = local('var.c ? "c" : "d"')
    assert str(first) == str(other)  # the same origin ...
    assert not same_value(first, other)  # ... but not the same value
    assert same_value(first, local('var.c ? "b" : "a"'))
    # A conditional between two such values with the same text is not taken as one of them.
    value = local('var.d ? (var.c ? "a" : "b") : (var.c ? "c" : "d")')
    assert options(value) == ["a", "b", "c", "d"]


# -- what consumers decide from the alternatives -------------------------------------------

ROLE = '''\
variable "env" {
  type = string
}
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_role" "deploy" {
  name = %(name)s
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = { StringEquals = {
        "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
        "token.actions.githubusercontent.com:sub" = "repo:acme/api:ref:refs/heads/main" } }
    }]
  })
}
'''

JOB = '''\
on: pull_request
permissions: {id-token: write}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/%(role)s
          aws-region: eu-west-1
'''


def scanned(tmp_path, name: str, role: str):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(ROLE % {"name": name})
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(JOB % {"role": role})
    graph, _, _ = build_graph([tmp_path], root=tmp_path, repository="acme/api")
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    return graph, {f.rule_id for f in report.findings}


@pytest.mark.parametrize("name", ['var.env == "prod" ? "deploy" : "deploy-${var.env}"',
                                  '"deploy-${var.env == "prod" ? "prod" : "dev"}"',
                                  'var.env == "prod" ? "deploy-prod" : "deploy-dev"'])
def test_a_workload_naming_one_of_the_names_is_linked(tmp_path, name):
    role = "deploy-dev" if "dev" in name else "deploy"
    graph, rules = scanned(tmp_path, name, role)
    workload = graph.workloads[0]
    assert [r.address for r in graph.link(workload).roles] == ["aws_iam_role.deploy"]
    assert graph.link(workload).certain
    assert rules == {"OIDC108"}


def test_a_workload_naming_none_of_the_names_is_not_linked(tmp_path):
    graph, rules = scanned(tmp_path, 'var.env == "prod" ? "deploy-prod" : "deploy-dev"',
                           "deploy-test")
    assert not graph.link(graph.workloads[0]).roles
    assert rules == {"OIDC305"}


def test_a_policy_attached_by_one_of_the_names_is_not_taken_as_the_roles(tmp_path):
    """The role has the name only when that option is taken: granting it the policy would
    state what holds for one option."""
    (tmp_path / "main.tf").write_text(ROLE % {"name": 'var.env == "p" ? "a" : "b"'} + '''
resource "aws_iam_role_policy" "admin" {
  role   = "a"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
''')
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    role = graph.roles[0]
    assert alternatives(role.name) == ("a", "b")
    assert not graph.grants(role)


def test_alternatives_of_a_string_with_choices_inside():
    value = local('"ci-${var.c ? "dev" : "prod"}-${var.d ? "a" : "b"}"')
    assert sorted(alternatives(value)) == ["ci-dev-a", "ci-dev-b", "ci-prod-a", "ci-prod-b"]
    assert alternatives("x") == ("x",)


def test_a_trust_either_of_two_documents_reads_what_both_hold():
    common = ('{ Effect = "Allow", Action = "sts:AssumeRoleWithWebIdentity", '
              'Principal = { Federated = "arn:aws:iam::1:oidc-provider/token.actions.'
              'githubusercontent.com" } }')
    extra = '{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }'
    value = local(f'var.c ? jsonencode({{ Statement = [{common}, {extra}] }}) : '
                  f'jsonencode({{ Statement = [{common}] }})')
    document = document_from_options([o.decoded for o in value.options], value)
    assert [str(s.actions[0]) for s in document.statements if s.allows] == [
        "sts:AssumeRoleWithWebIdentity"]
    assert not document.read_whole  # the AssumeRole statement is held by one only
    same = local(f'var.c ? jsonencode({{ Version = "2012-10-17", Statement = [{common}] }})'
                 f' : jsonencode({{ Statement = [{common}] }})')
    document = document_from_options([o.decoded for o in same.options], same)
    assert document.read_whole and len(document.statements) == 1
    unknown = local(f'var.c ? jsonencode({{ Statement = [{common}] }}) : '
                    f'jsonencode({{ Statement = var.free }})')
    assert not isinstance(unknown, OneOf) or document_from_options(
        [o.decoded if isinstance(o, Encoded) else o for o in unknown.options],
        unknown).unknown is not None
