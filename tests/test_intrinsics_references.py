"""CloudFormation references: what Ref, Fn::GetAtt and Fn::Sub give for parameters (with and
without a default), pseudo parameters, OIDC providers, roles, policies, EKS clusters and other
resources, known and unknown; and resources a CDK app made, addressed by their construct
path."""

from __future__ import annotations

from pathlib import Path

import pytest

from intrinsics_template import TEMPLATE, line_of, resolve, resolver_for
from oidclint.graph import TrustGraph
from oidclint.readers.cloudformation.intrinsics import PSEUDO_PARAMETERS
from oidclint.readers.cloudformation.reader import parse_cloudformation
from oidclint.source import LDict, LList, Partial, SourceFile, Str, Unknown


# -- Ref ----------------------------------------------------------------------------------

def test_ref_to_a_parameter_default_is_the_default_located_at_the_ref():
    resolver, test = resolver_for("X: !Ref Repo\n")
    value = resolver.resolve(test["X"])
    assert value == "acme/api" and isinstance(value, Str)
    assert value.span == test["X"].span  # where the Ref is written, not the Default
    assert value.span.line == line_of(TEMPLATE, "Bucket:") + 3


def test_ref_to_a_parameter_without_default_is_unknown():
    value, _ = resolve("!Ref Env")
    assert value == Unknown("parameter Env", value.span)


def test_ref_to_a_comma_delimited_list_default_is_a_list():
    value, _ = resolve("!Ref Audiences")
    assert isinstance(value, LList) and value == ["sts.amazonaws.com", "api"]


def test_ref_to_an_ssm_parameter_is_unknown_not_its_name():
    value, _ = resolve("!Ref Issuer")
    assert isinstance(value, Unknown) and value.origin.startswith("parameter Issuer")


@pytest.mark.parametrize("name", sorted(PSEUDO_PARAMETERS))
def test_pseudo_parameters_are_unknown_by_name(name):
    value, _ = resolve(f"!Ref {name}")
    assert isinstance(value, Unknown) and value.origin == name


def test_no_value_removes_the_key_or_the_list_item():
    resolver, test = resolver_for("""\
        Keep: 1
        Drop: !Ref AWS::NoValue
        List: [a, !Ref AWS::NoValue, b]
    """)
    value = resolver.resolve(test)
    assert value == {"Keep": 1, "List": ["a", "b"]}
    assert isinstance(value, LDict) and value.span == test.span


def test_ref_to_an_oidc_provider_is_its_arn_naming_the_provider():
    value, _ = resolve("!Ref GitHub")
    assert isinstance(value, Partial) and value.ref == "GitHub"
    assert value.parts[0] == "arn:aws:iam::"
    assert value.parts[1].origin == "account id"
    assert value.known_suffix == ":oidc-provider/token.actions.githubusercontent.com"


def test_provider_arn_keeps_unknown_parts_of_the_url():
    value, _ = resolve("!Ref Cluster")
    assert str(value) == ("arn:aws:iam::${account id}:oidc-provider/"
                          "oidc.eks.${AWS::Region}.amazonaws.com/id/${parameter Env}")
    assert value.ref == "Cluster"


def test_ref_to_cdk_provider_is_its_arn():
    value, _ = resolve("!Ref CdkProvider")
    assert value.known_suffix == ":oidc-provider/gitlab.com" and value.ref == "CdkProvider"


def test_ref_to_a_role_is_its_name_naming_the_role():
    named, _ = resolve("!Ref Named")
    generated, _ = resolve("!Ref Generated")
    assert named == "deploy" and named.ref == "Named"
    assert isinstance(generated, Unknown) and generated.ref == "Generated"


def test_ref_to_a_managed_policy_is_its_arn():
    value, _ = resolve("!Ref Admin")
    assert str(value) == "arn:aws:iam::${account id}:policy/admin" and value.ref == "Admin"


def test_ref_to_another_resource_is_unknown_naming_it():
    value, _ = resolve("!Ref Bucket")
    assert value == Unknown("Ref Bucket", value.span, "Bucket")


def test_ref_to_an_undeclared_name_says_so():
    value, _ = resolve("!Ref Missing")
    assert isinstance(value, Unknown) and value.origin.startswith("undeclared ")
    assert value.ref == "Missing"


# -- Fn::GetAtt ---------------------------------------------------------------------------

@pytest.mark.parametrize("expression", ["!GetAtt Named.Arn", "!GetAtt [Named, Arn]",
                                        "{'Fn::GetAtt': [Named, Arn]}", "{'Fn::GetAtt': Named.Arn}"])
def test_role_arn_in_every_form(expression):
    value, _ = resolve(expression)
    assert str(value) == "arn:aws:iam::${account id}:role/ci/deploy" and value.ref == "Named"


def test_role_arn_with_a_generated_name_is_partial():
    value, _ = resolve("!GetAtt Generated.Arn")
    assert isinstance(value, Partial) and value.known_prefix == "arn:aws:iam::"
    assert value.parts[-2] == ":role/" and value.ref == "Generated"


def test_provider_arn_attribute_equals_its_ref():
    by_attribute, _ = resolve("!GetAtt GitHub.Arn")
    by_ref, _ = resolve("!Ref GitHub")
    assert str(by_attribute) == str(by_ref) and by_attribute.ref == "GitHub"


@pytest.mark.parametrize("expression, origin", [
    ("!GetAtt Named.RoleId", "Named.RoleId"), ("!GetAtt Bucket.Arn", "Bucket.Arn")])
