"""CloudFormation intrinsic functions: what each one gives for known and unknown inputs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.graph import TrustGraph
from oidclint.readers.cloudformation.reader import parse_cloudformation
from oidclint.readers.cloudformation.intrinsics import PSEUDO_PARAMETERS, Resolver
from oidclint.located.documents import load_documents
from oidclint.source import Choice, LDict, LList, Partial, SourceFile, Str, Unknown

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Repo:
    Type: String
    Default: acme/api
  Env:
    Type: String
  Audiences:
    Type: CommaDelimitedList
    Default: "sts.amazonaws.com, api"
  Issuer:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /ci/issuer
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Issuers:
    gitlab:
      host: gitlab.com
      audiences: [a, b]
    "123456789012":
      host: numeric-key.example.com
Resources:
  GitHub:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
  Cluster:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: !Sub "https://oidc.eks.${AWS::Region}.amazonaws.com/id/${Env}"
  CdkProvider:
    Type: Custom::AWSCDKOpenIdConnectProvider
    Properties:
      Url: https://gitlab.com
      ClientIDList: [https://gitlab.com]
  Named:
    Type: AWS::IAM::Role
    Properties:
      RoleName: deploy
      Path: /ci/
  Generated:
    Type: AWS::IAM::Role
    Properties: {}
  Admin:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: admin
  Bucket:
    Type: AWS::S3::Bucket
"""


def resolver_for(expressions: str, template: str = TEMPLATE) -> tuple[Resolver, dict]:
    """A resolver over the template, and the expressions written under a ``Test`` key."""
    text = template + "Test:\n" + textwrap.indent(textwrap.dedent(expressions), "  ")
    document = load_documents(text, "stack.yaml")[0]
    return Resolver(document, SourceFile("stack.yaml", Path("stack.yaml"), text)), document["Test"]


def resolve(expression: str) -> tuple[object, Resolver]:
    resolver, test = resolver_for(f"X: {expression}\n")
    return resolver.resolve(test["X"]), resolver


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


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


# -- lists and strings --------------------------------------------------------------------


def test_join_known_and_unknown():
    known, _ = resolve('!Join [":", [a, !Ref Repo]]')
    partial, _ = resolve('!Join ["", ["arn:aws:iam::", !Ref "AWS::AccountId", ":root"]]')
    assert known == "a:acme/api"
    assert isinstance(partial, Partial) and str(partial) == "arn:aws:iam::${AWS::AccountId}:root"


def test_join_of_an_unknown_list_is_unknown():
    value, _ = resolve('!Join [",", !GetAZs ""]')
    assert isinstance(value, Unknown)


def test_join_with_a_conditional_item_gives_both_strings():
    value, _ = resolve('!Join [":", [repo, !If [IsProd, main, !Ref "AWS::NoValue"]]]')
    assert isinstance(value, Choice) and value.options == ("repo:main", "repo")
    assert value.origin == "Fn::If IsProd"


def test_select_and_split():
    value, _ = resolve('!Select [1, !Split [",", "a,b,c"]]')
    parts, _ = resolve('!Split [",", "a,b,c"]')
    assert value == "b" and parts == ["a", "b", "c"]


def test_select_with_an_index_given_as_a_string():
    value, _ = resolve('!Select ["0", [x, y]]')
    assert value == "x"


def test_cdk_issuer_idiom_select_split_of_a_provider_arn():
    value, _ = resolve('!Select [1, !Split [":oidc-provider/", !Ref GitHub]]')
    assert value == "token.actions.githubusercontent.com" and isinstance(value, Str)


def test_split_of_a_partial_keeps_unknown_pieces():
    value, _ = resolve('!Split [":", !Sub "a:${Env}:b"]')
    assert [str(v) for v in value] == ["a", "${parameter Env}", "b"]


def test_select_out_of_range_is_a_problem():
    value, resolver = resolve("!Select [5, [a, b]]")
    assert isinstance(value, Unknown)
    assert any("out of range" in message for _, message in resolver.problems)


