"""CloudFormation templates to providers, roles and permission policies: short and long
form, JSON, trusts given as JSON text, and YAML 1.1 implicit types as CloudFormation reads
them."""

from __future__ import annotations

import json

from oidclint.graph import TrustGraph
from oidclint.source import Partial, Unknown
from cloudformation_helpers import GITHUB, SHORT_FORM, conditions, line_of, parse, trust_of


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
