"""CloudFormation Conditions decided from parameter defaults (Fn::Equals, Fn::And, Fn::Or,
Fn::Not, Condition), left undecided where a value is unknown, and the branches of Fn::If they
select."""

from __future__ import annotations

import pytest

from intrinsics_template import line_of, resolver_for
from oidclint.source import Choice


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