def test_select_from_unknown_list_is_unknown():
    value, _ = resolve("!Select [0, !Ref Env]")
    assert isinstance(value, Unknown)


# -- Fn::If, Fn::FindInMap and the rest ---------------------------------------------------


def test_if_gives_both_branches():
    resolver, test = resolver_for("X: !If [IsProd, main, !Ref AWS::NoValue]\n")
    value = resolver.resolve(test["X"])
    assert isinstance(value, Choice) and value.options == ("main", None)
    assert value.origin == "Fn::If IsProd" and value.span == test["X"].span


def test_if_with_an_undeclared_condition_is_a_problem():
    value, resolver = resolve("!If [Nope, a, b]")
    assert isinstance(value, Choice)
    assert any("undeclared condition Nope" in message for _, message in resolver.problems)


def test_find_in_map_known_keys():
    resolver, test = resolver_for("X: !FindInMap [Issuers, gitlab, host]\nY: !FindInMap [Issuers, gitlab, audiences]\n"
                                  "Z: !FindInMap [Issuers, 123456789012, host]\n")
    value = resolver.resolve(test["X"])
    assert value == "gitlab.com" and value.span == test["X"].span
    assert resolver.resolve(test["Y"]) == ["a", "b"]
    assert resolver.resolve(test["Z"]) == "numeric-key.example.com"


def test_find_in_map_with_an_unknown_key_is_a_choice_of_the_values_it_could_name():
    value, resolver = resolve('!FindInMap [Issuers, !Ref "AWS::Region", host]')
    assert isinstance(value, Choice) and value.origin.startswith("Fn::FindInMap")
    assert value.options == ("gitlab.com", "numeric-key.example.com")
    assert all(option.span == value.span for option in value.options)
    assert not resolver.problems


def test_find_in_map_with_an_unknown_key_and_a_default_includes_the_default():
    value, _ = resolve('!FindInMap [Issuers, !Ref "AWS::Region", host, {DefaultValue: other.example}]')
    assert value.options == ("gitlab.com", "numeric-key.example.com", "other.example")


def test_find_in_map_with_an_unknown_second_key_takes_every_value_of_the_entry():
    value, _ = resolve('!FindInMap [Issuers, gitlab, !Ref "AWS::Region"]')
    assert isinstance(value, Choice)
    assert [str(o) for o in value.options] == ["gitlab.com", "['a', 'b']"]


def test_find_in_map_with_a_partly_known_key_takes_the_keys_that_fit():
    value, _ = resolve('!FindInMap [Issuers, !Sub "git${Env}", host]')
    assert value == "gitlab.com"


def test_find_in_map_with_an_unknown_map_name_or_no_fitting_entry_is_unknown():
    unknown_map, _ = resolve('!FindInMap [!Ref Env, gitlab, host]')
    nothing, resolver = resolve('!FindInMap [Issuers, !Ref Env, nope]')
    assert isinstance(unknown_map, Unknown) and isinstance(nothing, Unknown)
    assert not resolver.problems


def test_find_in_map_choice_keys_and_a_list_property():
    template = TEMPLATE.replace("Conditions:\n", "Conditions:\n  Never: !Equals [a, b]\n")
    resolver, test = resolver_for('X: !FindInMap [Issuers, !If [IsProd, gitlab, "123456789012"], host]\n',
                                  template)
    value = resolver.resolve(test["X"])
    assert isinstance(value, Choice) and set(value.options) == {"gitlab.com", "numeric-key.example.com"}


def test_find_in_map_missing_entry_is_a_problem_unless_defaulted():
    missing, resolver = resolve("!FindInMap [Issuers, github, host]")
    defaulted, _ = resolve("!FindInMap [Issuers, github, host, {DefaultValue: fallback}]")
    assert isinstance(missing, Unknown) and resolver.problems
    assert defaulted == "fallback"


