"""CloudFormation templates to providers, roles and permission policies."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.graph import TrustGraph
from oidclint.model import Inventory
from oidclint.readers.cloudformation.reader import TemplateReader, is_cloudformation, parse_cloudformation
from oidclint.source import Partial, SourceFile, Unknown

GITHUB = "token.actions.githubusercontent.com"

SHORT_FORM = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Repository:
    Type: String
    Default: acme/api
  Environment:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  GitHubProvider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
      ClientIdList:
        - sts.amazonaws.com
      ThumbprintList: [6938fd4d98bab03faadb97b34396831e3780aea1]
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "deploy-${Environment}"
      MaxSessionDuration: 7200
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sts:AssumeRoleWithWebIdentity
            Principal:
              Federated: !Ref GitHubProvider
            Condition:
              StringEquals:
                token.actions.githubusercontent.com:aud: sts.amazonaws.com
              StringLike:
                token.actions.githubusercontent.com:sub: !If
                  - IsProd
                  - [!Sub "repo:${Repository}:ref:refs/heads/main"]
                  - [!Sub "repo:${Repository}:*", "repo:acme/tools:*"]
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        - !Ref DeployPolicy
      Policies:
        - PolicyName: artifacts
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: "s3:*", Resource: "*"}
  DeployPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "iam:*", Resource: "*"}]
  ExtraPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref DeployRole, existing-role]
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "ec2:*", Resource: "*"}]
  InlinePolicy:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref DeployRole
      PolicyName: inline
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]
"""

LONG_FORM = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Repository:
    Type: String
    Default: acme/api
  Environment:
    Type: String
Conditions:
  IsProd:
    Fn::Equals: [{Ref: Environment}, prod]
Resources:
  GitHubProvider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
      ClientIdList: [sts.amazonaws.com]
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName:
        Fn::Sub: "deploy-${Environment}"
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Action: sts:AssumeRoleWithWebIdentity
            Principal:
              Federated:
                Fn::GetAtt: [GitHubProvider, Arn]
            Condition:
              StringEquals:
                token.actions.githubusercontent.com:aud: sts.amazonaws.com
              StringLike:
                token.actions.githubusercontent.com:sub:
                  Fn::If:
                    - IsProd
                    - [{"Fn::Sub": "repo:${Repository}:ref:refs/heads/main"}]
                    - [{"Fn::Sub": "repo:${Repository}:*"}, "repo:acme/tools:*"]
