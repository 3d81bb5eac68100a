"""GitHub Actions expressions: the syntax of `${{ }}` and the values of conditions, decided
as far as what is known decides them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.readers.workloads.github_expression_values import (
    OneOf, Undecided, evaluate, loose_equals, truthy,
)
from oidclint.readers.workloads.github_expressions import (
    MAX_TOKENS, Binary, ExpressionError, Literal, Scope, alternatives, parse, reference,
)


def value(text: str, **known):
    """The value of an expression where the references in ``known`` (``github.ref`` written
    ``github_ref``) have values and every other is not known."""
    def resolve(path, written):
        key = "_".join(path)
        return known[key] if key in known else Undecided((written,))
    return evaluate(parse(text), resolve)


@pytest.mark.parametrize("text, expected", [
    # Literals: JSON numbers, hexadecimal, exponents, quotes doubled inside strings.
    ("711", 711), ("-9.2", -9.2), ("0xff", 255), ("-2.99e-2", -0.0299), ("null", None),
    ("'It''s open source!'", "It's open source!"), ("true", True),
    # Strings compare ignoring case; other types compare as numbers.
    ("'refs/heads/Main' == 'refs/heads/main'", True), ("'a' != 'A'", False),
    ("null == 0", True), ("null == ''", True), ("true == 1", True), ("'1' == 1", True),
    ("'abc' == 0", False), ("'' == false", True), ("'2' == 2.0", True),
    ("2 > 1", True), ("'b' >= 'A'", True), ("'x' < 1", False),
    # && and || give one of their operands; ! and comparisons bind tighter.
    ("'a' && 'b'", "b"), ("'' || 'dev'", "dev"), ("0 || null", None), ("!'x'", False),
    ("true || false && false", True), ("!true == false", True), ("!(1 == 1)", False),
    ("1 == 1 && 2 == 2", True),
    # Functions, whatever the case of their names.
    ("contains('Hello World', 'world')", True), ("contains(fromJSON('[\"a\", \"b\"]'), 'B')", True),
    ("contains(fromJson('[\"push\", \"workflow_dispatch\"]'), 'pull_request')", False),
    ("startsWith('refs/tags/v1', 'refs/TAGS/')", True), ("endsWith('main', 'AIN')", True),
    ("format('refs/heads/{0}-{1}', 'release', 2)", "refs/heads/release-2"),
    ("format('{{0}}', 'x')", "{0}"), ("join(fromJSON('[\"a\", 1, true]'), '+')", "a+1+true"),
    ("fromJSON('{\"a\": {\"b\": 3}}').a.b", 3), ("fromJSON('[4, 5]')[1]", 5),
    ("success()", True), ("always()", True),
])
def test_known_values(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize("text, truth, depends", [
    ("env.DEPLOY == 'true'", None, ("env.DEPLOY",)),
    ("vars.ENABLED", None, ("vars.ENABLED",)),
    ("steps.plan.outputs.changed == 'true' && false", False, ("steps.plan.outputs.changed",)),
    ("steps.plan.outputs.changed == 'true' || true", True, ("steps.plan.outputs.changed",)),
    ("failure()", None, ("failure()",)),
    ("success() || failure()", True, ()),
    ("!inputs.dry_run", None, ("inputs.dry_run",)),
    ("hashFiles('**/*.tf') != ''", None, ("hashFiles('**/*.tf')",)),
    ("matrix[env.KEY] == 'x'", None, ("matrix[env.KEY]",)),
    ("github.event.commits.*.message", None, ("github.event.commits.*.message",)),
])
def test_what_is_not_known_before_the_run(text, truth, depends):
    result = value(text)
    assert truthy(result) is truth
    if isinstance(result, Undecided):
        assert result.origins == depends


def test_a_reference_has_the_value_its_run_gives_it():
    assert value("github.event_name == 'push' && github.ref == 'refs/heads/main'",
                 github_event_name="push", github_ref="refs/heads/main") is True
    assert value("github.event_name != 'pull_request'", github_event_name="push") is True
    # Property and index access are the same reference.
    assert value("github['event_name'] == 'PUSH'", github_event_name="push") is True


def test_one_of_several_options_decides_what_every_option_agrees_on():
    stage = OneOf(["staging", "production"], "inputs.stage")
    assert value("inputs.stage == 'dev'", inputs_stage=stage) is False
    assert truthy(value("inputs.stage == 'staging'", inputs_stage=stage)) is None
    assert value("startsWith(inputs.stage, 's') || inputs.stage == 'production'",
                 inputs_stage=stage) is not False
    assert value("contains(fromJSON('[\"qa\"]'), inputs.stage)", inputs_stage=stage) is False


def test_loose_equality_follows_githubs_number_coercion():
    assert loose_equals(float("nan"), float("nan")) is False
    assert loose_equals([], []) is False  # arrays are equal only to themselves
    listed = [1]
    assert loose_equals(listed, listed) is True
    assert loose_equals("0x10", 16) is True


@pytest.mark.parametrize("text", [
    "", "   ", "github.ref ==", "'unclosed", "a b", "(a", "a)", "nosuch(1)", "contains('a')",
    "a.'b'", "1 +", '"double"', "a[1", "!",
])
def test_text_that_is_no_expression_is_refused(text):
    with pytest.raises(ExpressionError):
        parse(text)


def test_expressions_too_long_or_too_deep_are_refused_not_overflowed():
    with pytest.raises(ExpressionError):
        parse(" || ".join(["a"] * MAX_TOKENS))
    with pytest.raises(ExpressionError):
        parse("(" * 500 + "a" + ")" * 500)
    with pytest.raises(ExpressionError):
        parse("!" * 1000 + "a")


def test_the_syntax_tree_keeps_the_text_of_each_part():
    tree = parse("inputs.env || github.event.inputs['env'] || 'dev'")
    assert [p.text for p in alternatives(tree)] == [
        "inputs.env", "github.event.inputs['env']", "'dev'"]
    assert reference(alternatives(tree)[1]) == ("github", "event", "inputs", "env")
    assert isinstance(parse("(1 == 1)"), Binary)
    assert isinstance(parse("'x'"), Literal)


def test_values_written_with_expressions_still_resolve_as_before():
    scope = Scope(({"STAGE": "prod"},), {"region": "eu-west-1"})
    assert scope.resolve("${{ env.STAGE }}-${{ inputs.region }}") == "prod-eu-west-1"
    assert scope.resolve("${{ 'literal' }}") == "literal"
    assert str(scope.resolve("${{ secrets.ROLE }}")) == "${secrets.ROLE}"
    # `env['STAGE']` is the same reference as `env.STAGE`.
    assert scope.resolve("${{ env['STAGE'] }}") == "prod"
    # Not an expression: unknown, never an error.
    assert str(scope.resolve("${{ env.STAGE == }}")) == "${env.STAGE ==}"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab.'()[]!=<>&|, 0x1*-eE\"", max_size=60))
def test_any_text_parses_or_is_refused_and_evaluates_without_error(text):
    try:
        tree = parse(text)
    except ExpressionError:
        return
    result = evaluate(tree, lambda path, written: Undecided((written,)))
    assert truthy(result) in (True, False, None)