@pytest.mark.parametrize("expression, origin", [
    ("!ImportValue shared-provider-arn", "Fn::ImportValue shared-provider-arn"),
    ('!GetAZs ""', "Fn::GetAZs"),
    ('!Cidr ["10.0.0.0/16", 4, 8]', "Fn::Cidr"),
    ("!Base64 {Ref: Env}", "Fn::Base64 of ${parameter Env}"),
])
def test_functions_whose_value_is_not_known(expression, origin):
    value, resolver = resolve(expression)
    assert isinstance(value, Unknown) and value.origin == origin
    assert not resolver.problems


def test_base64_of_a_known_string():
    value, _ = resolve("!Base64 abc")
    assert value == "YWJj"


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "{Ref: [a, b]}", "{Ref: {a: b}}", "!Ref ''", "!GetAtt OnlyOnePart", "!GetAtt [a, b, c]",
    "{'Fn::GetAtt': {a: b}}", "!Sub [1, 2, 3]", "{'Fn::Sub': {a: b}}", "!Join [only]",
    "!Join [',', notalist]", "{'Fn::Join': null}", "!Select [a, [x]]", "!Select [-1, [x]]",
    "!Select [0, notalist]", "!Split [',']", "!Split ['', abc]", "!If [IsProd, a]", "!If {a: b}",
    "!FindInMap [a]", "{'Fn::Unknown': x}", "!Equals [a, b]", "!Join [{a: b}, [x]]",
    "!Sub ['${X}', {X: [1, 2]}]", "!Join ['', [[nested], list]]",
])
def test_wrong_shapes_are_not_known_and_a_problem(expression):
    value, resolver = resolve(expression)
    assert isinstance(value, (Unknown, Partial)), value
    assert resolver.problems


def test_cycles_through_resources_terminate():
    template = TEMPLATE + """\
  A:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Ref B
  B:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${A}-b"
  Self:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !GetAtt Self.Arn
"""
    resolver, test = resolver_for("A: !Ref A\nS: !GetAtt Self.Arn\n", template)
    value = resolver.resolve(test)
    assert "circular reference" in str(value["A"]) and "circular reference" in str(value["S"])
    assert any("circular reference" in message for _, message in resolver.problems)


def test_deep_nesting_is_unknown_not_a_crash():
    expression = "a"
    for _ in range(60):
        expression = f"{{'Fn::Join': ['', [{expression}]]}}"
    value, resolver = resolve(expression)
    assert isinstance(value, Unknown)
    assert any("too deeply" in message for _, message in resolver.problems)


def test_a_long_chain_of_role_references_is_bounded():
    roles = "".join(f"  R{i}:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Ref R{i + 1}\n"
                    for i in range(300))
    resolver, test = resolver_for("X: !Ref R0\n", TEMPLATE + roles)
    assert isinstance(resolver.resolve(test["X"]), Unknown)


_NAMES = st.sampled_from(["Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join", "Fn::Select", "Fn::Split",
                          "Fn::If", "Fn::FindInMap", "Fn::Base64", "Fn::ImportValue", "Fn::Nope",
                          "Fn::Length", "Fn::ToJsonString"])
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 5),
                    st.sampled_from(["GitHub", "Named", "Repo", "Env", "AWS::NoValue", "IsProd",
                                     "Named.Arn", "${Repo}", "${GitHub.Arn}:sub", ",", "", "x"]))
_EXPRESSIONS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.builds(lambda name, arg: {name: arg}, _NAMES, inner),
        st.dictionaries(st.sampled_from(["a", "b", "Ref"]), inner, max_size=3),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_EXPRESSIONS)
def test_any_expression_resolves_without_raising(expression):
    resolver, _ = resolver_for("X: 1\n")
    resolver.resolve(expression)
    resolver.json_value(expression)


# -- JSON text ----------------------------------------------------------------------------


def test_json_text_in_a_literal_block_keeps_exact_spans():
    resolver, test = resolver_for("""\
        Doc: !Sub |
          {
            "Principal": {"Federated": "${GitHub}"},
            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:${Repo}:*"}}
          }
    """)
    text = resolver.file.text
    value = resolver.json_value(test["Doc"])
    federated = value["Principal"]["Federated"]
    assert isinstance(federated, Partial) and federated.ref == "GitHub"
    assert federated.span.line == line_of(text, '"Principal"')
    (key, pattern), = value["Condition"]["StringLike"].items()
    assert pattern == "repo:acme/api:*"
    assert key.span.line == line_of(text, '"Condition"')
    assert key.span.column == text.splitlines()[key.span.line - 1].index('"token') + 1


