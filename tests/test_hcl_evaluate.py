"""Terraform expressions: values, unknowns and the spans they keep."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.hcl.evaluate import Environment, evaluate_source
from oidclint.hcl.functions import FUNCTIONS, Call
from oidclint.hcl.module import Module
from oidclint.iam.re2 import (InvalidPattern, TooSlow, Unsupported, compile_re2,
                              expand_template)
from oidclint.hcl.syntax import parse_file
from oidclint.hcl.values import Encoded, UnknownElements
from oidclint.source import LDict, LList, Partial, Span, Str, Unknown


def module(text: str, path: str = "main.tf", folder: str = ".") -> Module:
    return Module(folder, parse_file(text, path))


def local(expression: str, declarations: str = "") -> object:
    """The value of ``local.x = <expression>`` next to ``declarations``."""
    mod = module(f"{declarations}\nlocals {{\n  x = {expression}\n}}\n")
    return mod.local("x", Span("main.tf", 1))


def call(name: str, *args: object) -> object:
    return FUNCTIONS[name](Call(name, list(args), Span("main.tf", 1)))


UNKNOWN = Unknown("var.org (no default)")


def partial(*parts: object) -> Partial:
    return Partial(tuple(parts))


# --- literals and structure ---------------------------------------------------------------


def test_literals():
    assert local("42") == 42
    assert local("2.5e3") == 2500
    assert local("-1.5") == -1.5
    assert local("true") is True
    assert local("null") is None
    assert local('"a\\tb\\"c\\u00e9"') == 'a\tb"c\u00e9'
    assert local('"$${literal} %%{x}"') == "${literal} %{x}"


def test_literal_string_keeps_its_span():
    mod = module('locals {\n  greeting = "hello"\n}\n')
    value = mod.local("greeting", Span("main.tf", 9))
    assert isinstance(value, Str)
    assert value.span == Span("main.tf", 2, 14, 2, 21)


def test_tuple_and_object_are_located():
    value = local('["a", { Version = "2012-10-17", "Sid" : "x", (local.k) = 1 }]',
                  'locals {\n  k = "Dynamic"\n}')
    assert isinstance(value, LList) and value.span is not None
    obj = value[1]
    assert isinstance(obj, LDict)
    assert obj == {"Version": "2012-10-17", "Sid": "x", "Dynamic": 1}
    key = next(k for k in obj if k == "Version")
    assert key.span.line == value.span.line  # a bare name is the key itself


def test_heredoc_values():
    text = 'locals {\n  plain = <<EOT\nline one\n  line two\nEOT\n  trimmed = <<-EOT\n    a\n      b\n    EOT\n}\n'
    mod = module(text)
    assert mod.local("plain", Span("main.tf", 1)) == "line one\n  line two\n"
    trimmed = mod.local("trimmed", Span("main.tf", 1))
    assert trimmed == "a\n  b\n"
    assert trimmed.span == Span("main.tf", 6, 13, 9, 8)


# --- templates ----------------------------------------------------------------------------


def test_template_with_known_parts_is_a_str_spanning_the_template():
    value = local('"repo:${var.org}/api:*"', 'variable "org" {\n  default = "acme"\n}')
    assert value == "repo:acme/api:*"
    assert isinstance(value, Str)
    assert value.span == Span("main.tf", 5, 7, 5, 30)


def test_template_with_unknown_part_is_partial():
    value = local('"repo:${var.org}/api:*"', 'variable "org" {}')
    assert isinstance(value, Partial)
    assert value.parts[0] == "repo:" and value.parts[2] == "/api:*"
    assert value.parts[1].origin == "var.org (no default)"
    assert value.known_prefix == "repo:"


def test_single_interpolation_keeps_the_value_type():
    assert local('"${[1, 2]}"') == [1, 2]
    assert local('"${3}"') == 3
    assert local('"n=${3}"') == "n=3"
    assert local('"${true}!"') == "true!"


def test_template_directives():
    assert local('"%{ if true }yes%{ else }no%{ endif }"') == "yes"
    assert local('"%{ for i, v in ["a", "b"] }${i}=${v};%{ endfor }"') == "0=a;1=b;"
    assert local('"a  %{~ if false }x%{ endif ~}  b"') == "ab"


def test_template_directive_on_unknown_condition():
    value = local('"x-%{ if var.c }a%{ else }b%{ endif }"', 'variable "c" {}')
    assert isinstance(value, Partial) and value.known_prefix == "x-"
    same = local('"x-%{ if var.c }a%{ else }a%{ endif }"', 'variable "c" {}')
    assert same == "x-a"


def test_heredoc_interpolation_and_directives():
    text = ('variable "org" {}\nlocals {\n  doc = <<-EOT\n    org: ${var.org}\n'
            '    %{ for r in ["api", "web"] ~}\n    - ${r}\n    %{ endfor ~}\n    EOT\n}\n')
    value = module(text).local("doc", Span("main.tf", 1))
    assert isinstance(value, Partial)
    assert value.parts[0] == "org: "
    unknown = value.parts[1]
    assert unknown.origin == "var.org (no default)"
    assert unknown.span.line == 4
    assert value.parts[2] == "\n- api\n- web\n"


def test_unterminated_heredoc_interpolation_is_unknown_not_an_error():
    value = module('locals {\n  x = <<EOT\n${oops\nEOT\n}\n').local("x", Span("main.tf", 1))
    assert isinstance(value, Unknown) and "unterminated" in value.origin


# --- names ---------------------------------------------------------------------------------


def test_variables():
    declarations = 'variable "with" {\n  default = "d"\n}\nvariable "without" {\n  type = string\n}'
    assert local("var.with", declarations) == "d"
    missing = local("var.without", declarations)
    assert missing == Unknown("var.without (no default)", missing.span)
    assert missing.span.line == 8  # where it is used
    undeclared = local("var.nope", declarations)
    assert undeclared.origin == "undeclared var.nope"
    assert undeclared.ref == "var.nope"


def test_locals_chain_and_cycles():
    declarations = 'locals {\n  a = "${local.b}-a"\n  b = upper(local.c)\n  c = "c"\n  loop = local.loop\n}'
    assert local("local.a", declarations) == "C-a"
    cycle = local("local.loop", declarations)
    assert isinstance(cycle, Unknown) and "refers to itself" in cycle.origin
    assert local("local.nope", declarations).origin == "undeclared local.nope"


def test_reference_keeps_the_span_of_the_literal_it_resolves_to():
    value = local("local.c", 'locals {\n  c = "value"\n}')
    assert value.span == Span("main.tf", 2, 7, 2, 14)


def test_opaque_names_are_unknown():
    assert local("count.index").origin == "count.index"
    assert local("each.value.name").origin == "each.value.name"
    assert local("terraform.workspace").origin == "terraform.workspace"
    assert local("path.module") == "."


def test_module_outputs_are_unknown():
    declarations = 'module "iam" {\n  source = "./iam"\n}'
    value = local("module.iam.role_arn", declarations)
    assert value.origin == "module.iam.role_arn"
    assert local("module.other.x", declarations).origin.startswith("undeclared module.other")


def test_caller_identity_partition_and_region_are_unknown():
    declarations = ('data "aws_caller_identity" "current" {}\ndata "aws_partition" "p" {}\n'
                    'data "aws_region" "r" {}')
    account = local("data.aws_caller_identity.current.account_id", declarations)
    assert account.origin == "data.aws_caller_identity.current.account_id"
    assert local("data.aws_partition.p.partition", declarations).origin == "data.aws_partition.p.partition"
    assert local("data.aws_region.r.name", declarations).origin == "data.aws_region.r.name"
    arn = local('"arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/x"', declarations)
    assert isinstance(arn, Partial) and arn.known_suffix == ":role/x"


PROVIDER = '''resource "aws_iam_openid_connect_provider" "gh" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}'''


def test_provider_url_is_scheme_less_and_names_the_provider():
    url = local("aws_iam_openid_connect_provider.gh.url", PROVIDER)
    assert url == "token.actions.githubusercontent.com"
    assert isinstance(url, Str) and url.ref == "aws_iam_openid_connect_provider.gh"
    assert url.span == Span("main.tf", 2, 20, 2, 65)
    key = local('"${aws_iam_openid_connect_provider.gh.url}:sub"', PROVIDER)
    assert key == "token.actions.githubusercontent.com:sub"
    stripped = local('replace(aws_iam_openid_connect_provider.gh.url, "https://", "")', PROVIDER)
    assert stripped == "token.actions.githubusercontent.com"


def test_provider_arn():
    arn = local("aws_iam_openid_connect_provider.gh.arn", PROVIDER)
    assert isinstance(arn, Partial)
    assert arn.ref == "aws_iam_openid_connect_provider.gh"
    assert arn.parts == ("arn:aws:iam::", Unknown("account id of aws_iam_openid_connect_provider.gh"),
                         ":oidc-provider/token.actions.githubusercontent.com")
    assert local("aws_iam_openid_connect_provider.gh.client_id_list", PROVIDER) == ["sts.amazonaws.com"]


def test_provider_with_unknown_url():
    declarations = 'variable "issuer" {}\nresource "aws_iam_openid_connect_provider" "x" {\n  url = var.issuer\n}'
    arn = local("aws_iam_openid_connect_provider.x.arn", declarations)
    assert isinstance(arn, Partial) and arn.known_prefix == "arn:aws:iam::"
    assert arn.parts[-1].origin == "var.issuer (no default)"
    url = local("aws_iam_openid_connect_provider.x.url", declarations)
    assert url.ref == "aws_iam_openid_connect_provider.x"


def test_undeclared_resource():
    value = local("aws_iam_openid_connect_provider.gh.arn")
    assert isinstance(value, Unknown)
    assert value.origin.startswith("undeclared aws_iam_openid_connect_provider.gh")
    assert value.ref == "aws_iam_openid_connect_provider.gh"


def test_eks_issuer_carries_the_scheme():
    declarations = 'resource "aws_eks_cluster" "main" {\n  name = "main"\n}'
    issuer = local("aws_eks_cluster.main.identity[0].oidc[0].issuer", declarations)
    assert isinstance(issuer, Partial) and issuer.ref == "aws_eks_cluster.main"
    assert issuer.parts == ("https://oidc.eks.", Unknown("region of aws_eks_cluster.main"),
                            ".amazonaws.com/id/", Unknown("OIDC id of aws_eks_cluster.main"))
    host = local('replace(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://", "")', declarations)
    assert host.known_prefix == "oidc.eks."
    trimmed = local('trimprefix(aws_eks_cluster.main.identity.0.oidc.0.issuer, "https://")', declarations)
    assert str(trimmed) == str(issuer).removeprefix("https://")
    # The unknown pieces may hold the scheme too: replaced there, they are new unknowns.
    assert [p if isinstance(p, str) else Unknown for p in host.parts] == \
        [p if isinstance(p, str) else Unknown for p in trimmed.parts]
    assert [p.origin for p in host.unknowns] == [
        "replace() of region of aws_eks_cluster.main", "replace() of OIDC id of aws_eks_cluster.main"]
    assert local("aws_eks_cluster.main.name", declarations) == "main"


def test_role_name_and_arn():
    declarations = ('resource "aws_iam_role" "ci" {\n  name = "ci"\n  path = "/deploy/"\n}\n'
                    'resource "aws_iam_role" "gen" {\n  name_prefix = "ci-"\n}')
    name = local("aws_iam_role.ci.name", declarations)
    assert name == "ci" and name.ref == "aws_iam_role.ci"
    assert local("aws_iam_role.ci.id", declarations).ref == "aws_iam_role.ci"
    arn = local("aws_iam_role.ci.arn", declarations)
    assert arn.parts == ("arn:aws:iam::", Unknown("account id of aws_iam_role.ci"), ":role/deploy/ci")
    assert arn.ref == "aws_iam_role.ci"
    generated = local("aws_iam_role.gen.name", declarations)
    assert isinstance(generated, Unknown) and generated.ref == "aws_iam_role.gen"


def test_policy_arn_and_other_attributes():
    declarations = 'resource "aws_iam_policy" "p" {\n  name = "deploy"\n  policy = "{}"\n}'
    arn = local("aws_iam_policy.p.arn", declarations)
    assert str(arn) == "arn:aws:iam::${account id of aws_iam_policy.p}:policy/deploy"
    assert arn.ref == "aws_iam_policy.p"
    assert local("aws_iam_policy.p.policy", declarations) == "{}"
    other = local("aws_iam_policy.p.tags_all", declarations)
    assert other.origin == "aws_iam_policy.p.tags_all" and other.ref == "aws_iam_policy.p"


def test_resource_with_count_is_indexable_and_splattable():
    declarations = 'resource "aws_iam_role" "r" {\n  count = 2\n  name = "r-${count.index}"\n}'
    name = local("aws_iam_role.r[1].name", declarations)
    assert name == "r-1" and name.ref == "aws_iam_role.r[1]"
    names = local("aws_iam_role.r[*].name", declarations)
    assert isinstance(names, LList) and names == ["r-0", "r-1"]
    unknown = 'variable "n" {}\nresource "aws_iam_role" "r" {\n  count = var.n\n' \
              '  name = "r-${count.index}"\n}'
    name = local("aws_iam_role.r[0].name", unknown)
    assert isinstance(name, Partial) and name.known_prefix == "r-"


# --- traversal, operators, for ----------------------------------------------------------


def test_index_attribute_and_splat():
    assert local('{ a = [{ b = "x" }, { b = "y" }] }.a[1].b') == "y"
    assert local('{ a = { "k.x" = 1 } }.a["k.x"]') == 1
    assert local('[{ b = 1 }, { b = 2 }][*].b') == [1, 2]
    assert local('[{ b = 1 }, { b = 2 }].*.b') == [1, 2]
    bad = local('[1][3]')
    assert isinstance(bad, Unknown) and "out of range" in bad.origin


def test_unknown_traversal_extends_its_origin():
    value = local("var.cfg.repos[0]", 'variable "cfg" {}')
    assert value.origin == "var.cfg (no default)"
    value = local("module.m.out.inner", 'module "m" {\n  source = "./m"\n}')
    assert value.origin == "module.m.out.inner"


def test_arithmetic_comparison_logic():
    assert local("1 + 2 * 3") == 7
    assert local("7 / 2") == 3.5
    assert local("(7 - 1) / 2") == 3
    assert local("7 % 4") == 3
    assert local('"5" + 1') == 6
    assert local('2 >= 2 && !(1 > 2)') is True
    assert local('"a" == "a" ? "y" : "n"') == "y"
    assert local('[1, "a"] == [1, "a"]') is True
    assert local("1 +\n  2") == 3


def test_unknown_operands():
    declarations = 'variable "n" {}'
    assert isinstance(local("var.n + 1", declarations), Unknown)
    assert local("false && var.n", declarations) is False
    assert local("true || var.n", declarations) is True
    assert isinstance(local("true && var.n", declarations), Unknown)


def test_conditional_on_unknown():
    declarations = 'variable "prod" {}'
    assert local('var.prod ? "x" : "x"', declarations) == "x"
    value = local('var.prod ? "a" : "b"', declarations)
    assert isinstance(value, Unknown) and "var.prod (no default)" in value.origin


def test_for_expressions():
    assert local('[for s in ["a", "b", "c"] : upper(s) if s != "b"]') == ["A", "C"]
    assert local('{ for k, v in { b = 1, a = 2 } : v => k }') == {"2": "a", "1": "b"}
    assert local('{ for s in ["x", "y", "x"] : s => s... }') == {"x": ["x", "x"], "y": ["y"]}
    assert local('[for i, v in ["a"] : "${i}:${v}"]') == ["0:a"]


def shape(value: object) -> object:
    """A value with ``UnknownElements`` written ``each(<element>)`` and unknown pieces ``?``."""
    if isinstance(value, UnknownElements):
        return ("each", shape(value.element))
    if isinstance(value, Partial):
        return "".join("?" if isinstance(p, Unknown) else p for p in value.parts)
    if isinstance(value, Unknown):
        return "?"
    if isinstance(value, dict):
        return {shape(k) if not isinstance(k, UnknownElements) else ("keys", shape(k.element)):
                shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return value


REPOS = 'variable "repos" {}\nvariable "more" {}\nvariable "flag" {}\nvariable "m" {}'


def test_for_over_a_collection_not_known_keeps_what_every_element_is():
    # Any number of elements (none included), each `repo:acme/<r>:*`.
    every = local('[for r in var.repos : "repo:acme/${r}:*"]', REPOS)
    assert shape(every) == [("each", "repo:acme/?:*")]
    element = every[0].element
    assert element.unknowns[0].origin == "var.repos[*] (no default)"
    # Known elements stay as they are; those not known follow, each of the body's shape.
    assert shape(local('[for s in concat(["a"], var.more) : "repo:acme/${s}:*"]', REPOS)) == \
        ["repo:acme/a:*", ("each", "repo:acme/?:*")]
    # Over a map: key and value both stand for any entry.
    assert shape(local('[for k, v in var.m : "repo:${k}/${v}:*"]', REPOS)) == \
        [("each", "repo:?/?:*")]
    # A filter not known may drop an element: what remains has the shape.
    assert shape(local('[for r in var.repos : "repo:acme/${r}:*" if r != "infra"]', REPOS)) == \
        [("each", "repo:acme/?:*")]
    assert shape(local('[for s in ["a", "b"] : "x/${s}" if var.flag]', REPOS)) == \
        [("each", "x/a"), ("each", "x/b")]
    assert local('[for r in var.repos : r if false]', REPOS) == []
    # Nested: a list of lists, each of any number of elements; flatten makes them one.
    nested = '[for r in var.repos : [for b in var.more : "repo:acme/${r}:ref:refs/heads/${b}"]]'
    assert shape(local(nested, REPOS)) == [("each", [("each", "repo:acme/?:ref:refs/heads/?")])]
    assert shape(local(f"flatten({nested})", REPOS)) == [("each", "repo:acme/?:ref:refs/heads/?")]
    pairs = 'flatten([for r in var.repos : ["repo:acme/${r}:ref:refs/heads/main", "x/${r}"]])'
    assert shape(local(pairs, REPOS)) == [("each", "repo:acme/?:ref:refs/heads/main"),
                                          ("each", "x/?")]
    # A for over the result of another.
    assert shape(local('[for r in [for q in var.repos : "o/${q}"] : "repo:${r}:*"]', REPOS)) \
        == [("each", "repo:o/?:*")]
    # A splat over them takes the attribute of each.
    assert shape(local('[for r in var.repos : { sub = "repo:acme/${r}" }][*].sub', REPOS)) == \
        [("each", "repo:acme/?")]
    # The body evaluated for every element fails: nothing is known of the elements, but the
    # list is still one of elements not known (Terraform would say so when it has them).
    assert shape(local('[for r in var.repos : [r][5]]', REPOS)) == [("each", None)]
    assert shape(local('[for r in var.repos : ["a"][r]]', REPOS)) == [("each", "a")]


def test_for_object_over_a_collection_not_known():
    made = local('{ for r in var.repos : r => "repo:acme/${r}:*" }', REPOS)
    assert shape(made) == {("keys", "?"): "repo:acme/?:*"}
    assert shape(local('values({ for r in var.repos : r => "repo:acme/${r}:*" })', REPOS)) == \
        [("each", "repo:acme/?:*")]
    assert shape(local('keys({ for r in var.repos : "k-${r}" => r })', REPOS)) == \
        [("each", "k-?")]
    assert shape(local('{ for s in ["a"] : s => s... if var.flag }', REPOS)) == \
        {("keys", "a"): [("each", "a")]}
    assert isinstance(local('lookup({ for r in var.repos : r => 1 }, "a", 0)', REPOS), Unknown)
    # Iterating over such a map stands for its entries.
    again = '[for k, v in { for r in var.repos : r => "x/${r}" } : "${k}=${v}"]'
    assert shape(local(again, REPOS)) == [("each", "?=x/?")]


def test_functions_of_lists_whose_length_is_not_known():
    every = '[for r in var.repos : "repo:acme/${r}:*"]'
    assert isinstance(local(f"length({every})", REPOS), Unknown)
    assert isinstance(local(f"one({every})", REPOS), Unknown)
    assert isinstance(local(f"element({every}, 0)", REPOS), Unknown)
    # What is known of every element decides `contains` when it rules the value out.
    assert local(f'contains({every}, "repo:other/x:*")', REPOS) is False
    assert isinstance(local(f'contains({every}, "repo:acme/x:*")', REPOS), Unknown)
    assert isinstance(local(f'contains(concat(["a"], {every}), "repo:acme/x:*")', REPOS), Unknown)
    # A list of only such elements may be empty: coalescelist cannot choose.
    assert isinstance(local(f'coalescelist({every}, ["b"])', REPOS), Unknown)
    assert shape(local(f'coalescelist(concat(["a"], {every}), ["b"])', REPOS)) == \
        ["a", ("each", "repo:acme/?:*")]
    # An unknown element may be null or "": none or one element after compact.
    assert shape(local('compact(["a", var.flag, ""])', REPOS)) == ["a", ("each", None)]
    # Where elements not known sort is not known: they come first, known ones in order.
    assert shape(local(f'sort(concat(["b", "a"], {every}))', REPOS)) == \
        [("each", "repo:acme/?:*"), "a", "b"]
    assert shape(local(f'reverse(concat(["a"], {every}))', REPOS)) == \
        [("each", "repo:acme/?:*"), "a"]
    assert shape(local(f'distinct(concat(["a", "a"], {every}))', REPOS)) == \
        ["a", ("each", "repo:acme/?:*")]
    assert local(f'slice(concat(["a", "b"], {every}), 0, 2)', REPOS) == ["a", "b"]
    assert shape(local(f'tolist(toset({every}))', REPOS)) == [("each", "repo:acme/?:*")]
    # join keeps the known items and puts one unknown piece where the others go.
    assert shape(local('join(",", concat(["a"], var.more, ["b"]))', REPOS)) == "a?,b"
    assert shape(local('join(",", concat(var.more, ["b"]))', REPOS)) == "?b"
    # A variable's type converts what is known of each element.
    typed = local("var.n", 'variable "n" {\n  type = list(string)\n  default = [for i in '
                  'var.repos : 5]\n}\nvariable "repos" {}')
    assert shape(typed) == [("each", "5")]


def test_set_functions():
    assert local('setunion(["repo:acme/api:ref:refs/heads/main"], [])') == \
        ["repo:acme/api:ref:refs/heads/main"]
    assert local('setunion(["b", "a"], ["a", "c"])') == ["a", "b", "c"]
    assert local('setintersection(["a", "b"], ["b", "c"], ["b"])') == ["b"]
    assert local('setsubtract(["a", "b"], ["b"])') == ["a"]
    # Mixed element types become the most general one: `3` and `"3"` are one element.
    assert local('setintersection(["bob", "jane", 3], ["jane", 3, "ajax"], ["3", "jane"])') \
        == ["3", "jane"]
    assert local('toset(["a", "b", 3])') == ["3", "a", "b"]
    objects = local('setunion([{ test = "x" }], [{ test = "x" }, { test = "y" }])')
    assert objects == [{"test": "x"}, {"test": "y"}]
    # Unknown sets: their elements are unknown in number; known ones stay.
    assert shape(local('setunion(["a"], var.more)', REPOS)) == [("each", None), "a"]
    # Membership not known: the element may be there (none or one of it).
    assert shape(local('setintersection(["a", "b"], var.more)', REPOS)) == \
        [("each", "a"), ("each", "b")]
    assert shape(local('setsubtract(["a", "x/1"], [for r in var.repos : "x/${r}"])', REPOS)) \
        == [("each", "x/1"), "a"]
    # ... unless what is known of the other set decides it.
    assert local('setintersection(["a", "b"], concat(["a"], [for r in var.repos : "x/${r}"]))',
                 REPOS) == ["a"]
    assert isinstance(local('setsubtract(var.more, ["a"])', REPOS), Unknown)


# --- functions ----------------------------------------------------------------------------


def test_string_functions():
    assert local('lower("AbC")') == "abc"
    assert local('upper("abc")') == "ABC"
    assert local('trimspace("  x \\n")') == "x"
    assert local('trimprefix("https://h", "https://")') == "h"
    assert local('trimsuffix("a.json", ".json")') == "a"
    assert local('startswith("repo:x", "repo:")') is True
    assert local('endswith("repo:x", ":y")') is False
    assert local('substr("hello", 1, 3)') == "ell"
    assert local('substr("hello", -3, -1)') == "llo"
    assert local('split(",", "a,b")') == ["a", "b"]
    assert local('join("/", ["a", "b"], ["c"])') == "a/b/c"
    assert local('tostring(12)') == "12"
    assert local('tonumber("12")') == 12
    assert local('title("hello world")') == "Hello World"


def test_replace_plain_and_regex():
    assert local('replace("a-b-c", "-", "+")') == "a+b+c"
    assert local('replace("https://h/x", "/^https:\\\\/\\\\//", "")') == "h/x"
    assert local('replace("v1.2", "/(\\\\d+)\\\\.(\\\\d+)/", "$2.$1")') == "v2.1"
    assert local('replace("ab", "/(?P<x>a)/", "[$${x}]")') == "[a]b"
    assert local('replace("a\\nb", "/b$/", "c")') == "a\nc"


def test_format_and_formatlist():
    assert local('format("%s:%s", "repo", "acme/*")') == "repo:acme/*"
    assert local('format("%05d|%-4s|%.2f|%t|%q|%%", 42, "ab", 3.14159, true, "q")') == \
        '00042|ab  |3.14|true|"q"|%'
    assert local('format("%[2]s-%[1]s", "a", "b")') == "b-a"
    assert local('format("%v", [1, "a"])') == '[1,"a"]'
    assert local('formatlist("repo:%s:*", ["a", "b"])') == ["repo:a:*", "repo:b:*"]
    value = local('format("repo:%s/%s:*", var.org, "api")', 'variable "org" {}')
    assert isinstance(value, Partial)
    assert value.parts[0] == "repo:" and value.parts[2] == "/api:*"
    bad = local('format("%s %s", "a")')
    assert isinstance(bad, Unknown) and "not enough arguments" in bad.origin


def test_collection_functions():
    assert local('concat(["a"], ["b", "c"])') == ["a", "b", "c"]
    assert local('element(["a", "b"], 3)') == "b"
    assert local('one(["x"])') == "x"
    assert local("one([])") is None
    assert local('tolist(["a"])') == ["a"]
    assert local('toset(["b", "a", "b"])') == ["a", "b"]  # a set of strings, in lexical order
    assert local('merge({ a = 1, b = 1 }, { b = 2 })') == {"a": 1, "b": 2}
    assert local('coalesce("", null, "x")') == "x"
    assert local('length(["a", "b"])') == 2
    assert local('length("abc")') == 3
    assert local('contains(["a", "b"], "b")') is True
    assert local('distinct(["a", "a", "b"])') == ["a", "b"]
    assert local('flatten([["a"], [["b"]], "c"])') == ["a", "b", "c"]
    assert local('keys({ b = 1, a = 2 })') == ["a", "b"]
    assert local('values({ b = 1, a = 2 })') == [2, 1]
    assert local('lookup({ a = "x" }, "a", "d")') == "x"
    assert local('lookup({ a = "x" }, "b", "d")') == "d"
    assert local('compact(["a", "", null])') == ["a"]
    assert local('concat([["a"], ["b"]]...)') == ["a", "b"]


def test_try_and_can():
    assert local('try({ a = 1 }.b, "fallback")') == "fallback"
    assert local('try({ a = 1 }.a, "fallback")') == 1
    assert local("can([][0])") is False
    assert local('can("x")') is True


def test_functions_keep_what_is_exactly_known():
    declarations = 'variable "more" {}\nvariable "org" {}'
    listed = local('concat(["a"], var.more)', declarations)
    assert listed[0] == "a" and isinstance(listed[1], UnknownElements)
    assert isinstance(local('length(concat(["a"], var.more))', declarations), Unknown)
    assert local('contains(concat(["a"], var.more), "a")', declarations) is True
    lowered = local('lower("REPO:${var.org}")', declarations)
    assert isinstance(lowered, Partial) and lowered.parts[0] == "repo:"
    assert lowered.parts[1].origin == "lower() of var.org (no default)"
    assert isinstance(local("split(\",\", var.org)", declarations), Unknown)
    assert isinstance(local("merge({ a = 1 }, var.more)", declarations), Unknown)
    joined = local('join(":", ["repo", var.org])', declarations)
    assert isinstance(joined, Partial) and joined.known_prefix == "repo:"


def test_unknown_functions_are_named():
    value = local('sha256("x")')
    assert value == Unknown("function sha256", value.span)
    provider = local('provider::aws::arn_parse("x")')
    assert provider.origin == "function provider::aws::arn_parse"


def test_trimprefix_on_partial():
    assert call("trimprefix", partial("https://h/", UNKNOWN), "https://").parts == ("h/", UNKNOWN)
    assert isinstance(call("trimprefix", partial("ht", UNKNOWN), "https://"), Unknown)
    unchanged = call("trimprefix", partial("oidc.", UNKNOWN), "https://")
    assert unchanged.parts == ("oidc.", UNKNOWN)
    assert isinstance(call("trimprefix", partial(UNKNOWN, "x"), "https://"), Unknown)


def test_startswith_on_partial():
    assert call("startswith", partial("repo:acme/", UNKNOWN), "repo:") is True
    assert call("startswith", partial("repo:acme/", UNKNOWN), "project:") is False
    assert isinstance(call("startswith", partial("re", UNKNOWN), "repo:"), Unknown)


def test_replace_on_partial_keeps_what_the_known_text_decides():
    # The scheme of an issuer whose workspace is left to fill in: the `/` after the
    # placeholder could end a `https://` begun in it, so it goes with the placeholder.
    url = partial("https://api.bitbucket.org/2.0/workspaces/", UNKNOWN, "/pipelines-config/oidc")
    host = call("replace", url, "https://", "")
    assert str(host) == ("api.bitbucket.org/2.0/workspaces/${replace() of var.org (no default)}"
                         "pipelines-config/oidc")
    assert str(call("replace", partial("oidc.circleci.com/org/", UNKNOWN), "https://", "")) == \
        "oidc.circleci.com/org/${replace() of var.org (no default)}"
    # A match that may straddle the edge of an unknown piece takes the known text with it.
    assert isinstance(call("replace", partial("https:/", UNKNOWN), "https://", ""), Unknown)
    assert call("replace", partial(UNKNOWN, ":x"), "::", ":").parts[1:] == ("x",)
    # (`//` is a regular expression, an empty one: it matches everywhere.)
    assert isinstance(call("replace", partial(UNKNOWN, ":x"), "//", ":"), Unknown)
    # Known text wholly inside a match that may run through it from both sides.
    assert isinstance(call("replace", partial(UNKNOWN, "tp", UNKNOWN), "https", ""), Unknown)
    # Searches from each place the stretch may be taken up at that never meet (every other
    # `aa`, one way or the other, for 100,000 characters): the stretch stays unsettled.
    assert isinstance(call("replace", partial(UNKNOWN, "a" * 100_001), "aa", "b"), Unknown)
    # One-character patterns never straddle; `$1` expands from the known match.
    assert call("replace", partial("{ab}:", UNKNOWN, ":{cd}"), "/({)|(})/", "").parts[::2] == \
        ("ab:", ":cd")
    assert call("replace", partial("a-b-", UNKNOWN), "/([a-z])-/", "${1}_").parts[0] == "a_b_"
    # Patterns that look around the match, may match nothing or without bound: unknown.
    for pattern in ["/^a/", "/a\\b/", "/x*/", "/a+/"]:
        assert isinstance(call("replace", partial("aaa", UNKNOWN), pattern, "-"), Unknown)
    # A replacement known in part goes in as it is.
    assert str(call("replace", "repo:ORG/*:*", "ORG", UNKNOWN)) == \
        "repo:${var.org (no default)}/*:*"
    assert str(call("replace", "ab", "", UNKNOWN)).count("${") == 3
    # An empty substring is inserted around every character (Go's strings.Replace).
    assert call("replace", "ab", "", "-") == "-a-b-"
    assert isinstance(call("replace", partial("ab", UNKNOWN), "", "-"), Unknown)
    assert str(call("replace", partial("ab", UNKNOWN), "", "")) == str(partial("ab", UNKNOWN))


def _fits(result: object, text: str) -> bool:
    """Whether ``text`` is among the strings ``result`` can be: its known parts as written,
    anything for each unknown piece."""
    if isinstance(result, Unknown):
        return True
    if isinstance(result, Partial):
        glob = "".join(".*" if isinstance(p, Unknown) else re.escape(p) for p in result.parts)
        return re.fullmatch(glob, text, re.DOTALL) is not None
    return str(result) == text


def _fits_list(result: list, texts: list[str]) -> bool:
    """Whether ``texts`` is among the lists ``result`` can be; ``UnknownElements`` stand for
    any number of any elements."""
    if not result:
        return not texts
    head, rest = result[0], result[1:]
    if isinstance(head, UnknownElements):
        return any(_fits_list(rest, texts[n:]) for n in range(len(texts) + 1))
    return bool(texts) and _fits(head, texts[0]) and _fits_list(rest, texts[1:])


_PIECES = st.text(alphabet="ab:/", max_size=5)
_PATTERNS = ["/a/", "/[ab]/", "/a:?/", "/(a)(b)/", "/a|ab/", "/ab|a/", "/[^a]b/", "/a{2}/",
             "/:/", "/b(:|//)a/"]


@settings(max_examples=400)
@given(pieces=st.lists(_PIECES, min_size=2, max_size=4),
       fillings=st.lists(st.text(alphabet="ab:/", max_size=5), min_size=3, max_size=3),
       search=st.one_of(st.text(alphabet="ab:/", min_size=1, max_size=3),
                        st.sampled_from(_PATTERNS)),
       replacement=st.sampled_from(["", "c", "$1", "dd"]))
def test_replace_on_partial_is_never_wrong(pieces, fillings, search, replacement):
    """Whatever the unknown pieces hold (the searched text too), the true result is one of
    the strings the partial result can be."""
    unknowns = [Unknown(f"var.u{i}") for i in range(len(pieces) - 1)]
    value = Partial(tuple(p for i, text in enumerate(pieces)
                          for p in ([text] + ([unknowns[i]] if i < len(unknowns) else []))
                          if p != ""))
    result = call("replace", value, search, replacement)
    filled = "".join(text + (fillings[i] if i < len(unknowns) else "")
                     for i, text in enumerate(pieces))
    assert _fits(result, str(call("replace", filled, search, replacement)))


@settings(max_examples=300)
@given(pieces=st.lists(_PIECES, min_size=2, max_size=4),
       fillings=st.lists(st.text(alphabet="ab:/", max_size=5), min_size=3, max_size=3),
       separator=st.text(alphabet="ab:/", min_size=1, max_size=2))
def test_split_on_partial_is_never_wrong(pieces, fillings, separator):
    unknowns = [Unknown(f"var.u{i}") for i in range(len(pieces) - 1)]
    value = Partial(tuple(p for i, text in enumerate(pieces)
                          for p in ([text] + ([unknowns[i]] if i < len(unknowns) else []))
                          if p != ""))
    result = call("split", separator, value)
    filled = "".join(text + (fillings[i] if i < len(unknowns) else "")
                     for i, text in enumerate(pieces))
    assert _fits_list(result, filled.split(separator))


def test_split_on_partial_keeps_the_elements_the_known_text_decides():
    elements = call("split", "/", partial("acme/api/", UNKNOWN, "/prod"))
    assert elements[:2] == ["acme", "api"] and isinstance(elements[2], UnknownElements)
    assert elements[3] == "prod"
    # The first element of a subject is known even though its end is not.
    assert call("split", ":", partial("repo:", UNKNOWN))[0] == "repo"
    assert isinstance(call("split", ":", UNKNOWN), Unknown)


# --- jsonencode ---------------------------------------------------------------------------


def test_jsonencode_keeps_the_located_value():
    value = local('jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow" }] })')
    assert isinstance(value, Encoded)
    assert value == '{"Statement":[{"Effect":"Allow"}],"Version":"2012-10-17"}'
    assert isinstance(value.decoded, LDict)
    assert value.decoded["Statement"][0]["Effect"].span.line == 3


def test_jsonencode_renders_unknowns():
    value = local('jsonencode({ sub = "repo:${var.org}/*" })', 'variable "org" {}')
    assert value == '{"sub":"repo:${var.org (no default)}/*"}'
    assert isinstance(value.decoded["sub"], Partial)


def test_jsondecode_of_heredoc():
    value = local('jsondecode(<<EOT\n{"a": ["b"]}\nEOT\n)')
    assert value == {"a": ["b"]}


# --- robustness ----------------------------------------------------------------------------


def test_deep_nesting_is_unknown_not_a_crash_and_said():
    mod = module("locals {\n  x = " + "[" * 400 + "]" * 400 + "\n}\n")
    value = mod.local("x", Span("main.tf", 1))
    assert isinstance(value, Unknown) and "nested more than 160 levels deep" in value.origin
    [(span, message)] = mod.problems
    assert (span.line, span.column) == (2, 7)
    assert message == "x: nested more than 160 levels deep; not evaluated"


@pytest.mark.parametrize("expression", [
    "lower(" * 100 + '"repo:*"' + ")" * 100,
    "(" * 1000 + '"repo:*"' + ")" * 1000,
    "9" * 5000,
])
def test_try_never_takes_its_fallback_for_an_expression_past_a_limit(expression):
    # Terraform would evaluate the first argument; the fallback is not what it deploys.
    value = local(f'try({expression}, "repo:acme/api:*")')
    assert isinstance(value, Unknown) and "not evaluated" in value.origin
    assert isinstance(local(f"can({expression})"), Unknown)


def test_a_number_too_long_to_convert_is_unknown_and_said():
    mod = module("locals {\n  x = " + "9" * 5000 + "\n  y = 1" + "0" * 4299 + "\n}\n")
    assert isinstance(mod.local("x", Span("main.tf", 1)), Unknown)
    assert mod.local("y", Span("main.tf", 1)) == 10 ** 4299
    [(_, message)] = mod.problems
    assert message == "x: a number with more than 4,300 digits; not evaluated"


def test_long_chain_of_locals_is_unknown_not_a_crash():
    chain = "\n".join(f"  l{i} = local.l{i + 1}" for i in range(600)) + '\n  l600 = "end"'
    value = local("local.l0", f"locals {{\n{chain}\n}}")
    assert isinstance(value, Unknown)
    assert local("local.l590", f"locals {{\n{chain}\n}}") == "end"


def test_evaluate_source_without_module():
    assert evaluate_source('upper("x")') == "X"
    assert isinstance(evaluate_source("var.x", Environment()), Unknown)


# --- RE2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern, text, expected", [
    (r"^https://", "https://x", True),
    (r"x$", "x\n", False),            # RE2 $ is the end of the text
    (r"(?m)x$", "x\ny", True),
    (r"[[:digit:]]+\z", "ab12", True),
    (r"\Qa.b\E", "aXb", False),
    (r"\x{41}", "A", True),
    (r"(?<name>a)", "a", True),
    (r"a{,2}", "a{,2}", True),       # not a repetition in RE2
    (r"\d", "\u0663", False),         # Perl classes are ASCII
])
def test_re2_translation(pattern, text, expected):
    assert bool(compile_re2(pattern).search(text)) is expected


@pytest.mark.parametrize("pattern, error", [
    (r"(a)\1", InvalidPattern), (r"(?=a)", InvalidPattern), (r"\pL", Unsupported),
    (r"(?U)a+", Unsupported), (r"a(?i)b", Unsupported),
])
def test_re2_rejections(pattern, error):
    with pytest.raises(error):
        compile_re2(pattern)


def test_re2_repetition_counts_above_1000_are_invalid():
    with pytest.raises(InvalidPattern, match="above 1000"):
        compile_re2("a{1001}")
    with pytest.raises(InvalidPattern):
        compile_re2("a{2,1001}")
    assert compile_re2("a{2,1000}").search("aa")
    assert compile_re2(r"\x41\x{42}").search("AB")  # two hex digits are one character
    with pytest.raises(InvalidPattern):
        compile_re2(r"\x4")


# Patterns that make a backtracking matcher take exponential (or high polynomial) time on a
# text like the one given (here short enough for Python to finish anyway, should the guard
# fail; the last test makes them long). RE2 takes linear time on them; the translation
# refuses to run them.
CATASTROPHIC = [
    ("^(a+)+$", "a" * 18 + "b"),
    ("([a-zA-Z]+)*$", "a" * 18 + "1"),
    ("(a|aa)+$", "a" * 20 + "b"),
    ("(a|a?)+$", "a" * 18 + "b"),
    ("(.*a){12}", "a" * 20),
    (r"^(\w+\s?)*$", "word " * 4 + "!"),
    ("(x+x+)+y", "x" * 18),
    (r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|"
     r"([a-z]{2,3}[.]{1}[a-z]{2,3}))$", "a" * 18 + "!"),
    ("(.*)(.*)(.*)(.*)(.*)x", "a" * 30),
    ("a*a*a*a*a*a*a*b", "a" * 20),
    (r"(\d+)*$", "1" * 18 + "x"),
]


@pytest.mark.parametrize("pattern, text", CATASTROPHIC)
def test_catastrophic_backtracking_gives_an_unknown_value(pattern, text):
    for expression in (f'regexall("{pattern}", "{text}")', f'regex("{pattern}", "{text}")',
                       f'replace("{text}", "/{pattern}/", "z")'):
        value = local(expression.replace("\\", "\\\\"))
        assert isinstance(value, Unknown), (expression, value)


@pytest.mark.parametrize("pattern, text, expected", [
    (r"arn:aws:iam::(\d+):role/(.+)", "arn:aws:iam::123456789012:role/ci/" + "x" * 500,
     ["123456789012", "ci/" + "x" * 500]),
    (r"^([a-z0-9-]+\.)*[a-z]+$", "oidc.eks." * 200 + "com", ["eks."]),
    (r"(?i)^https://([^/]+)", "HTTPS://token.actions.githubusercontent.com/x",
     ["token.actions.githubusercontent.com"]),
    (r"(a|b)*c", "ab" * 100 + "c", ["b"]),
])
def test_ordinary_patterns_still_run_on_ordinary_texts(pattern, text, expected):
    [match] = compile_re2(pattern).finditer(text)
    assert [g for g in match.groups()] == expected


def test_a_long_text_is_searched_when_its_runs_keep_the_bound_low():
    # One whitespace character at a time over a megabyte: the closer estimate (runs of each
    # repeated class, characters that can start a match) lets it run.
    text = " a" * 500_000
    assert compile_re2(r"\s+").steps(text) < 5_000_000
    assert compile_re2(r"\s+").sub("", text) == "a" * 500_000


def test_refusal_says_why():
    with pytest.raises(TooSlow, match=r"the pattern `\^\(a\+\)\+\$` could backtrack for more "
                       "than 20,000,000 steps on a text of 41 characters"):
        list(compile_re2("^(a+)+$").finditer("a" * 40 + "b"))
    value = local('regexall("^(a+)+$", "%sb")' % ("a" * 40))
    assert isinstance(value, Unknown) and value.origin.startswith(
        "regexall(): the pattern `^(a+)+$` could backtrack")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab.*+?|()[]^$\\{},0123dw:-", max_size=14),
       st.text(alphabet="ab:-1 ", max_size=30))
def test_any_pattern_is_refused_or_run_within_its_bound(pattern, text):
    """Whatever the pattern, the translator either refuses it or gives a pattern whose search
    is bounded, and a bounded search finds what Python finds with the same expression."""
    try:
        compiled = compile_re2(pattern)
    except (InvalidPattern, Unsupported):
        return
    assert compiled.steps(text) >= len(text)
    try:
        found = [m.span() for m in compiled.finditer(text)]
    except TooSlow:
        assert compiled.steps(text) > 20_000_000
        return
    assert found == [m.span() for m in compiled.compiled.finditer(text)]


def test_catastrophic_patterns_finish_on_long_texts():
    # Every pattern above, on texts up to 100,000 characters, in a process of its own: each
    # search either runs (its bound allows it) or is refused; none hangs.
    program = "\n".join([
        "from oidclint.iam.re2 import TooSlow, compile_re2",
        f"cases = {CATASTROPHIC!r}",
        "for pattern, text in cases:",
        "    for n in (10, 30, 100, 1000, 100_000):",
        "        sample = (text * (n // len(text) + 1))[:n] + text[-1]",
        "        try:",
        "            list(compile_re2(pattern).finditer(sample))",
        "        except TooSlow:",
        "            pass",
        "print('done')",
    ])
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=300)
    assert done.stdout == "done\n", done.stderr


def test_go_replacement_templates():
    match = re.search(r"(?P<host>[a-z]+)/(\d+)", "abc/12")
    assert expand_template("${host}-$2-$$-$2x-${9}-$", match) == "abc-12-$--" + "-$"


def test_module_reads_files_beside_it(tmp_path: Path):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "trust.json").write_text('{"a": 1}\n')
    mod = Module("infra", parse_file('locals {\n  t = file("${path.module}/trust.json")\n}\n',
                                     "infra/main.tf"), tmp_path)
    value = mod.local("t", Span("infra/main.tf", 1))
    assert value == '{"a": 1}\n'
    assert value.span.path == "infra/trust.json"
    outside = Module("infra", parse_file('locals {\n  t = file("../../etc/passwd")\n}\n',
                                         "infra/main.tf"), tmp_path)
    assert isinstance(outside.local("t", Span("infra/main.tf", 1)), Unknown)


def test_values_that_double_at_every_step_are_refused():
    doubling = "\n".join(f"  l{i + 1} = [local.l{i}, local.l{i}]" for i in range(40))
    value = local("jsonencode(local.l40)", f'locals {{\n  l0 = ["x"]\n{doubling}\n}}')
    assert "a list with more than 200,000 elements" in str(value)  # an inner local gave up
    strings = "\n".join(f'  s{i + 1} = "${{local.s{i}}}${{local.s{i}}}"' for i in range(40))
    value = local("local.s40", f'locals {{\n  s0 = "ab"\n{strings}\n}}')
    assert isinstance(value, (Unknown, Partial)) and "10,000 unknown pieces" in str(value)
    value = local("local.s19", f'locals {{\n  s0 = "ab"\n{strings}\n}}')
    assert isinstance(value, Unknown) and "longer than" in value.origin


def test_infinite_numbers_are_unknown():
    assert isinstance(local('format("%d", 1e400)'), Unknown)


# --- Terraform's type conversions ----------------------------------------------------------

@pytest.mark.parametrize("declared, given, expected", [
    ("string", "true", "true"),            # a bool passed to a string variable
    ("string", "2500", "2500"),
    ("string", "1.5", "1.5"),
    ("number", '"5"', 5),
    ("number", '"2.5"', 2.5),
    ("bool", '"false"', False),
    ("list(string)", "[1, true]", ["1", "true"]),
    ("set(string)", '["b", "a", "b"]', ["a", "b"]),
    ("map(string)", "{ a = 1 }", {"a": "1"}),
    ("tuple([string, number])", '[true, "3"]', ["true", 3]),
    ('object({ name = string, admin = optional(bool, false) })', '{ name = 7, extra = 1 }',
     {"name": "7", "admin": False}),
    ("list(object({ sa = string }))", "[{ sa = 1 }]", [{"sa": "1"}]),
    ("any", "true", True),
    ('"string"', "3", "3"),                # Terraform 0.11's quoted form
])
def test_variables_receive_values_converted_to_their_type(declared, given, expected):
    from oidclint.hcl.values import plain

    for source in (f"variable \"v\" {{\n  type = {declared}\n}}\n",):
        mod = Module(".", parse_file(source + f"locals {{\n  x = var.v\n}}\n", "main.tf"),
                     inputs={"v": evaluate_source(given)})
        assert plain(mod.local("x", Span("main.tf", 1))) == expected
        defaulted = module(f"variable \"v\" {{\n  type = {declared}\n  default = {given}\n}}\n"
                           "locals {\n  x = var.v\n}\n")
        assert plain(defaulted.local("x", Span("main.tf", 1))) == expected


@pytest.mark.parametrize("declared, given", [
    ("bool", '"yes"'), ("number", "true"), ("string", "[1]"), ("list(string)", '"a"'),
    ('object({ name = string })', "{ other = 1 }"), ("tuple([string])", '["a", "b"]'),
])
def test_a_value_terraform_cannot_convert_is_unknown(declared, given):
    value = local("var.v", f"variable \"v\" {{\n  type = {declared}\n  default = {given}\n}}\n")
    assert isinstance(value, Unknown) and "Terraform rejects the value" in value.origin


def test_a_partly_known_string_stays_partly_known_and_is_not_a_bool():
    declarations = 'variable "org" {}\nvariable "s" {\n  type = string\n  default = "${var.org}/x"\n}\n'
    assert isinstance(local("var.s", declarations), Partial)
    declarations = declarations.replace("type = string", "type = bool")
    assert isinstance(local("var.s", declarations), Unknown)


def test_equality_converts_nothing():
    """`true == "true"` is false: `==` needs the same type (the operators page); a bool
    passed to a string variable is converted at the variable, so there it is `"true"`."""
    assert local('true == "true"') is False
    assert local('1 == "1"') is False
    template = '"%{ if var.flag == "true" }repo:acme/api:*%{ else }repo:acme/api:ref:refs/heads/main%{ endif }"'
    typed = 'variable "flag" {\n  type = string\n  default = true\n}\n'
    untyped = 'variable "flag" {\n  default = true\n}\n'
    assert local(template, typed) == "repo:acme/api:*"
    assert local(template, untyped) == "repo:acme/api:ref:refs/heads/main"


def test_module_inputs_are_converted_to_the_called_module_s_types(tmp_path):
    """A bool passed to a module's string variable arrives as "true": the template inside
    the module then compares strings."""
    from oidclint.terraform_roots import parse_terraform
    from oidclint.source import SourceFile

    files = {
        "main.tf": 'module "role" {\n  source = "./role"\n  allow_pull_requests = true\n'
                   '  max_session = "7200"\n}\n',
        "role/main.tf": '''\
variable "allow_pull_requests" {
  type = string
}
variable "max_session" {
  type = number
}
resource "aws_iam_role" "this" {
  name                 = "deploy"
  max_session_duration = var.max_session + 0
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = { StringLike = {
        "token.actions.githubusercontent.com:sub" = "%{ if var.allow_pull_requests == "true" }repo:acme/api:*%{ else }repo:acme/api:ref:refs/heads/main%{ endif }"
      } }
    }]
  })
}
''',
    }
    sources = []
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
        sources.append(SourceFile(name, tmp_path / name, text, "terraform"))
    role, = parse_terraform(sources).roles
    assert role.max_session_duration == 7200
    condition, = role.trust.statements[0].conditions
    assert condition.values == ["repo:acme/api:*"]


def test_the_instances_of_a_resource_as_a_value():
    """`for_each = aws_x.this` (a `dynamic` block, a `for`) iterates the instances: a list by
    `count.index`, a map by `each.key`, each an object whose attributes are read as known."""
    mod = module('''
resource "aws_iam_openid_connect_provider" "counted" {
  count = 2
  url   = "https://gitlab.com"
}
resource "aws_iam_openid_connect_provider" "keyed" {
  for_each = toset(["b.example", "a.example"])
  url      = "https://${each.key}"
}
variable "n" {}
resource "aws_iam_openid_connect_provider" "unknown" {
  count = var.n
  url   = "https://gitlab.com"
}
locals {
  counted = [for p in aws_iam_openid_connect_provider.counted : p.url]
  keyed   = { for k, p in aws_iam_openid_connect_provider.keyed : k => p.url }
  arns    = [for p in aws_iam_openid_connect_provider.keyed : p.arn]
  unknown = [for p in aws_iam_openid_connect_provider.unknown : p.url]
}
''')
    span = Span("main.tf", 1)
    assert mod.local("counted", span) == ["gitlab.com", "gitlab.com"]
    assert mod.local("keyed", span) == {"a.example": "a.example", "b.example": "b.example"}
    arn = mod.local("arns", span)[0]
    assert isinstance(arn, Partial) and str(arn).endswith(":oidc-provider/a.example")
    # How many instances is not known: any number of them, each as configured.
    assert shape(mod.local("unknown", span)) == [("each", "gitlab.com")]


def test_one_document_joined_alone_keeps_its_located_value():
    joined = local('join("", [jsonencode({ Version = "2012-10-17" })])')
    assert isinstance(joined, Encoded) and joined.decoded == {"Version": "2012-10-17"}
    two = local('join("", [jsonencode({ a = 1 }), jsonencode({ b = 2 })])')
    assert two == '{"a":1}{"b":2}' and not isinstance(two, Encoded)
    assert local('join("", [])') == ""


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["a", "b", "ab", ":", "$x"]), min_size=1, max_size=5),
       st.text(alphabet="ab:", max_size=6))
def test_a_value_said_never_equal_is_not_whatever_its_unknown_pieces(pieces, wanted):
    """``may_equal`` False is a certainty: no text in the unknown pieces makes it equal."""
    from oidclint.hcl.values import may_equal
    value = Partial(tuple(Unknown(p) if p == "$x" else p for p in pieces)) \
        if "$x" in pieces else "".join(pieces)
    if may_equal(value, wanted):
        return
    for filling in ["", "a", "b", "ab", ":", "ba:"]:
        assert "".join(filling if p == "$x" else p for p in pieces) != wanted


def _statements_over(urls: str, tmp_path) -> list:
    """The trust statements a `dynamic "statement"` over the list ``urls`` generates."""
    from oidclint.terraform_roots import parse_terraform
    from oidclint.source import SourceFile
    text = f'''
variable "org" {{}}
variable "other" {{}}
data "aws_iam_policy_document" "this" {{
  dynamic "statement" {{
    for_each = {urls}
    content {{
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {{
        type        = "Federated"
        identifiers = ["arn:aws:iam::123456789012:oidc-provider/${{statement.value}}"]
      }}
    }}
  }}
}}
resource "aws_iam_role" "this" {{
  assume_role_policy = data.aws_iam_policy_document.this.json
}}
'''
    (tmp_path / "main.tf").write_text(text)
    role, = parse_terraform([SourceFile("main.tf", tmp_path / "main.tf", text, "terraform")]).roles
    return role.trust.statements


def test_a_dynamic_block_over_elements_known_in_part_makes_one_block_each(tmp_path):
    """A list (or set) whose elements are known only in part still has a known number of
    elements when no two of them can be equal: one block each, its iterator value as known
    as the element."""
    two = _statements_over('["oidc.circleci.com/org/${var.org}", "gitlab.com"]', tmp_path)
    assert [s.unknown for s in two] == [None, None]
    first = two[0].principals["Federated"][0]
    assert isinstance(first, Partial) and first.known_prefix.endswith("org/")
    assert two[1].principals["Federated"] == ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    # `toset` of two values that may be the same one may hold a single element: not known.
    for urls in ['toset(["oidc.circleci.com/org/${var.org}", "oidc.circleci.com/org/x"])',
                 '[var.org, var.other]']:
        statement, = _statements_over(urls, tmp_path)
        assert statement.unknown is not None


@settings(max_examples=300)
@given(pieces=st.lists(st.text(alphabet="aB:/", max_size=4), min_size=2, max_size=3),
       fillings=st.lists(st.text(alphabet="aB:/", max_size=4), min_size=2, max_size=2),
       function=st.sampled_from(["trimprefix", "trimsuffix", "lower", "upper"]),
       argument=st.text(alphabet="aB:/", max_size=3))
def test_string_functions_on_partial_are_never_wrong(pieces, fillings, function, argument):
    """What ``trimprefix``, ``trimsuffix``, ``lower`` and ``upper`` keep of a string known in
    part holds whatever its unknown pieces hold."""
    unknowns = [Unknown(f"var.u{i}") for i in range(len(pieces) - 1)]
    value = Partial(tuple(p for i, text in enumerate(pieces)
                          for p in ([text] + ([unknowns[i]] if i < len(unknowns) else []))
                          if p != ""))
    args = [value] if function in ("lower", "upper") else [value, argument]
    filled = "".join(text + (fillings[i] if i < len(unknowns) else "")
                     for i, text in enumerate(pieces))
    assert _fits(call(function, *args), str(call(function, filled, *args[1:])))