def test_other_attributes_are_unknown_naming_the_resource(expression, origin):
    value, _ = resolve(expression)
    assert isinstance(value, Unknown) and value.origin == origin
    assert value.ref == origin.split(".")[0]


def test_get_att_of_an_undeclared_resource():
    value, _ = resolve("!GetAtt Nope.Arn")
    assert value.origin == "undeclared Nope" and value.ref == "Nope"


EKS_TEMPLATE = TEMPLATE + """\
  Eks:
    Type: AWS::EKS::Cluster
    Properties: {RoleArn: x, ResourcesVpcConfig: {SubnetIds: [s]}}
  EksProvider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: !GetAtt Eks.OpenIdConnectIssuerUrl
      ClientIdList: [sts.amazonaws.com]
"""


def test_eks_issuer_attribute_is_the_cluster_issuer_and_ties_a_provider_to_it():
    resolver, test = resolver_for("X: !GetAtt Eks.OpenIdConnectIssuerUrl\n"
                                  "Y: !GetAtt [Eks, Arn]\nZ: !Ref EksProvider\n",
                                  EKS_TEMPLATE)
    value = resolver.resolve(test["X"])
    inventory = parse_cloudformation(SourceFile("stack.yaml", Path("stack.yaml"), EKS_TEMPLATE))
    (cluster,) = inventory.clusters
    assert isinstance(value, Partial) and value.ref == "Eks"
    assert value.parts == cluster.issuer.parts and cluster.issuer.ref == "Eks"
    assert str(value) == "https://oidc.eks.${region of Eks}.amazonaws.com/id/${OIDC id of Eks}"
    assert value.span == test["X"].span  # located at the GetAtt, like every resolved value
    assert resolver.resolve(test["Y"]) == Unknown("Eks.Arn", test["Y"].span, "Eks")
    provider = next(p for p in inventory.providers if p.address == "EksProvider")
    assert provider.url.ref == "Eks" and provider.url.parts == cluster.issuer.parts
    assert TrustGraph(inventory).cluster_of_provider(provider).address == "Eks"
    assert str(resolver.resolve(test["Z"])) == ("arn:aws:iam::${account id}:oidc-provider/"
                                               "oidc.eks.${region of Eks}.amazonaws.com/id/"
                                               "${OIDC id of Eks}")


# -- Fn::Sub ------------------------------------------------------------------------------

def test_sub_with_known_parameters_is_a_string():
    value, _ = resolve('!Sub "repo:${Repo}:ref:refs/heads/main"')
    assert value == "repo:acme/api:ref:refs/heads/main" and isinstance(value, Str)


def test_sub_with_unknown_pieces_is_partial():
    value, _ = resolve('!Sub "repo:${Env}/${AWS::AccountId}:*"')
    assert isinstance(value, Partial)
    assert value.known_prefix == "repo:" and value.known_suffix == ":*"
    assert [u.origin for u in value.unknowns] == ["parameter Env", "AWS::AccountId"]


def test_sub_resolves_resources_and_attributes_and_keeps_escapes():
    value, _ = resolve('!Sub "${Named}|${Named.Arn}|${!Literal}"')
    assert str(value) == "deploy|arn:aws:iam::${account id}:role/ci/deploy|${Literal}"


def test_sub_list_form_with_variables():
    value, _ = resolve('!Sub ["${Host}:sub", {Host: !Select [1, !Split ["//", "https://gitlab.com"]]}]')
    assert value == "gitlab.com:sub"


def test_sub_of_a_single_variable_keeps_the_resource_it_names():
    value, _ = resolve('!Sub "${GitHub}"')
    assert isinstance(value, Partial) and value.ref == "GitHub"


def test_sub_long_form_equals_short_form():
    short, _ = resolve('!Sub "${Repo}:${Env}"')
    long, _ = resolve("{'Fn::Sub': '${Repo}:${Env}'}")
    assert str(short) == str(long)


# -- CDK construct paths ------------------------------------------------------------------

CDK_TEMPLATE = """\
Resources:
  ProviderA1B2C3D4:
    Type: Custom::AWSCDKOpenIdConnectProvider
    Properties: {Url: "https://token.actions.githubusercontent.com"}
    Metadata: {"aws:cdk:path": "Ci/Provider/Resource/Default"}
  RoleE5F6A7B8:
    Type: AWS::IAM::Role
    Metadata: {"aws:cdk:path": "Ci/Role/Resource"}
  TwinA:
    Type: AWS::IAM::Role
    Metadata: {"aws:cdk:path": "Ci/Twin"}
  TwinB:
    Type: AWS::IAM::Role
    Metadata: {"aws:cdk:path": "Ci/Twin"}
  Plain:
    Type: AWS::IAM::Role
"""


def test_cdk_resources_are_addressed_by_their_construct_path():
    resolver, test = resolver_for("""\
        Arn: !Ref ProviderA1B2C3D4
        Host: !Select [1, !Split ["oidc-provider/", !Ref ProviderA1B2C3D4]]
        Role: !GetAtt RoleE5F6A7B8.Arn
    """, CDK_TEMPLATE)
    assert resolver.address_of("ProviderA1B2C3D4") == "Ci/Provider/Resource/Default"
    assert resolver.address_of("TwinA") == "TwinA" and resolver.address_of("Plain") == "Plain"
    value = resolver.resolve(test)
    assert value["Arn"].ref == "Ci/Provider/Resource/Default"
    assert value["Host"] == "token.actions.githubusercontent.com"
    assert value["Role"].ref == "Ci/Role/Resource"
