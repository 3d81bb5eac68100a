"""Sizes checked before values are built: the measures the checks rest on, the functions
oidclint added with them, and what a refusal does (it is never taken for an error of the
code: ``try()`` and ``can()`` do not hide it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oidclint.hcl.evaluate import evaluate_source
from oidclint.hcl.module import Module
from oidclint.hcl.syntax import parse_file
from oidclint.hcl.values import EvalError, json_text
from oidclint.limits import (
    MAX_STRING_LENGTH, TooLarge, allowance, json_length, reserve_elements, reserve_text,
)
from oidclint.source import Partial, Span, Str, Unknown, concat

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=20)


@given(JSON)
def test_json_length_is_the_length_of_the_json_text(value):
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert json_length(value, "x") == len(text)


def test_json_length_counts_a_shared_value_at_every_use_without_building_it():
    line = "x" * 1000
    shared = [line] * 1000  # about a megabyte of JSON from a few kilobytes held
    assert json_length(shared, "x", limit=2_000_000) == 1000 * 1002 + 999 + 2
    with pytest.raises(TooLarge, match="jsonencode\\(\\) would build a string longer"):
        json_text([shared] * 10)


def test_reserve_refuses_past_each_limit_and_charges_the_allowance():
    reserve_text(MAX_STRING_LENGTH, "x")
    with pytest.raises(TooLarge, match="f\\(\\) would build a string longer than the "
                                       "1,000,000-character limit"):
        reserve_text(MAX_STRING_LENGTH + 1, "f()")
    with allowance(characters=10, elements=3):
        reserve_text(10, "x")
        reserve_elements(3, "x")
        with pytest.raises(TooLarge, match="characters of strings in all") as first:
            reserve_text(1, "x")
        with pytest.raises(TooLarge) as again:
            reserve_elements(1, "x")
    assert not first.value.repeated and again.value.repeated  # reported once
    reserve_text(MAX_STRING_LENGTH, "x")  # the allowance ended with its block


def test_concat_checks_before_joining_and_stays_linear():
    piece = Str("x" * 1000)
    assert len(concat([piece] * 1000)) == MAX_STRING_LENGTH
    with pytest.raises(TooLarge, match="joining strings would build"):
        concat([piece] * 1001)
    unknown = Unknown("var.x")
    joined = concat(["a", "b", unknown, "c", Partial(("d", unknown)), "e"])
    assert joined.parts == ("ab", unknown, "cd", unknown, "e")
    assert concat([]) == "" and concat([unknown]) is unknown


@pytest.mark.parametrize("expression, expected", [
    ('strrev("abc")', "cba"),
    ('indent(2, "a\\nb\\n")', "a\n  b\n  "),
    ("range(3)", [0, 1, 2]),
    ("range(1, 4)", [1, 2, 3]),
    ("range(4, 1)", [4, 3, 2]),
    ("range(0, 10, 3)", [0, 3, 6, 9]),
    ('setproduct(["a", "b"], [1, 2])', [["a", 1], ["a", 2], ["b", 1], ["b", 2]]),
    ('join("-", ["a", "b"])', "a-b"),
    ('replace("aaa", "a", "bb")', "bbbbbb"),
    ('replace("abc", "/b/", "x")', "axc"),
])
def test_functions(expression, expected):
    assert evaluate_source(expression) == expected


def test_functions_that_stay_unknown_rather_than_guess():
    assert isinstance(evaluate_source('strrev("é\u0301a")'), Unknown)  # graphemes, not code points
    assert isinstance(evaluate_source("range(1, 4, -1)"), Unknown)
    with pytest.raises(EvalError, match="more than 1024 numbers"):  # Terraform's own limit
        evaluate_source("range(2000)")


@pytest.mark.parametrize("expression, message", [
    ('format("%0800000000d", 1)', "format() would build a string longer"),
    ('format("%-800000000s", "a")', "format() would build a string longer"),
    ('format("%.900000000f", 1.5)', "format() would build a string longer"),
    ('indent(900000000, "a\\nb")', "indent() would build a string longer"),
    ('replace(format("%0900000d", 0), "0", "00")', "replace() would build a string longer"),
    ('replace(format("%0900000d", 0), "/0/", "00")', "replace() would build a string longer"),
    ('split("", format("%0300000d", 0))', "split() would build a value of more than 200,000"),
    ('join(format("%0900000d", 0), ["a", "b", "c"])', "join() would build a string longer"),
    ('"%{for x in split("", format("%09d", 0))}${format("%0200000d", 0)}%{endfor}"',
     "a template would build a string longer"),
    ("[for a in range(1000) : [for b in range(1000) : b]]",
     "a for expression with more than 200,000 elements"),
    ('[for a in range(1000) : format("%020000d", a)]',
     "a for expression holding more than 10,000,000 characters"),
    ("setproduct(range(100), range(100), range(100))",
     "setproduct() would build a value of more than 200,000 elements"),
    ('{for a in range(1000) : a => format("%020000d", a)}',
     "a for expression holding more than 10,000,000 characters"),
])
def test_each_builder_refuses_before_building(expression, message):
    with pytest.raises(TooLarge) as refused:
        evaluate_source(expression)
    assert message in str(refused.value)


@pytest.mark.parametrize("wrapper", ["try({}, \"fallback\")", "can({})"])
def test_try_and_can_do_not_hide_a_refusal(wrapper):
    # Terraform would build the value: falling back would be a value Terraform never sees.
    with pytest.raises(TooLarge):
        evaluate_source(wrapper.format('format("%0800000000d", 1)'))
    assert evaluate_source(wrapper.format('format("%d", "x")')) in ("fallback", False)


def test_a_refused_value_is_reported_with_its_file_and_the_allowance_once(tmp_path: Path):
    text = 'locals {\n  a = format("%0800000000d", 1)\n  b = local.a\n' + "".join(
        f'  n{i} = format("%0900000d", {i})\n' for i in range(80)) + "}\n"
    module = Module(".", parse_file(text, "main.tf"), tmp_path)
    with allowance():
        assert isinstance(module.local("a", Span("main.tf", 1)), Unknown)
        assert isinstance(module.local("b", Span("main.tf", 1)), Unknown)
        values = [module.local(f"n{i}", Span("main.tf", 1)) for i in range(80)]
    assert sum(isinstance(v, Unknown) for v in values) == 80 - 71
    assert [(span.path, span.line, message) for span, message in module.problems] == [
        ("main.tf", 2, "a: format() would build a string longer than the 1,000,000-character "
                       "limit; not evaluated"),
        ("main.tf", 75, "n71: the evaluation built more than 64,000,000 characters of strings "
                        "in all; not evaluated")]