"""


def parse(text: str, path: str = "stack.yaml") -> Inventory | None:
    return parse_cloudformation(SourceFile(path, Path(path), text))


def line_of(text: str, needle: str, start: int = 1) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if n >= start and needle in line)


def trust_of(inventory: Inventory, address: str = "DeployRole"):
    role = next(r for r in inventory.roles if r.address == address)
    return role.trust


def conditions(inventory: Inventory, address: str = "DeployRole") -> dict[str, list[str]]:
    statement = trust_of(inventory, address).statements[0]
    return {str(c.key): [str(v) for v in c.values] for c in statement.conditions}


# -- what a template gives ----------------------------------------------------------------


def test_provider_from_an_oidc_provider_resource():
    inventory = parse(SHORT_FORM)
    (provider,) = inventory.providers
    assert provider.address == "GitHubProvider" and provider.scope == "stack.yaml"
    assert provider.url == "https://token.actions.githubusercontent.com"
    assert provider.host == GITHUB
    assert provider.client_ids == ["sts.amazonaws.com"]
    assert provider.thumbprints == ["6938fd4d98bab03faadb97b34396831e3780aea1"]
    assert provider.span.line == line_of(SHORT_FORM, "GitHubProvider:")
    assert inventory.files == ["stack.yaml"] and inventory.diagnostics == []


def test_role_with_trust_name_and_session_duration():
    inventory = parse(SHORT_FORM)
    (role,) = inventory.roles
    assert role.address == "DeployRole" and role.scope == "stack.yaml"
    assert isinstance(role.name, Partial) and str(role.name) == "deploy-${parameter Environment}"
    assert role.max_session_duration == 7200
    assert role.span.line == line_of(SHORT_FORM, "DeployRole:")
    (statement,) = role.trust.statements
    assert statement.allows and statement.actions == ["sts:AssumeRoleWithWebIdentity"]


def test_federated_ref_to_the_provider_is_its_arn_naming_it():
    (federated,) = trust_of(parse(SHORT_FORM)).statements[0].federated
    assert isinstance(federated, Partial) and federated.ref == "GitHubProvider"
    assert str(federated) == f"arn:aws:iam::${{account id}}:oidc-provider/{GITHUB}"


def test_if_in_a_condition_value_list_gives_both_branches():
    assert conditions(parse(SHORT_FORM)) == {
        f"{GITHUB}:aud": ["sts.amazonaws.com"],
        f"{GITHUB}:sub": ["repo:acme/api:ref:refs/heads/main", "repo:acme/api:*", "repo:acme/tools:*"],
    }


def test_long_form_reads_like_short_form():
    short, long = parse(SHORT_FORM), parse(LONG_FORM)
    assert conditions(long) == conditions(short)
    assert str(long.roles[0].name) == str(short.roles[0].name)
    assert [str(f) for f in trust_of(long).statements[0].federated] == \
        [str(f) for f in trust_of(short).statements[0].federated]
    assert trust_of(long).statements[0].federated[0].ref == "GitHubProvider"


def test_exact_spans_of_a_condition_key_and_its_values():
    statement = trust_of(parse(SHORT_FORM)).statements[0]
    audience, subject = statement.conditions
    assert audience.span.line == line_of(SHORT_FORM, f"{GITHUB}:aud")
    assert audience.span.column == SHORT_FORM.splitlines()[audience.span.line - 1].index("token") + 1
    assert audience.values[0].span.line == audience.span.line
    assert audience.values[0].span.column == SHORT_FORM.splitlines()[audience.span.line - 1].index("sts.") + 1
    assert subject.span.line == line_of(SHORT_FORM, f"{GITHUB}:sub")
    main, wildcard, tools = subject.values
    assert main.span.line == line_of(SHORT_FORM, "refs/heads/main")
    assert wildcard.span.line == tools.span.line == line_of(SHORT_FORM, '"repo:acme/tools:*"')


def test_parameter_defaults_and_unknown_parameters_in_a_trust():
    text = SHORT_FORM.replace('"repo:${Repository}:ref:refs/heads/main"', '"repo:${Environment}:*"')
    values = conditions(parse(text))[f"{GITHUB}:sub"]
    assert values[0] == "repo:${parameter Environment}:*"
    assert values[1] == "repo:acme/api:*"


def test_managed_policy_arns_and_inline_policies():
    policies = {p.address: p for p in parse(SHORT_FORM).policies}
    readonly = policies["DeployRole.ManagedPolicyArns[0]"]
    assert readonly.managed_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert readonly.roles == ["DeployRole"] and readonly.roles[0].ref == "DeployRole"
    own = policies["DeployRole.ManagedPolicyArns[1]"]
    assert isinstance(own.managed_arn, Partial) and own.managed_arn.ref == "DeployPolicy"
    inline = policies["DeployRole.Policies[0]"]
    assert inline.document.statements[0].actions == ["s3:*"] and inline.roles[0].ref == "DeployRole"


def test_policy_resources_name_their_roles_by_reference():
    policies = {p.address: p for p in parse(SHORT_FORM).policies}
    extra = policies["ExtraPolicy"]
    assert [r.ref for r in extra.roles] == ["DeployRole", None]
    assert extra.roles[1] == "existing-role"
    assert extra.document.statements[0].actions == ["ec2:*"]
    inline = policies["InlinePolicy"]
    assert [r.ref for r in inline.roles] == ["DeployRole"]
    managed = policies["DeployPolicy"]
    assert managed.roles == [] and managed.managed_arn.ref == "DeployPolicy"
    assert managed.document.statements[0].actions == ["iam:*"]


def test_role_reference_without_role_name_is_unknown_with_ref():
    text = SHORT_FORM.replace('      RoleName: !Sub "deploy-${Environment}"\n', "")
    extra = next(p for p in parse(text).policies if p.address == "ExtraPolicy")
    assert isinstance(extra.roles[0], Unknown) and extra.roles[0].ref == "DeployRole"


def test_json_template():
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Provider": {"Type": "AWS::IAM::OIDCProvider",
                         "Properties": {"Url": "https://gitlab.com", "ClientIdList": ["https://gitlab.com"]}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {
                "MaxSessionDuration": "3600",
                "AssumeRolePolicyDocument": {"Statement": [{
                    "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": {"Ref": "Provider"}},
                    "Condition": {"StringLike": {"gitlab.com:sub": "project_path:acme/*"}},
                }]},
            }},
        },
    }
    text = json.dumps(template, indent=2)
    inventory = parse(text, "stack.template.json")
    assert inventory.providers[0].client_ids == ["https://gitlab.com"]
    assert conditions(inventory, "Role") == {"gitlab.com:sub": ["project_path:acme/*"]}
    assert inventory.roles[0].max_session_duration == 3600
    key_span = trust_of(inventory, "Role").statements[0].conditions[0].span
    assert key_span.line == line_of(text, '"gitlab.com:sub"')


def test_trust_given_as_json_text_in_a_json_template():
    document = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                               "Principal": {"Federated": "${Provider}"},
                               "Condition": {"StringEquals": {"${Issuer}:aud": "sts.amazonaws.com"}}}]}
    template = {"Resources": {
        "Provider": {"Type": "AWS::IAM::OIDCProvider", "Properties": {"Url": "https://example.com"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Fn::Sub": [json.dumps(document), {"Issuer": {"Ref": "Unset"}}]}}},
    }}
    text = json.dumps(template, indent=1)
    statement = trust_of(parse(text, "t.json"), "Role").statements[0]
    assert statement.federated[0].ref == "Provider"
    (condition,) = statement.conditions
    assert isinstance(condition.key, Partial) and condition.key.known_suffix == ":aud"
    assert condition.key.unknowns[0].origin == "undeclared Unset"
    # The span is the key inside the JSON string, escaped quotes included.
    line = text.splitlines()[condition.span.line - 1]
    assert condition.span.line == line_of(text, "AssumeRolePolicyDocument") + 2
    assert line[condition.span.column - 1:condition.span.end_column - 1] == '\\"${Issuer}:aud\\"'


def test_trust_given_as_sub_over_a_literal_block_keeps_line_numbers():
    text = """\
