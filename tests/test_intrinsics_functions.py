"""CloudFormation intrinsic functions over lists and strings, Fn::If, Fn::FindInMap and the
rest: what each gives for known, unknown and conditional inputs; and input of the wrong shape,
cycles and deep nesting, reported as problems, never raised."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intrinsics_template import TEMPLATE, resolve, resolver_for
from oidclint.source import Choice, Partial, Str, Unknown


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
