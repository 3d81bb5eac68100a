"""Hostile input, generated: what the parsers and evaluators may do with anything they are given.

The other property tests check meaning (a glob against a reference matcher, a workflow's
subjects); these check the contract every reader of untrusted files keeps: a value, an
``Unknown`` or a diagnostic, quickly, and never an exception. Inputs that once broke that
contract (found by ``fuzz/fuzz_parsers.py``) are kept at the end as regression tests.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from oidclint.engine import all_rules, run_rules
from oidclint.graph import TrustGraph
from oidclint.parsing import parse
from oidclint.hcl.evaluate import evaluate_source
from oidclint.hcl.functions import FUNCTIONS
from oidclint.hcl.module import Module
from oidclint.hcl.syntax import parse_file
from oidclint.hcl.values import EvalError
from oidclint.iam.catalog import ISSUERS, Field
from oidclint.iam.patterns import Pattern
from oidclint.model import Inventory
from oidclint.readers.cloudformation.intrinsics import Resolver
from oidclint.located.documents import load_documents
from oidclint.source import SourceFile, Span

# Slow is a finding too (a value that doubles at every step, a regex that backtracks), but a
# loaded CI machine must not make it flaky: the deadline is far above a normal example's time.
QUICKLY = timedelta(seconds=5)

# --- HCL expressions ---------------------------------------------------------------------

_NAMES = ["var.org", "var.repos", "var.missing", "local.subject", "local.self", "each.key",
          "each.value", "count.index", "path.module", "aws_iam_role.r.arn", "data.x.y.z", "x"]
_HCL_LEAVES = st.one_of(
    st.integers(-3, 10).map(str),
    st.sampled_from(["0.5", "1e400", "-1e400", "1e17", "true", "false", "null", '""', '"a"',
                     '"repo:acme/*"', '"\\u00e9\\n"', '"$${x}"', '"%%{x}"', '"*"', '"a,b"',
                     '"^re(g)?$"', '"(["', '"%s-%d"', '"%v %#v"', '"sts.amazonaws.com"']),
    st.sampled_from(_NAMES),
)
_BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]
_FUNCTION_NAMES = sorted(FUNCTIONS) + ["try", "can", "file", "templatefile", "jsondecode",
                                       "nosuchfunction"]


def _call(name: str, args: list[str]) -> str:
    return f"{name}({', '.join(args)})"


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    args = st.lists(inner, max_size=4)
    return st.one_of(
        st.builds(_call, st.sampled_from(_FUNCTION_NAMES), args),
        st.builds(lambda items: f"[{', '.join(items)}]", args),
        st.builds(lambda pairs: "{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}",
                  st.lists(st.tuples(st.sampled_from(["a", '"b"', "(local.subject)", "sub"]), inner),
                           max_size=3)),
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(_BINARY), inner),
        st.builds(lambda op, a: f"{op}{a}", st.sampled_from(["-", "!"]), inner),
        st.builds(lambda a: f"({a})", inner),
        st.builds(lambda c, a, b: f"{c} ? {a} : {b}", inner, inner, inner),
        st.builds(lambda a, i: f"{a}[{i}]", inner, inner),
        st.builds(lambda a, name: f"{a}.{name}", inner, st.sampled_from(["arn", "key", "0"])),
        st.builds(lambda a, splat: f"{a}{splat}", inner, st.sampled_from(["[*].arn", ".*.id", "[*]"])),
        st.builds(lambda c, body, cond: f"[for v in {c} : {body}{cond}]", inner,
                  st.sampled_from(["v", "upper(v)", '"${v}:*"']),
                  st.sampled_from(["", " if v != null", " if length(v) > 0"])),
        st.builds(lambda c, body, group: f"{{for k, v in {c} : k => {body}{group}}}", inner,
                  st.sampled_from(["v", '"${k}/${v}"', "[v]"]), st.sampled_from(["", "..."])),
        st.builds(lambda a, b: f'"x${{{a}}}y${{{b}}}"', inner, inner),
        st.builds(lambda c, a: f'"%{{ if {c} }}{a}%{{ else }}z%{{ endif }}"', inner,
                  st.sampled_from(["a", "${var.org}", "%{ if true }n%{ endif }"])),
        st.builds(lambda c: f'"%{{ for i, v in {c} ~}}${{i}}=${{v}},%{{ endfor }}"', inner),
        st.builds(lambda a: f"<<-EOT\n  ${{{a}}}\n  EOT\n", inner),
    )


HCL_EXPRESSIONS = st.recursive(_HCL_LEAVES, _compound, max_leaves=12)

DECLARATIONS = """\
variable "org" { default = "acme" }
variable "repos" { default = ["api", "web"] }
variable "missing" {}
locals {
  subject = "repo:${var.org}/*"
  self    = local.self
}
"""

# What ``Module.value`` turns into an ``Unknown`` (an expression Terraform would reject); the
# evaluator itself may raise these and nothing else.
DOCUMENTED = (EvalError, RecursionError, ArithmeticError, ValueError)


def _parses(expression: str) -> bool:
    try:
        parse_file(f"value = {expression}\n", "expression.tf")
    except (LarkError, RecursionError):
        return False
    return True


@settings(max_examples=200, deadline=QUICKLY, suppress_health_check=[HealthCheck.too_slow])
@given(HCL_EXPRESSIONS)
def test_any_expression_evaluates_to_a_value_or_a_documented_error(expression):
    assume(_parses(expression))
    try:
        evaluate_source(expression)
    except DOCUMENTED:
        pass


@settings(max_examples=200, deadline=QUICKLY, suppress_health_check=[HealthCheck.too_slow])
@given(HCL_EXPRESSIONS)
def test_any_expression_in_a_module_is_a_value_or_unknown(expression):
    text = f"{DECLARATIONS}locals {{\n  x = {expression}\n}}\n"
    try:
        blocks = parse_file(text, "main.tf")
    except (LarkError, RecursionError):
        assume(False)
    module = Module(".", blocks)
    module.local("x", Span("main.tf", 1))  # never raises: bad expressions become Unknown


# --- CloudFormation intrinsics over random Parameters, Conditions and Mappings --------------

_CFN_NAMES = ["P", "L", "c", "d", "M", "R", "AWS::Region", "AWS::NoValue", "nope"]
_CFN_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 5),
    st.sampled_from(["P", "L", "c", "M", "k", "v", "R.Arn", "${P}", "${R.Arn}-${AWS::Region}", "${!x}",
                     '{"Statement": [{"Effect": "Allow", "Principal": {"Federated": "${P}"}}]}',
                     '{"a": ${L}}', '{"${P}": 1}', '{"a": [', "", ","]),
)
_CFN_FUNCTIONS = ["Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If",
                  "Fn::FindInMap", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition",
                  "Fn::ToJsonString", "Fn::Length", "Fn::Base64"]
CFN_EXPRESSIONS = st.recursive(
    _CFN_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.builds(lambda name, arg: {name: arg}, st.sampled_from(_CFN_FUNCTIONS), inner),
        st.builds(lambda text, names: {"Fn::Sub": [text, names]}, inner,
                  st.dictionaries(st.sampled_from(_CFN_NAMES), inner, max_size=2)),
        st.dictionaries(st.sampled_from(["Statement", "Condition", "a", "Ref"]), inner, max_size=2),
    ),
    max_leaves=15,
)
_SECTIONS = st.fixed_dictionaries({}, optional={
    "Parameters": st.dictionaries(st.sampled_from(["P", "L"]), st.one_of(
        st.fixed_dictionaries({"Type": st.sampled_from(["String", "CommaDelimitedList", "Number",
                                                         "List<String>", "Bogus"])},
                              optional={"Default": CFN_EXPRESSIONS}),
        CFN_EXPRESSIONS), max_size=2) | CFN_EXPRESSIONS,
    "Conditions": st.dictionaries(st.sampled_from(["c", "d"]), CFN_EXPRESSIONS, max_size=2)
    | CFN_EXPRESSIONS,
    "Mappings": st.dictionaries(st.sampled_from(["M", "N"]), st.dictionaries(
        st.sampled_from(["k", "123", "P"]), st.dictionaries(st.sampled_from(["v", "w"]), CFN_EXPRESSIONS,
                                                            max_size=2) | CFN_EXPRESSIONS,
        max_size=2) | CFN_EXPRESSIONS, max_size=2) | CFN_EXPRESSIONS,
})


@settings(max_examples=200, deadline=QUICKLY, suppress_health_check=[HealthCheck.too_slow])
@given(_SECTIONS, CFN_EXPRESSIONS)
def test_any_expression_over_any_sections_resolves_without_raising(sections, expression):
    template = {**sections, "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}},
                "Test": expression}
    text = json.dumps(template, indent=1)
    document = load_documents(text, "t.json", json_mode=True)[0]
    resolver = Resolver(document, SourceFile("t.json", Path("t.json"), text))
    resolver.resolve(document["Test"])
    resolver.json_value(document["Test"])
    for name in ("c", "d", "nope"):
        assert resolver.condition(name) in (True, False, None)
    assert all(isinstance(message, str) for _, message in resolver.problems)


# --- IAM patterns: shapes agree with matching ---------------------------------------------


def fields_of(subject: str, grammar) -> dict[str, str] | None:
    """A reference reading of a concrete subject by a grammar: its fields, or ``None``."""
    regex = "".join(re.escape(p) if isinstance(p, str) else
                    (f"(?P<f{i}>[^{re.escape(p.stop)}]+)" if p.stop else f"(?P<f{i}>.+)")
                    for i, p in enumerate(grammar.parts))
    match = re.fullmatch(regex, subject, re.DOTALL)
    if match is None or any(p.values and match[f"f{i}"] not in p.values
                            for i, p in enumerate(grammar.parts) if isinstance(p, Field)):
        return None
    return {p.name: match[f"f{i}"] for i, p in enumerate(grammar.parts) if isinstance(p, Field)}


def _pattern_pieces(grammar) -> list[str]:
    literals = [p for p in grammar.parts if isinstance(p, str)]
    values = [v for p in grammar.parts if isinstance(p, Field) for v in p.values]
    return literals + values + ["acme", "api", "main", "*", "?", "a*", "*a", "/", ":", "x"]


@st.composite
def patterns_and_subjects(draw):
    issuer = draw(st.sampled_from([i for i in ISSUERS if i.grammar is not None]))
    grammar = issuer.grammar
    pieces = draw(st.lists(st.sampled_from(_pattern_pieces(grammar)), min_size=1, max_size=8))
    if draw(st.booleans()):  # half of them start like a subject of this issuer
        pieces = [grammar.parts[0] if isinstance(grammar.parts[0], str) else ""] + pieces
    text = "".join(pieces)
    # Subjects the pattern matches: each wildcard filled in; some fillings hold separators.
    fill = st.sampled_from(["", "acme", "a/b", "x:y", "evil", "/", ":"])
    subjects = []
    for _ in range(3):
        subject = "".join(draw(fill) if c == "*" else draw(st.sampled_from("a/:x")) if c == "?"
                          else c for c in text)
        subjects.append(subject)
    return issuer, text, subjects


@settings(max_examples=200, deadline=QUICKLY)
@given(patterns_and_subjects())
def test_an_exact_field_holds_in_every_subject_the_pattern_matches(case):
    issuer, text, subjects = case
    pattern = Pattern(text)
    shape = pattern.shape(issuer.grammar)
    for subject in subjects:
        assert pattern.matches(subject)
        fields = fields_of(subject, issuer.grammar)
        if shape is None or fields is None:
            continue
        # Fields are read in order: once one is wild, a star in it may have swallowed the
        # separators after it, so only the fields before it are pinned down.
        for field in (p for p in issuer.grammar.parts if isinstance(p, Field)):
            fill = shape.fields[field.name]
            if fill.state != "exact":
                break
            assert fields[field.name] == fill.text, (field.name, fill, subject)


@settings(max_examples=200, deadline=QUICKLY)
@given(patterns_and_subjects())
def test_a_pattern_without_a_shape_matches_no_subject_of_the_grammar(case):
    issuer, text, subjects = case
    if Pattern(text).shape(issuer.grammar) is None:
        assert all(fields_of(s, issuer.grammar) is None for s in subjects), text


def test_a_backslash_does_not_escape_a_star_in_a_glob():
    # IAM has no escape character in StringLike (a literal `*` is written `${*}`), so this
    # pattern matches `repo:acme\\evil/api:x`: its owner is open.
    github = next(i for i in ISSUERS if i.kind == "github")
    pattern = Pattern(r"repo:acme\*/api:*")
    assert pattern.matches(r"repo:acme\evil/api:x")
    assert pattern.shape(github.grammar).tenant.state == "wild"


# --- structured files: any YAML-shaped document, through the parser a scan would use --------

_KEYS = st.sampled_from([
    "on", "jobs", "steps", "uses", "with", "role-to-assume", "permissions", "id-token", "env",
    "strategy", "matrix", "environment", "id_tokens", "aud", "variables", "script", "rules", "if",
    "extends", "include", "default", "apiVersion", "kind", "metadata", "annotations", "name",
    "namespace", "eks.amazonaws.com/role-arn", "Resources", "Type", "Properties", "Parameters",
    "Conditions", "Mappings", "AssumeRolePolicyDocument", "Statement", "Condition", "Principal",
    "Federated", "format_version", "planned_values", "resource_changes", "values", "items",
    "Version", "Effect", "Action",
])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-1, 10**12), st.sampled_from([
    "aws-actions/configure-aws-credentials@v4", "write", "v1", "ServiceAccount", "List",
    "AWS::IAM::Role", "AWS::IAM::OIDCProvider", "sts.amazonaws.com", "${{ matrix.x }}", "$ROLE",
    "arn:aws:iam::123456789012:role/r", "!Ref", "", "*", "1.2", "sts:AssumeRoleWithWebIdentity",
    "2012-10-17"]))
YAML_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=25,
)
_STRUCTURED_PATHS = [".github/workflows/ci.yml", ".gitlab-ci.yml", "k8s/sa.yaml", "template.yaml",
                     "template.json", "plan.json", "kustomization.yaml", "trust-policy.json"]


@settings(max_examples=200, deadline=QUICKLY, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_STRUCTURED_PATHS), st.lists(YAML_DOCUMENTS, min_size=1, max_size=2))
def test_any_yaml_shaped_document_parses_to_an_inventory(path, documents):
    if path.endswith(".json"):
        text = json.dumps(documents[0])
    else:
        text = yaml.safe_dump_all(documents)
    # The routing words a scan looks for, so every parser sees the document.
    text += "\n# Resources ServiceAccount\n" if not path.endswith(".json") else ""
    files = [SourceFile(path, Path("/nonexistent") / path, text, "structured")]
    assert isinstance(parse(files, default_branch="main"), Inventory)


# --- regressions found by fuzz/fuzz_parsers.py --------------------------------------------

FUZZ_CRASHES: list[tuple[str, str]] = [
    # A control character YAML forbids: PyYAML's reader raised before any parsing started.
    *((path, "jobs:\n  deploy:\n   \x19 steps: []\n") for path in _STRUCTURED_PATHS),
    # A trust of an EKS cluster's provider (its host unknown) whose `aud` test is misspelt:
    # OIDC202 took the first host of none and raised.
    ("main.tf", """resource "aws_eks_cluster" "main" {
  name = "payments"
}
resource "aws_iam_openid_connect_provider" "eks" {
  url            = aws_eks_cluster.main.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }
    condition {
      test     = "StringEqua&ls"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}
