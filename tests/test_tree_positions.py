"""Tree positions: ``oidclint.hcl.syntax`` parses with python-hcl2's grammar but without
Lark's ``propagate_positions``, and places a subtree by its tokens when asked
(``span_of_node``). Every span a finding points at comes from there, so each subtree's span
must be the one Lark's own positions give, on every Terraform file of the fixtures and
sample stacks and on generated expressions."""

from __future__ import annotations

import hcl2
import pytest
from hcl2 import parser as hcl2_parser
from conftest import FIXTURES, SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Token, Tree
from oidclint.cache import Cache
from oidclint.hcl import syntax
from oidclint.source import Span

TF_FILES = sorted([*FIXTURES.rglob("*.tf"), *SAMPLES.rglob("*.tf")])


def _lark_span(node: Tree | Token) -> Span:
    """The span as it was computed from Lark's own positions (``propagate_positions``)."""
    if isinstance(node, Token):
        return syntax.span_of_node("f.tf", node)
    meta = node.meta
    if getattr(meta, "empty", True):
        return Span("f.tf", 1, 1)
    last = syntax._last_token(node)
    if last is None:
        return Span("f.tf", meta.line, meta.column, meta.end_line, meta.end_column)
    end = syntax.span_of_node("f.tf", last)
    return Span("f.tf", meta.line, meta.column, end.end_line, end.end_column)


def _positions(tree: Tree, span_of) -> list[tuple]:
    """Every subtree's rule and span, and every token's position, in tree order."""
    found = []
    for sub in tree.iter_subtrees_topdown():
        found.append((sub.data, span_of(sub)))
        found += [(t.type, t.line, t.column, t.end_line, t.end_column)
                  for t in sub.children if isinstance(t, Token)]
    return found


def _same_as_lark(text: str) -> None:
    try:
        expected = _positions(hcl2.parses_to_tree(text), _lark_span)
    except Exception as exc:  # noqa: BLE001 - then ours must fail the same way
        with pytest.raises(type(exc)):
            syntax.parse_tree(text)
        return
    assert _positions(syntax.parse_tree(text),
                      lambda node: syntax.span_of_node("f.tf", node)) == expected


def test_there_are_files_to_compare():
    assert len(TF_FILES) > 200


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_every_fixture_file_gets_the_positions_lark_gives(path):
    text = path.read_text(encoding="utf-8")
    _same_as_lark(text)


def test_subtrees_are_placed_at_all():
    tree = syntax.parse_tree('resource "a" "b" {\n  x = [1,\n    2]\n}\n')
    assert syntax.span_of_node("f.tf", next(tree.find_data("block"))) == Span("f.tf", 1, 1, 4, 2)
    assert syntax.span_of_node("f.tf", next(tree.find_data("tuple"))) == Span("f.tf", 2, 7, 3, 7)


_ATOMS = st.sampled_from(["1", "x", '"a"', "var.v", "null", "true", '"${x}y"', "[]", "{}",
                          "f(1, 2)", "a.b[0]", "[for i in x : i]", "{ k = 1 }"])


@st.composite
def expressions(draw, depth=0):
    if depth > 3 or draw(st.booleans()):
        return draw(_ATOMS)
    inner = [draw(expressions(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
    shape = draw(st.sampled_from(["binary", "tuple", "object", "call", "cond", "paren"]))
    if shape == "binary":
        op = draw(st.sampled_from([" + ", "\n  + ", " == ", " && ", " * "]))
        return op.join(inner)
    if shape == "tuple":
        return "[" + draw(st.sampled_from([", ", ",\n  "])).join(inner) + "]"
    if shape == "object":
        return "{\n" + "\n".join(f"  k{i} = {e}" for i, e in enumerate(inner)) + "\n}"
    if shape == "call":
        return "f(" + ", ".join(inner) + ")"
    if shape == "cond":
        return f"{inner[0]} ? {inner[-1]} : {inner[0]}"
    return f"({inner[0]})"


@settings(max_examples=200, deadline=None)
@given(expressions(), st.sampled_from(["", "# note\n", "\n\n"]))
def test_generated_expressions_get_the_positions_lark_gives(expression, before):
    _same_as_lark(f'{before}locals {{\n  value = {expression}\n}}\n')


def _entries(tmp_path):
    return list((tmp_path / "cache" / "entries").rglob("*.pickle"))


def test_the_parser_shares_python_hcl2s_tables_and_builds_trees_without_positions(
        tmp_path, monkeypatch):
    monkeypatch.setattr(syntax, "_parser", None)
    syntax.load_parser(Cache(tmp_path / "cache").slot(syntax.PARSER_TABLES))
    theirs = hcl2_parser.parser()
    assert syntax._parser.parser.parser.parser.parse_table \
        is theirs.parser.parser.parser.parse_table
    assert syntax._parser.parser.lexer is theirs.parser.lexer
    assert syntax.parse_tree("a = 1\n").meta.empty
    assert not theirs.parse("a = 1\n").meta.empty  # python-hcl2's own parser is untouched
    # python-hcl2 keeps its tables itself: nothing is written to the cache.
    assert _entries(tmp_path) == []


def test_without_lark_insides_the_parser_is_made_through_its_api(monkeypatch):
    def differs(built):
        raise AttributeError("no such inside")
    monkeypatch.setattr(syntax, "_without_positions", differs)
    monkeypatch.setattr(syntax, "_parser", None)
    syntax.load_parser()
    assert syntax.parse_tree("a = 1\n").meta.empty
    _same_as_lark('locals {\n  a = "b"\n}\n')


@pytest.fixture
def loaded_where_python_hcl2_cannot_keep_its_tables(tmp_path, monkeypatch) -> Cache:
    """The parser loaded once with a cache, python-hcl2's own tables file being absent (a
    read-only installation); the cache."""
    monkeypatch.setattr(hcl2_parser, "PARSER_FILE", tmp_path / "read-only" / "tables.bin")
    cache = Cache(tmp_path / "cache")
    monkeypatch.setattr(syntax, "_parser", None)
    syntax.load_parser(cache.slot(syntax.PARSER_TABLES))
    return cache


def test_the_tables_are_cached_where_python_hcl2_cannot_keep_them(
        tmp_path, monkeypatch, loaded_where_python_hcl2_cannot_keep_its_tables):
    cache = loaded_where_python_hcl2_cannot_keep_its_tables
    built = syntax._parser
    assert len(_entries(tmp_path)) == 1 and (cache.stats.written, cache.stats.hits) == (0, 0)
    monkeypatch.setattr(syntax, "_parser", None)
    monkeypatch.setattr(syntax, "_without_positions", None)  # not called: from the cache
    syntax.load_parser(cache.slot(syntax.PARSER_TABLES))
    assert syntax._parser is not built
    _same_as_lark('locals {\n  a = "b"\n}\n')


def test_damaged_parser_tables_are_built_again(
        tmp_path, monkeypatch, loaded_where_python_hcl2_cannot_keep_its_tables):
    cache = loaded_where_python_hcl2_cannot_keep_its_tables
    (entry,) = _entries(tmp_path)
    cache.put(entry.stem, b"not a parser", counted=False)
    monkeypatch.setattr(syntax, "_parser", None)
    syntax.load_parser(cache.slot(syntax.PARSER_TABLES))
    assert syntax.parse_tree("a = 1\n").data == "start"