def test_json_text_with_computed_keys_cdk_cfn_json():
    template = TEMPLATE + """\
  Audience:
    Type: Custom::AWSCDKCfnJson
    Properties:
      Value: !Join ["", ['{"', !Select [1, !Split [":oidc-provider/", !Ref Cluster]], ':aud": "sts.amazonaws.com"}']]
"""
    resolver, test = resolver_for("X: !GetAtt Audience.Value\n", template)
    value = resolver.resolve(test["X"])
    (key, audience), = value.items()
    assert isinstance(key, Partial)
    assert str(key) == "oidc.eks.${AWS::Region}.amazonaws.com/id/${parameter Env}:aud"
    assert audience == "sts.amazonaws.com"


def test_invalid_json_text_is_a_problem():
    resolver, test = resolver_for("X: '{\"Statement\": ['\n")
    value = resolver.json_value(test["X"])
    assert isinstance(value, Unknown)
    assert any("not valid JSON" in message for _, message in resolver.problems)


def test_json_text_splices_values_that_carry_json():
    template = TEMPLATE.replace("  Env:\n    Type: String\n",
                                '  Env:\n    Type: String\n  Extra:\n    Type: String\n'
                                '    Default: \'"b": 2\'\n')
    resolver, test = resolver_for('X: !Sub \'{"a": 1, ${Extra}}\'\n', template)
    assert resolver.json_value(test["X"]) == {"a": 1, "b": 2}


# -- Conditions ---------------------------------------------------------------------------

CONDITIONS = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
    Default: dev
  Flag:
    Type: String
    Default: "true"
  Unset:
    Type: String
  Tier:
    Type: String
    Default: gold
Mappings:
  Tiers:
    gold: {Level: high}
    silver: {Level: high}
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
  IsProd: !Equals [prod, !Ref Stage]
  FlagOn: !Equals [!Ref Flag, true]
  InUsEast: !Equals [!Ref "AWS::Region", us-east-1]
  Unknown: !Equals [!Ref Unset, x]
  DevAndFlag: !And [!Condition IsDev, !Condition FlagOn]
  DevOrRegion: !Or [!Condition IsDev, !Condition InUsEast]
  ProdAndRegion: !And [!Condition IsProd, !Condition InUsEast]
  ProdOrRegion: !Or [!Condition IsProd, !Condition InUsEast]
  NotDev: !Not [!Condition IsDev]
  NotRegion: !Not [!Condition InUsEast]
  HighTier: !Equals [!FindInMap [Tiers, !Ref "AWS::Region", Level], high]
  PrefixedRegion: !Equals [!Sub "eu-${AWS::Region}", us-east-1]
  Loop: !Not [!Condition Loop]
  Malformed: !Not [a, b]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