Resources:
  Cluster:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://oidc.eks.eu-west-1.amazonaws.com/id/ABC
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: !Sub
        - |
          {
            "Statement": [{
              "Effect": "Allow",
              "Action": "sts:AssumeRoleWithWebIdentity",
              "Principal": {"Federated": "${Cluster}"},
              "Condition": {"StringEquals": {
                "${Issuer}:sub": "system:serviceaccount:app:api"
              }}
            }]
          }
        - Issuer: !Select [1, !Split ["//", !GetAtt Cluster.Url]]
"""
    statement = trust_of(parse(text), "Role").statements[0]
    (condition,) = statement.conditions
    assert condition.span.line == line_of(text, "${Issuer}:sub")
    assert condition.values[0].span.line == condition.span.line
    # AWS::IAM::OIDCProvider has no Url attribute: the issuer stays unknown.
    assert str(condition.key) == "${Fn::Select 1 of Fn::Split of Cluster.Url}:sub"
    assert statement.federated[0].ref == "Cluster"
    assert statement.span.line == line_of(text, '"Statement"')


def test_cdk_output_custom_provider_and_cfn_json_condition():
    text = json.dumps({"Resources": {
        "Provider": {"Type": "Custom::AWSCDKOpenIdConnectProvider", "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]},
            "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": [],
            "Url": "https://oidc.eks.us-east-1.amazonaws.com/id/ABCD"}},
        "Condition": {"Type": "Custom::AWSCDKCfnJson", "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]},
            "Value": {"Fn::Join": ["", [
                "{\"", {"Fn::Select": [1, {"Fn::Split": [":oidc-provider/", {"Ref": "Provider"}]}]},
                ":aud\":\"sts.amazonaws.com\",\"",
                {"Fn::Select": [1, {"Fn::Split": [":oidc-provider/", {"Ref": "Provider"}]}]},
                ":sub\":\"system:serviceaccount:default:app\"}"]]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Statement": [{"Action": "sts:AssumeRoleWithWebIdentity", "Effect": "Allow",
                           "Condition": {"StringEquals": {"Fn::GetAtt": ["Condition", "Value"]}},
                           "Principal": {"Federated": {"Ref": "Provider"}}}]}}},
    }}, indent=1)
    inventory = parse(text, "cdk.out/App.template.json")
    (provider,) = inventory.providers
    assert provider.client_ids == ["sts.amazonaws.com"] and provider.thumbprints == []
    assert conditions(inventory, "Role") == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABCD:aud": ["sts.amazonaws.com"],
        "oidc.eks.us-east-1.amazonaws.com/id/ABCD:sub": ["system:serviceaccount:default:app"],
    }
    assert inventory.diagnostics == []


def test_if_with_no_value_in_a_list_property():
    text = SHORT_FORM.replace(
        "        - !Ref DeployPolicy\n",
        "        - !If [IsProd, !Ref AWS::NoValue, arn:aws:iam::aws:policy/AdministratorAccess]\n")
    arns = [str(p.managed_arn) for p in parse(text).policies if ".ManagedPolicyArns" in p.address]
    assert arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"]


def test_conditional_whole_policies_list():
    text = SHORT_FORM.replace("      Policies:\n        - PolicyName: artifacts",
                              "      Policies: !If\n        - IsProd\n        - !Ref AWS::NoValue\n"
                              "        - - PolicyName: artifacts")
    text = text.replace("          PolicyDocument:\n            Statement:\n              - {Effect: Allow, Action: \"s3:*\"",
                        "            PolicyDocument:\n              Statement:\n                - {Effect: Allow, Action: \"s3:*\"")
    inline = [p for p in parse(text).policies if ".Policies" in p.address]
    assert [p.document.statements[0].actions for p in inline] == [["s3:*"]]


def test_unknown_list_properties_stay_unknown():
    text = SHORT_FORM.replace("      ClientIdList:\n        - sts.amazonaws.com\n",
                              "      ClientIdList: !Split [',', !ImportValue audiences]\n")
    provider = parse(text).providers[0]
    assert isinstance(provider.client_ids, Unknown)


def test_multi_document_yaml_reads_the_template_documents():
    inventory = parse("kind: ConfigMap\n---\n" + SHORT_FORM)
    assert [r.address for r in inventory.roles] == ["DeployRole"]


# -- which files are templates ------------------------------------------------------------


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


# -- EKS clusters -------------------------------------------------------------------------

EKS_TEMPLATE = textwrap.dedent("""\
    AWSTemplateFormatVersion: '2010-09-09'
    Parameters:
      ClusterName: {Type: String, Default: prod}
    Resources:
      Cluster:
        Type: AWS::EKS::Cluster
        Properties:
          Name: !Ref ClusterName
          RoleArn: arn:aws:iam::123456789012:role/eks
          ResourcesVpcConfig: {SubnetIds: [subnet-1]}
      Unnamed:
        Type: AWS::EKS::Cluster
        Properties: {RoleArn: x}
      Odd:
        Type: AWS::EKS::Cluster
        Properties: {Name: [a]}
