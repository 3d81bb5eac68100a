"""Tracing the characters of a YAML/JSON string back to where they are written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.located.documents import load_documents
from oidclint.located.scalar_positions import scalar_positions
from oidclint.source import SourceFile


def traced(text: str, json_mode: bool = False):
    value = load_documents(text, "f", json_mode=json_mode)[0]["k"]
    if isinstance(value, dict):  # a short-form tag: {"Fn::Sub": the string}
        (value,) = value.values()
    return value, scalar_positions(SourceFile("f", Path("f"), text), value)


def written(text: str, extent) -> str:
    (line, column), (end_line, end_column) = extent
    lines = text.splitlines()
    if line == end_line:
        return lines[line - 1][column - 1:end_column - 1]
    return lines[line - 1][column - 1:] + "\n"


@pytest.mark.parametrize("text, expected", [
    ('k: "a\\"b\\u0041"\n', ["a", '\\"', "b", "\\u0041"]),
    ("k: 'it''s'\n", ["i", "t", "''", "s"]),
    ("k: plain text\n", list("plain text")),
    ("k: !Sub 'x${A}'\n", list("x${A}")),
    ("k: |\n  ab\n  c\n", ["a", "b", "\n", "c", "\n"]),
    ("k: |2\n    ab\n", [" ", " ", "a", "b", "\n"]),
])
def test_each_character_is_traced_to_its_written_form(text, expected):
    value, positions = traced(text)
    assert [written(text, extent) for extent in positions] == expected


@pytest.mark.parametrize("text", [
    "k: >\n  folded\n  text\n",
    'k: "two\n  lines"\n',
    "k: 'two\n  lines'\n",
])
def test_folded_and_multi_line_quoted_scalars_are_not_traced(text):
    assert traced(text)[1] is None


def test_a_value_not_read_from_that_place_is_not_traced():
    text = "k: abc\n"
    value = load_documents(text, "f")[0]["k"]
    other = SourceFile("f", Path("f"), "k: xyz\n")
    assert scalar_positions(other, value) is None


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FF), max_size=30))
def test_any_json_string_is_traced_to_itself(string):
    text = json.dumps({"k": string})
    value, positions = traced(text, json_mode=True)
    assert value == string and positions is not None and len(positions) == len(string)
    for char, extent in zip(string, positions):
        assert json.loads('"' + written(text, extent) + '"') == char


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30))
def test_any_single_quoted_yaml_string_is_traced_to_itself(string):
    text = "k: " + yaml.safe_dump(string, default_style="'", width=1000).strip() + "\n"
    value, positions = traced(text)
    assert value == string and positions is not None
    assert "".join(written(text, e).replace("''", "'") for e in positions) == string