"""


@pytest.mark.parametrize("name, decision", [
    ("IsDev", True), ("IsProd", False), ("FlagOn", True), ("InUsEast", None), ("Unknown", None),
    ("DevAndFlag", True), ("DevOrRegion", True), ("ProdAndRegion", False), ("ProdOrRegion", None),
    ("NotDev", False), ("NotRegion", None), ("HighTier", True), ("PrefixedRegion", False),
    ("Undeclared", None),
])
def test_conditions_are_decided_from_parameter_defaults(name, decision):
    resolver, _ = resolver_for("X: 1\n", CONDITIONS)
    assert resolver.condition(name) is decision


def test_a_condition_that_refers_to_itself_or_is_malformed_is_undecided_and_a_problem():
    resolver, _ = resolver_for("X: 1\n", CONDITIONS)
    assert resolver.condition("Loop") is None and resolver.condition("Malformed") is None
    messages = [message for _, message in resolver.problems]
    assert any("refers to itself" in m for m in messages)
    assert any("cannot evaluate the condition" in m for m in messages)


def test_if_takes_the_branch_its_decided_condition_selects():
    resolver, test = resolver_for("""\
        T: !If [IsDev, dev-value, prod-value]
        F: !If [IsProd, prod-value, dev-value]
        U: !If [InUsEast, east, elsewhere]
        Gone: {Keep: a, Drop: !If [IsDev, !Ref AWS::NoValue, b]}
        List: [a, !If [IsProd, b, !Ref AWS::NoValue], c]
    """, CONDITIONS)
    value = resolver.resolve(test)
    assert value["T"] == "dev-value" and value["F"] == "dev-value"
    assert value["T"].span.line == line_of(resolver.file.text, "T: !If")
    assert isinstance(value["U"], Choice) and value["U"].options == ("east", "elsewhere")
    assert value["Gone"] == {"Keep": "a"} and value["List"] == ["a", "c"]


def test_taken_branches():
    resolver, _ = resolver_for("X: 1\n", CONDITIONS)
    assert resolver.taken_branches(["IsDev", "a", "b"]) == ["a"]
    assert resolver.taken_branches(["NotDev", "a", "b"]) == ["b"]
    assert resolver.taken_branches(["InUsEast", "a", "b"]) == ["a", "b"]
    assert resolver.taken_branches(["IsDev", "a"]) is None


def test_json_text_if_takes_the_decided_branch():
    resolver, test = resolver_for("""\
        Doc: !If [IsDev, '{"Statement": []}', !Ref AWS::NoValue]
        None: !If [IsProd, '{"Statement": []}', !Ref AWS::NoValue]
    """, CONDITIONS)
    assert resolver.json_value(test["Doc"]) == {"Statement": []}
    assert resolver.json_value(test["None"]) is None


# -- JSON text spans ----------------------------------------------------------------------


def _span_text(resolver: Resolver, span) -> str:
    line = resolver.file.text.splitlines()[span.line - 1]
    assert span.end_line == span.line
    return line[span.column - 1:span.end_column - 1]


def test_json_text_in_a_single_quoted_sub_keeps_exact_spans_after_substitutions():
    resolver, test = resolver_for(
        "Doc: !Sub '{\"${Repo}:x\": \"it''s\", \"k\": \"repo:${Repo}:*\"}'\n")
    value = resolver.json_value(test["Doc"])
    keys = list(value)
    assert _span_text(resolver, keys[0].span) == '"${Repo}:x"'
    assert _span_text(resolver, value[keys[0]].span) == "\"it''s\""
    assert _span_text(resolver, value["k"].span) == '"repo:${Repo}:*"'
    assert value["k"] == "repo:acme/api:*"


def test_json_text_in_a_json_string_with_escapes_keeps_exact_spans():
    template = ('{"Parameters": {"Repo": {"Type": "String", "Default": "acme/api"}}, "Resources": {},'
                ' "Test": {"Doc": {"Fn::Sub": "{\\"k\\u0041\\": \\"${Repo}\\"}"}}}')
    document = load_documents(template, "t.json", json_mode=True)[0]
    resolver = Resolver(document, SourceFile("t.json", Path("t.json"), template))
    value = resolver.json_value(document["Test"]["Doc"])
    (key, item), = value.items()
    assert key == "kA" and item == "acme/api"
    assert _span_text(resolver, key.span) == '\\"k\\u0041\\"'
    assert _span_text(resolver, item.span) == '\\"${Repo}\\"'


def test_json_text_in_a_literal_block_keeps_exact_columns_after_a_substitution():
    resolver, test = resolver_for("""\
        Doc: !Sub |
          {"a": "${GitHub}", "b": "after"}
    """)
    value = resolver.json_value(test["Doc"])
    assert _span_text(resolver, value["b"].span) == '"after"'
    assert _span_text(resolver, value["a"].span) == '"${GitHub}"'


def test_json_text_that_cannot_be_traced_points_at_the_whole_expression():
    resolver, test = resolver_for("""\
        Doc: !Sub >
          {"a": "b"}
    """)
    value = resolver.json_value(test["Doc"])
    assert value["a"].span == test["Doc"].span


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
