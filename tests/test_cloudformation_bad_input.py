"""Which files are CloudFormation templates, and templates that are broken, of the wrong
types or random: a diagnostic or nothing, never an exception."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.model import Inventory
from oidclint.readers.cloudformation.reader import TemplateReader, is_cloudformation
from oidclint.source import SourceFile, Unknown
from cloudformation_helpers import SHORT_FORM, line_of, parse


@pytest.mark.parametrize("document, expected", [
    ({"AWSTemplateFormatVersion": "2010-09-09"}, True),
    ({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}, True),
    ({"Resources": {"C": {"Type": "Custom::Thing"}}}, True),
    ({"Resources": {"S": {"Type": "Alexa::ASK::Skill"}}}, True),
    ({"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}, True),
    ({"Transform": ["AWS::LanguageExtensions"]}, True),
    ({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}}, False),
    ({"name": "pkg", "version": "1.0.0", "dependencies": {}}, False),
    ({"on": "push", "jobs": {"build": {"runs-on": "ubuntu-latest"}}}, False),
    ({"Resources": {"x": {"Type": "not a type"}}}, False),
    ({"Resources": ["AWS::S3::Bucket"]}, False),
    (["AWSTemplateFormatVersion"], False),
    (None, False),
    ("AWSTemplateFormatVersion", False),
])
def test_detection_by_content(document, expected):
    assert is_cloudformation(document) is expected


@pytest.mark.parametrize("path, text", [
    ("k8s/serviceaccount.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n"),
    ("package.json", '{"name": "app", "version": "1.0.0", "scripts": {"build": "tsc"}}'),
    (".github/workflows/ci.yml", "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n"),
    ("empty.yaml", ""),
    ("comments.yaml", "# nothing here\n"),
    ("list.json", "[1, 2, 3]"),
    ("broken.yaml", "key: [unterminated\n"),
    ("broken.json", '{"name": '),
])
def test_files_that_are_not_templates_give_none(path, text):
    assert parse(text, path) is None


def test_a_template_named_like_anything_is_read():
    inventory = parse(SHORT_FORM, "infra/stack.template")
    assert inventory is not None and inventory.roles


@pytest.mark.parametrize("path, text", [
    ("truncated.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R: {Type: AWS::IAM::Role,"),
    ("tabs.yaml", "Resources:\n\tRole:\n\t\tType: AWS::IAM::Role\n"),
    ("broken.json", '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {'),
    ("badtag.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n    X: !GetAtt {a: 1}\n"),
])
def test_broken_templates_become_a_diagnostic(path, text):
    inventory = parse(text, path)
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.path == path and diagnostic.message.startswith("YAML/JSON syntax error: ")
    assert inventory.files == [path] and not inventory.roles


def test_syntax_error_diagnostic_carries_its_position():
    inventory = parse("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n")
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.span is not None and diagnostic.span.line >= 2


# -- wrong types never crash --------------------------------------------------------------

WRONG_TYPES = [
    "Resources: [a, b]",
    "Resources: null",
    "Resources:\n  R: [Type, AWS::IAM::Role]",
    "Resources:\n  R: {Type: [AWS::IAM::Role]}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: [a]}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: null}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {Fn::If: [c, {}, {}]}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: [1, 2]}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {Statement: null}}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {Statement: [1, null, [x]]}}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: "
    "{Statement: [{Effect: Allow, Principal: [x], Condition: [y]}]}}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: "
    "{Statement: [{Effect: Allow, Condition: {StringLike: [x]}}]}}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: 42}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: 'not json'}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {RoleName: {a: b}, MaxSessionDuration: abc}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {MaxSessionDuration: [1]}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {MaxSessionDuration: true}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {ManagedPolicyArns: {a: b}}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {ManagedPolicyArns: [[a], {b: c}, null]}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {Policies: {a: b}}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {Policies: [1, [2], {PolicyName: x}]}}",
    "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {Policies: [{PolicyDocument: [1]}]}}",
    "Resources:\n  P: {Type: AWS::IAM::OIDCProvider, Properties: {Url: [a], ClientIdList: abc}}",
    "Resources:\n  P: {Type: AWS::IAM::OIDCProvider, Properties: {ClientIdList: {a: b}, ThumbprintList: 5}}",
    "Resources:\n  P: {Type: AWS::IAM::OIDCProvider}",
    "Resources:\n  P: {Type: AWS::IAM::Policy, Properties: {Roles: abc, PolicyDocument: abc}}",
    "Resources:\n  P: {Type: AWS::IAM::Policy, Properties: {Roles: [{a: b}], PolicyDocument: {}}}",
    "Resources:\n  P: {Type: AWS::IAM::RolePolicy, Properties: {RoleName: [x]}}",
    "Resources:\n  P: {Type: AWS::IAM::ManagedPolicy, Properties: {Roles: null}}",
    "Parameters: [a]\nMappings: 5\nConditions: x\nResources:\n  R: {Type: AWS::IAM::Role, Properties: "
    "{RoleName: !Ref a, AssumeRolePolicyDocument: {Statement: [{Effect: !FindInMap [a, b, c]}]}}}",
    "Resources:\n  1: {Type: AWS::IAM::Role}\n  true: {Type: AWS::IAM::Role}\n  null: {Type: AWS::IAM::Role}",
    "Resources:\n  Fn::ForEach::Roles: [Name, [a, b], {R: {Type: AWS::IAM::Role}}]",
]


@pytest.mark.parametrize("body", WRONG_TYPES)
def test_wrong_types_do_not_crash(body):
    inventory = parse("AWSTemplateFormatVersion: '2010-09-09'\n" + body + "\n")
    assert isinstance(inventory, Inventory)
    for diagnostic in inventory.diagnostics:
        assert diagnostic.path == "stack.yaml" and diagnostic.message


def test_wrong_types_are_reported():
    inventory = parse(textwrap.dedent("""\
        Resources:
          P: {Type: AWS::IAM::OIDCProvider, Properties: {Url: [a], ClientIdList: {a: b}}}
          R: {Type: AWS::IAM::Role, Properties: {MaxSessionDuration: abc, Policies: [7]}}
          Q: {Type: AWS::IAM::Role, Properties: [a]}
          F: !Join [a, b]
    """))
    messages = [d.message for d in inventory.diagnostics]
    assert any("P.Url is not a string" in m for m in messages)
    assert any("P.ClientIdList is not a list" in m for m in messages)
    assert any("MaxSessionDuration" in m for m in messages)
    assert any("R.Policies[0]" in m for m in messages)
    assert any("Properties of Q" in m for m in messages)
    assert any("resource F has no Type" in m for m in messages)
    (provider,) = inventory.providers
    assert isinstance(provider.url, Unknown) and isinstance(provider.client_ids, Unknown)


def test_intrinsic_problems_become_diagnostics_with_spans():
    text = SHORT_FORM.replace('Federated: !Ref GitHubProvider', 'Federated: !Select [9, [a]]')
    inventory = parse(text)
    (diagnostic,) = inventory.diagnostics
    assert "out of range" in diagnostic.message
    assert diagnostic.span.line == line_of(text, "!Select [9, [a]]")


def test_deeply_nested_policy_does_not_crash():
    deep = "[" * 400 + "]" * 400
    inventory = parse(f"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::IAM::Role\n"
                      f"    Properties:\n      AssumeRolePolicyDocument: {{Statement: {deep}}}\n")
    assert isinstance(inventory, Inventory)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("AWS::IAM Role{}[]:,'\"!Ref Sub\n -#&*|>1")), max_size=200))
def test_any_text_is_none_or_an_inventory(text):
    result = parse("AWSTemplateFormatVersion: x\n" + text)
    assert result is None or isinstance(result, Inventory)
    result = parse(text)
    assert result is None or isinstance(result, Inventory)


_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 5),
              st.sampled_from(["P", "R", "https://x", "AWS::NoValue", "${P}", "{}", '{"Statement": []}',
                               "Allow", "sts:AssumeRoleWithWebIdentity", "c"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.builds(lambda name, arg: {name: arg},
                  st.sampled_from(["Ref", "Fn::If", "Fn::Sub", "Fn::GetAtt", "Fn::Join", "Fn::Select"]),
                  inner),
        st.dictionaries(st.sampled_from(["Statement", "Effect", "Principal", "Federated", "Condition",
                                         "StringLike", "PolicyDocument", "k:sub"]), inner, max_size=3),
    ),
    max_leaves=20,
)
_PROPERTIES = st.dictionaries(
    st.sampled_from(["Url", "ClientIdList", "ClientIDList", "ThumbprintList", "RoleName", "Path",
                     "AssumeRolePolicyDocument", "ManagedPolicyArns", "Policies", "MaxSessionDuration",
                     "PolicyDocument", "Roles", "Value"]),
    _VALUES, max_size=5)
_TYPES = st.sampled_from(["AWS::IAM::OIDCProvider", "Custom::AWSCDKOpenIdConnectProvider",
                          "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
                          "AWS::IAM::RolePolicy", "Custom::AWSCDKCfnJson"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["P", "R", "c"]),
                       st.builds(lambda kind, properties: {"Type": kind, "Properties": properties},
                                 _TYPES, _PROPERTIES), min_size=1, max_size=3))
def test_any_iam_resources_read_without_raising(resources):
    file = SourceFile("t.json", Path("t.json"), "")
    inventory = TemplateReader(file, {"Resources": resources}).read()
    assert isinstance(inventory, Inventory)


_CONDITION_EXPRESSIONS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.sampled_from(["c", "P", "x", "AWS::Region"]),
              st.builds(lambda name: {"Condition": name}, st.sampled_from(["c", "d", "nope", 5]))),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.builds(lambda name, arg: {name: arg},
                  st.sampled_from(["Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Ref",
                                   "Fn::FindInMap", "Fn::If", "Condition"]), inner),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["c", "d"]), _CONDITION_EXPRESSIONS, max_size=2),
       st.dictionaries(st.sampled_from(["F", "R", "FRole"]),
                       st.builds(lambda kind, properties, condition: {
                           "Type": kind, "Properties": properties, "Condition": condition},
                           st.sampled_from(["AWS::Serverless::Function", "AWS::IAM::Role",
                                            "AWS::Serverless::StateMachine"]),
                           st.dictionaries(st.sampled_from(["Role", "Policies", "Tracing",
                                                            "AssumeRolePolicyDocument", "RolePath"]),
                                           _VALUES, max_size=3),
                           st.one_of(st.none(), st.sampled_from(["c", "d", "nope"]), _VALUES)),
                       min_size=1, max_size=3))
def test_any_conditions_and_serverless_resources_read_without_raising(conditions_section, resources):
    file = SourceFile("t.json", Path("t.json"), "")
    template = {"Transform": "AWS::Serverless-2016-10-31", "Conditions": conditions_section,
                "Globals": {"Function": {"Tracing": "Active"}}, "Resources": resources}
    assert isinstance(TemplateReader(file, template).read(), Inventory)
