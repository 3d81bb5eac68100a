"""JSON text in a CloudFormation template (a policy written as a string, through Fn::Sub or
Fn::Join): read with the values substituted into it, and every value located at its exact
place in the template, or at the whole expression where it cannot be traced."""

from __future__ import annotations

from pathlib import Path

from intrinsics_template import TEMPLATE, line_of, resolver_for
from oidclint.located.documents import load_documents
from oidclint.readers.cloudformation.intrinsics import Resolver
from oidclint.source import Partial, SourceFile, Unknown


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
