"""YAML and JSON are read with libyaml's scanner, parser and composer where PyYAML has them
(``oidclint.located.documents``), else with PyYAML's own. Findings point at the spans the
loader gives, so both must give the same values at the same spans, on every YAML and JSON
file of the fixtures and sample stacks."""

from __future__ import annotations

import pytest
import yaml
from conftest import FIXTURES, SAMPLES
from oidclint.located import documents as located

FILES = sorted(p for tree in (FIXTURES, SAMPLES) for pattern in ("*.yml", "*.yaml", "*.json")
               for p in tree.rglob(pattern))
pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__,
                                reason="PyYAML without libyaml: one loader only")


def _shape(value):
    """The value with the span of every located part beside it."""
    span = getattr(value, "span", None)
    where = (span.line, span.column, span.end_line, span.end_column) if span else None
    if isinstance(value, dict):
        return ("map", where, [(_shape(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", where, [_shape(v) for v in value])
    return (type(value).__name__, where, value)


def _load(text: str, path: str, loader) -> object:
    saved = located._LOADER
    located._LOADER = loader
    try:
        return [_shape(d) for d in located.load_documents(text, path,
                                                          json_mode=path.endswith(".json"))]
    except located.LoadError as exc:
        return ("error", str(exc).split(":")[0])  # where; the wording differs
    finally:
        located._LOADER = saved


def test_there_are_files_to_compare():
    assert len(FILES) > 100


def test_the_fast_loader_is_the_one_used():
    assert located._LOADER is not located._LocatedLoader


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_both_loaders_give_the_same_values_at_the_same_spans(path):
    text = path.read_text(encoding="utf-8-sig")
    fast = _load(text, str(path), located._LOADER)
    assert fast == _load(text, str(path), located._LocatedLoader)


@pytest.mark.parametrize("text", [
    "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: [1, 2, {f: g}]\n",
    "- !Ref Thing\n- !GetAtt Role.Arn\n- !Sub ['${A}', {A: !Ref B}]\n",
    "k: |\n  line\n  two\nm: >-\n  folded\n  text\nq: 'it''s'\n",
    "---\na: 1\n---\nb: 2\n",
    "é: ünïcode\nnested:\n  - x: 1\n    y: [a, b]\n",
    "a: 'x\u2028y'\nb: \"p\u0085q\"\nc: [1,\n  2]\n",  # line breaks YAML counts beyond \\n
    "k: v\r\nl:\r\n  - 1\r\n",
])
def test_both_loaders_agree_on_anchors_tags_blocks_and_documents(text):
    assert _load(text, "x.yaml", located._LOADER) == _load(text, "x.yaml", located._LocatedLoader)


IMPLICIT = ("dates: [2012-10-17, 2001-12-14t21:59:43.10-05:00]\n"
            "booleans: [yes, no, on, off, y, True, FALSE]\n"
            "numbers: [0755, 0o17, 0x1F, 1:30, 1_000, 1e3, .inf, -.Inf, .NaN, 12.5]\n"
            "nulls: [~, null, Null]\n"
            "quoted: ['on', \"2012-10-17\", !!str 12]\n"
            "on: push\n")


@pytest.mark.parametrize("schema", located.SCHEMAS)
def test_both_loaders_type_plain_scalars_alike_in_every_schema(schema):
    def load(loader):
        saved = located._LOADER
        located._LOADER = loader
        try:
            return [_shape(d) for d in located.load_documents(IMPLICIT, "x.yaml", schema=schema)]
        finally:
            located._LOADER = saved
    assert load(located._LOADER) == load(located._LocatedLoader)


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix != ".json"],
                         ids=lambda p: str(p.relative_to(p.parents[2])))
def test_a_stream_read_document_by_document_gives_the_same_documents(path):
    # How Kubernetes manifests are read: each document on its own (``located.documents``).
    text = path.read_text(encoding="utf-8-sig")
    whole = _load(text, str(path), located._LOADER)
    pieces = []
    for lines, piece in located.documents(text):
        try:
            pieces += [_shape(d) for d in located.load_documents(piece, str(path), lines=lines)]
        except located.LoadError as exc:
            pieces = ("error", str(exc).split(":")[0])
            break
    assert pieces == whole