""")


def test_eks_clusters():
    inventory = parse(EKS_TEMPLATE)
    clusters = {c.address: c for c in inventory.clusters}
    assert set(clusters) == {"Cluster", "Unnamed", "Odd"}
    cluster = clusters["Cluster"]
    assert cluster.name == "prod" and cluster.scope == "stack.yaml"
    assert cluster.span.line == line_of(EKS_TEMPLATE, "  Cluster:")
    assert isinstance(cluster.issuer, Partial) and cluster.issuer.ref == "Cluster"
    assert str(cluster.issuer) == ("https://oidc.eks.${region of Cluster}.amazonaws.com/id/"
                                   "${OIDC id of Cluster}")
    assert cluster.issuer.known_prefix == "https://oidc.eks."
    unnamed = clusters["Unnamed"]
    assert isinstance(unnamed.name, Unknown)
    assert unnamed.name.origin == "Unnamed name (generated by CloudFormation)"
    assert isinstance(clusters["Odd"].name, Unknown)
    assert [d.message for d in inventory.diagnostics] == ["Odd.Name is not a string"]


# -- resource conditions ------------------------------------------------------------------

CONDITIONAL_ROLES = textwrap.dedent("""\
    AWSTemplateFormatVersion: '2010-09-09'
    Parameters:
      Stage: {Type: String, Default: prod}
    Conditions:
      IsDev: !Equals [!Ref Stage, dev]
      IsProd: !Equals [!Ref Stage, prod]
      InUsEast: !Equals [!Ref AWS::Region, us-east-1]
    Resources:
      DevRole:
        Type: AWS::IAM::Role
        Condition: IsDev
        Properties: {RoleName: dev}
      ProdRole:
        Type: AWS::IAM::Role
        Condition: IsProd
        Properties:
          RoleName: prod
          ManagedPolicyArns:
            - !If [IsDev, arn:aws:iam::aws:policy/AdministratorAccess, !Ref AWS::NoValue]
            - arn:aws:iam::aws:policy/ReadOnlyAccess
          Policies: !If
            - IsProd
            - - PolicyName: deploy
                PolicyDocument: {Statement: [{Effect: Allow, Action: "ecs:*", Resource: "*"}]}
            - - PolicyName: everything
                PolicyDocument: {Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
      EastRole:
        Type: AWS::IAM::Role
        Condition: InUsEast
        Properties: {RoleName: east}
      Typo:
        Type: AWS::IAM::Role
        Condition: IsProduction
        Properties: {RoleName: typo}
""")


def test_a_resource_whose_condition_is_false_is_not_read():
    inventory = parse(CONDITIONAL_ROLES)
    assert [r.address for r in inventory.roles] == ["ProdRole", "EastRole", "Typo"]
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.message == "Typo names undeclared condition IsProduction"
    assert diagnostic.span.line == line_of(CONDITIONAL_ROLES, "IsProduction")


def test_list_properties_take_only_the_decided_branch():
    policies = {p.address: p for p in parse(CONDITIONAL_ROLES).policies}
    assert [str(p.managed_arn) for p in policies.values() if p.managed_arn] == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert policies["ProdRole.Policies[0]"].document.statements[0].actions == ["ecs:*"]
    assert "ProdRole.Policies[1]" not in policies


# -- SAM ----------------------------------------------------------------------------------

SAM = textwrap.dedent("""\
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::Serverless-2016-10-31
    Conditions:
      Never: !Equals [a, b]
    Globals:
      Function:
        Tracing: Active
        RolePath: /app/
    Resources:
      Api:
        Type: AWS::Serverless::Function
        Properties:
          Handler: app.handler
          VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}
          Policies:
            - AdministratorAccess
            - AWSLambdaVPCAccessExecutionRole
            - arn:aws:iam::123456789012:policy/custom
            - !Ref SharedPolicy
            - SQSPollerPolicy: {QueueName: jobs}
            - Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]
      Single:
        Type: AWS::Serverless::Function
        Properties:
          Policies: AmazonS3ReadOnlyAccess
      Own:
        Type: AWS::Serverless::Function
        Properties:
          Role: !GetAtt OwnRole.Arn
          Policies: [AdministratorAccess]
      OwnRole:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Skipped:
        Type: AWS::Serverless::Function
        Condition: Never
      Machine:
        Type: AWS::Serverless::StateMachine
        Properties:
          Policies: [{LambdaInvokePolicy: {FunctionName: !Ref Api}}]
      Federated:
        Type: AWS::Serverless::Function
        Properties:
          AssumeRolePolicyDocument:
            Statement:
              - Effect: Allow
                Action: sts:AssumeRoleWithWebIdentity
                Principal: {Federated: !Ref Provider}
                Condition: {StringLike: {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}
      Provider:
        Type: AWS::IAM::OIDCProvider
        Properties: {Url: https://token.actions.githubusercontent.com}
      SharedPolicy:
        Type: AWS::IAM::ManagedPolicy
        Properties:
          PolicyDocument: {Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]}
      Extra:
        Type: AWS::IAM::Policy
        Properties:
          PolicyName: extra
          Roles: [!Ref ApiRole]
          PolicyDocument: {Statement: [{Effect: Allow, Action: "sns:Publish", Resource: "*"}]}
""")


def sam_policies(inventory: Inventory, role: str) -> dict[str, object]:
    return {p.address: p for p in inventory.policies if p.roles and p.roles[0].ref == role}


def test_sam_functions_without_a_role_get_the_role_sam_generates():
    inventory = parse(SAM)
    roles = {r.address: r for r in inventory.roles}
    assert set(roles) == {"ApiRole", "SingleRole", "OwnRole", "MachineRole", "FederatedRole"}
    api = roles["ApiRole"]
    assert api.span.line == line_of(SAM, "  Api:")
    (statement,) = api.trust.statements
    assert statement.principals == {"Service": ["lambda.amazonaws.com"]}
    assert statement.actions == ["sts:AssumeRole"]
    (machine,) = roles["MachineRole"].trust.statements
    assert machine.principals == {"Service": ["states.amazonaws.com"]}
    assert inventory.diagnostics == []


def test_sam_function_policies_become_the_generated_roles_permissions():
    inventory = parse(SAM)
    policies = sam_policies(inventory, "ApiRole")
    arns = [str(p.managed_arn) for p in policies.values() if p.managed_arn is not None]
    assert arns == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        "arn:aws:iam::123456789012:policy/custom",
        "arn:aws:iam::${account id}:policy/${SharedPolicy name (generated by CloudFormation)}",
    ]
    assert policies["ApiRole.ManagedPolicyArns[6]"].managed_arn.ref == "SharedPolicy"
    template, inline = policies["ApiRole.Policies[0]"], policies["ApiRole.Policies[1]"]
    assert template.document.unknown.origin == "SAM policy template SQSPollerPolicy"
    assert inline.document.statements[0].actions == ["s3:GetObject"]
    assert [str(p.managed_arn) for p in sam_policies(inventory, "SingleRole").values()][-1] == \
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_a_sam_function_with_its_own_role_gets_none_and_its_policies_are_ignored():
    inventory = parse(SAM)
    assert "OwnRole" in {r.address for r in inventory.roles}
    assert not any(p.address.startswith("OwnRole.ManagedPolicyArns") for p in inventory.policies)


def test_the_generated_role_can_be_referenced_and_carries_the_function_settings():
    inventory = parse(SAM)
    extra = next(p for p in inventory.policies if p.address == "Extra")
    assert extra.roles[0].ref == "ApiRole"
    api = next(r for r in inventory.roles if r.address == "ApiRole")
    assert api.name is None  # generated by CloudFormation


def test_a_sam_function_assume_role_policy_document_is_the_generated_roles_trust():
    inventory = parse(SAM)
    federated = next(r for r in inventory.roles if r.address == "FederatedRole")
    (statement,) = federated.trust.statements
    assert statement.federated[0].ref == "Provider"
    assert conditions(inventory, "FederatedRole") == {f"{GITHUB}:sub": ["repo:acme/*"]}


def test_serverless_resources_are_not_expanded_without_the_transform():
    text = SAM.replace("Transform: AWS::Serverless-2016-10-31\n", "")
    assert {r.address for r in parse(text).roles} == {"OwnRole"}


# -- CDK ----------------------------------------------------------------------------------


def test_cdk_resources_are_addressed_by_construct_path_and_linked_by_it():
    text = json.dumps({"Resources": {
        "ProviderA1": {"Type": "Custom::AWSCDKOpenIdConnectProvider",
                       "Properties": {"Url": "https://token.actions.githubusercontent.com",
                                      "ClientIDList": ["sts.amazonaws.com"]},
                       "Metadata": {"aws:cdk:path": "Ci/Provider/Resource/Default"}},
        "RoleB2": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": {"Ref": "ProviderA1"}}}]},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
            "Metadata": {"aws:cdk:path": "Ci/Role/Resource"}},
        "RoleDefaultPolicyC3": {"Type": "AWS::IAM::Policy", "Properties": {
            "PolicyName": "p", "Roles": [{"Ref": "RoleB2"}],
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
            "Metadata": {"aws:cdk:path": "Ci/Role/DefaultPolicy/Resource"}},
    }}, indent=1)
    inventory = parse(text, "cdk.out/Ci.template.json")
    (provider,) = inventory.providers
    (role,) = inventory.roles
    assert provider.address == "Ci/Provider/Resource/Default"
    assert role.address == "Ci/Role/Resource" and role.span.line == line_of(text, '"RoleB2"')
    assert role.trust.statements[0].federated[0].ref == provider.address
    policies = {p.address: p for p in inventory.policies}
    assert set(policies) == {"Ci/Role/Resource.ManagedPolicyArns[0]", "Ci/Role/DefaultPolicy/Resource"}
    assert policies["Ci/Role/DefaultPolicy/Resource"].roles[0].ref == role.address
    for policy in inventory.policies:
        policy.scope = "cdk.out/Ci.template.json"  # as the engine sets it for a template
    graph = TrustGraph(inventory)
    assert {p.address for p in graph.grants(role)} == set(policies)
    (trust,) = graph.trusts_of_role(role)
    assert trust.providers == [provider]


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


def test_a_sam_role_left_unset_by_an_if_gets_the_generated_role():
    text = textwrap.dedent("""\
        Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
        Parameters:
          RoleArn: {Type: String, Default: ""}
        Conditions:
          HasRole: !Not [!Equals [!Ref RoleArn, ""]]
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Role: !If [HasRole, !Ref RoleArn, !Ref AWS::NoValue]
          Taken:
            Type: AWS::Serverless::Function
            Properties: {Role: !If [HasRole, a, b]}
    """)
    assert {r.address for r in parse(text).roles} == {"FnRole"}


def test_metadata_suppressions_are_read_and_applied(tmp_path):
    """JSON has no comments: `Metadata.oidclint.ignore` suppresses a finding on its resource,
    the reason kept; a malformed entry is reported, not ignored."""
    from oidclint.engine import scan

    template = {
        "Resources": {
            "Provider": {"Type": "AWS::IAM::OIDCProvider", "Properties": {
                "Url": "https://token.actions.githubusercontent.com",
                "ClientIdList": ["sts.amazonaws.com"]}},
            "Role": {
                "Type": "AWS::IAM::Role",
                "Metadata": {"oidclint": {"ignore": [
                    {"id": "OIDC204", "reason": "every repository publishes docs"}]}},
                "Properties": {"AssumeRolePolicyDocument": {"Statement": [{
                    "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": {"Ref": "Provider"}},
                    "Condition": {
                        "StringEquals": {"token.actions.githubusercontent.com:aud":
                                         "sts.amazonaws.com"},
                        "StringLike": {"token.actions.githubusercontent.com:sub":
                                       "repo:acme/*"}}}]}}},
            "Other": {"Type": "AWS::IAM::Role",
                      "Metadata": {"oidclint": {"ignore": [{"reason": "no id"}]}},
                      "Properties": {"AssumeRolePolicyDocument": {"Statement": []}}},
        }
    }
    (tmp_path / "stack.json").write_text(json.dumps(template, indent=2))
    report = scan([tmp_path], root=tmp_path)
    [finding] = report.findings
    assert finding.rule_id == "OIDC204" and finding.address == "Role"
    assert finding.suppression.justification == "every repository publishes docs"
    assert report.active == []
    assert [d.message for d in report.diagnostics] == [
        "Metadata.oidclint.ignore of Other: each entry needs an `id` (and a `reason`)"]


# -- YAML 1.1 implicit types, as CloudFormation reads them --------------------------------------

IMPLICIT_TYPES = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Stage:
    Type: String
    Default: 2024-01-01
Resources:
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: deploy
      MaxSessionDuration: 0755
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Action: sts:AssumeRoleWithWebIdentity
            Principal: {Federated: !Sub "arn:aws:iam::123456789012:oidc-provider/${GITHUB}"}
            Condition:
              StringEquals:
                ${GITHUB}:aud: sts.amazonaws.com
                ${GITHUB}:sub: !Sub repo:acme/api:environment:${Stage}
              Bool:
                aws:MultiFactorAuthPresent: yes
""".replace("${GITHUB}", GITHUB)


def test_an_unquoted_date_is_the_string_cloudformation_sees_with_no_warning():
    inventory = parse(IMPLICIT_TYPES)
    assert inventory.diagnostics == []
    (statement,) = trust_of(inventory).statements
    sub = next(c for c in statement.conditions if c.claim == "sub")
    assert sub.values == ["repo:acme/api:environment:2024-01-01"]
    assert sub.values[0].span.line == line_of(IMPLICIT_TYPES, ":sub:")


def test_other_yaml_1_1_types_stay_as_yaml_1_1_reads_them():
    """CloudFormation reads YAML 1.1 but for timestamps: `yes` is a boolean, `0755` octal."""
    inventory = parse(IMPLICIT_TYPES)
    role = inventory.roles[0]
    assert role.max_session_duration == 0o755
    (statement,) = role.trust.statements
    mfa = next(c for c in statement.conditions if str(c.operator) == "Bool")
    assert mfa.values == [True]


def test_a_template_with_only_dates_unquoted_gives_the_same_findings_as_quoted():
    from oidclint.engine import all_rules
    quoted = IMPLICIT_TYPES.replace("2010-09-09", '"2010-09-09"').replace(
        "2012-10-17", '"2012-10-17"').replace("Default: 2024-01-01", 'Default: "2024-01-01"')
    def findings(text):
        graph = TrustGraph(parse(text))
        return sorted((f.rule_id, f.message) for rule in all_rules() for f in rule.check(graph))
    assert findings(IMPLICIT_TYPES) == findings(quoted)
