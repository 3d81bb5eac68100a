"""Terraform's type conversions: variables and module inputs converted to their declared
types, and equality that converts nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.hcl.evaluate import evaluate_source
from oidclint.hcl.module import Module
from oidclint.hcl.syntax import parse_file
from oidclint.source import Partial, Span, Unknown
from hcl_evaluate_helpers import local, module


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