resource "aws_iam_role" "api" {
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"""),
    # A provider URL with a stray `]`: OIDC302's URL parser raised "Invalid IPv6 URL".
    ("main.tf", """resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent]com"
  client_id_list = ["sts.amazonaws.com"]
}
"""),
]


@pytest.mark.parametrize("path, text", FUZZ_CRASHES)
def test_fuzzer_crashes_stay_fixed(path, text):
    kind = "tfvars" if ".tfvars" in path else "terraform" if path.endswith((".tf", ".tf.json")) \
        else "structured"
    files = [SourceFile(path, Path("/nonexistent") / path, text, kind)]
    inventory = parse(files, default_branch="main")
    assert isinstance(inventory, Inventory)
    # The fuzz target runs every rule over what was read: none may raise.
    _, problems = run_rules(TrustGraph(inventory, "acme/api"), all_rules())
    assert [d.message for d in problems if d.internal] == []


@pytest.mark.parametrize("path", [".github/workflows/ci.yml", ".gitlab-ci.yml"])
def test_a_control_character_is_reported_where_it_is(path):
    files = [SourceFile(path, Path("/nonexistent") / path, "jobs:\n  deploy:\n   \x19 steps: []\n",
                        "structured")]
    messages = [d.message for d in parse(files).diagnostics]
    assert messages == ["YAML syntax error: line 3, column 4: character #x0019 is not allowed in YAML"]
