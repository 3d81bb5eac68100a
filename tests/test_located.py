"""The located loader: YAML merge keys for every caller, bounded, keeping where keys were written."""

from __future__ import annotations

import textwrap
import time

import pytest

from oidclint.located.documents import (
    CLOUDFORMATION, MAX_EXPANDED_NODES, YAML_1_1, YAML_1_2_CORE, LoadError, load_documents,
)
from oidclint.source import LDict, LList, Span, Str


def load(text: str) -> object:
    (document,) = load_documents(textwrap.dedent(text), "f.yaml")
    return document


def at(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """Line and column (1-based) of the ``occurrence``-th ``needle`` in the dedented text."""
    text = textwrap.dedent(text)
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def start(value: object) -> tuple[int, int]:
    span = value.span
    return span.line, span.column


# -- merge keys --------------------------------------------------------------------------

MERGES = """\
    base: &base {a: 1, b: base}
    other: &other {b: other, c: 3}
    one:
      <<: *base
      x: 0
    list:
      <<: [*base, *other]
    explicit:
      b: mine
      <<: [*other, *base]
    items:
      - <<: *base
        a: 2
      - {<<: *other}
"""


def test_a_merge_key_merges_one_mapping():
    document = load(MERGES)
    assert document["one"] == {"a": 1, "b": "base", "x": 0}
    assert isinstance(document["one"], LDict) and "<<" not in document["one"]


def test_a_merge_key_with_a_list_merges_each_mapping_earlier_ones_winning():
    document = load(MERGES)
    assert document["list"] == {"a": 1, "b": "base", "c": 3}
    assert load("""\
        p: &p {k: first}
        q: &q {k: second}
        m: {<<: [*q, *p]}
    """)["m"] == {"k": "second"}


def test_explicit_keys_win_over_merged_ones_wherever_they_are_written():
    document = load(MERGES)
    assert document["explicit"] == {"a": 1, "b": "mine", "c": 3}
    assert document["items"][0] == {"a": 2, "b": "base"}
    assert load("base: &b {k: merged}\nm:\n  <<: *b\n  k: after\n")["m"] == {"k": "after"}


def test_merge_keys_in_mappings_inside_lists():
    items = load(MERGES)["items"]
    assert isinstance(items, LList)
    assert items == [{"a": 2, "b": "base"}, {"b": "other", "c": 3}]


def test_merged_keys_and_values_keep_the_spans_where_they_were_written():
    document = load(MERGES)
    merged = dict(document["explicit"].items())
    keys = {str(k): k for k in merged}
    # a comes from base, c from other: both located in their anchored mapping.
    assert start(keys["a"]) == at(MERGES, "a: 1")
    assert start(keys["c"]) == at(MERGES, "c: 3")
    assert start(merged[keys["b"]]) == at(MERGES, "mine")
    assert start(document["one"]["b"]) == at(MERGES, "base}")
    assert isinstance(document["one"]["b"], Str)
    # The merging mapping itself is where it is written, not where it merged from.
    assert start(document["items"][0]) == at(MERGES, "<<: *base", 1)
    assert document["one"].span.path == "f.yaml"


def test_merged_values_are_shared_not_copied():
    document = load("base: &b {k: [1, 2]}\nm: {<<: *b}\nn: {<<: *b}\n")
    assert document["m"]["k"] is document["base"]["k"] is document["n"]["k"]


def test_a_chain_of_merges_stays_small():
    lines = ["a0: &a0 {k: v}"]
    lines += [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}" for i in range(1, 60)]
    begin = time.monotonic()
    document = load("\n".join(lines) + "\n")
    assert time.monotonic() - begin < 2
    assert len(document["a59"]) == 60


@pytest.mark.parametrize("text", [
    # Merged values that name the previous level twice: exponential once expanded.
    "a0: &a0 {k: [x, x, x, x, x, x, x, x, x, x]}\n" + "".join(
        f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: [*a{i - 1}, *a{i - 1}]}}\n"
        for i in range(1, 60)),
    # One mapping merged very many times: deduplicated, but every entry merged is paid for.
    "a: &a {" + ", ".join(f"k{i}: v" for i in range(2000)) + "}\n"
    + "b: {<<: [" + ", ".join(["*a"] * 400) + "]}\n",
])
def test_a_merge_bomb_is_an_error_and_quick(text):
    begin = time.monotonic()
    with pytest.raises(LoadError, match="alias bomb") as raised:
        load_documents(text, "bomb.yaml")
    assert time.monotonic() - begin < 5
    assert f"{MAX_EXPANDED_NODES:,} nodes" in str(raised.value)


@pytest.mark.parametrize("text, message", [
    ("a: {<<: 5}\n", "expected a mapping or a list of mappings"),
    ("a: {<<: [*x]}\n", "undefined alias"),
    ("a: {<<: [[1]]}\n", "expected a mapping or a list of mappings"),
    ("a: &a {<<: *a}\n", "merges the mapping it is in"),
    ("a: &a {k: {<<: *a}}\n", "recursive"),
])
def test_wrong_merges_are_load_errors_with_a_position(text, message):
    with pytest.raises(LoadError, match=message) as raised:
        load_documents(text, "f.yaml")
    assert str(raised.value).startswith("line 1, column ")


def test_merging_nothing_leaves_the_mapping_as_written():
    assert load("e: &e {}\nm: {<<: [], k: v}\nn: {<<: *e}\n")["m"] == {"k": "v"}
    assert load("e: &e {}\nn: {<<: *e}\n")["n"] == {}


def test_a_quoted_merge_key_is_an_ordinary_key():
    assert load("b: &b {k: v}\nm: {'<<': x}\n")["m"] == {"<<": "x"}
    assert load_documents('{"<<": {"k": 1}}', "f.json", json_mode=True) == [{"<<": {"k": 1}}]


def test_merged_keys_of_different_types_are_different_keys():
    assert load("b: &b {1: int, 'x': s}\nm: {<<: *b, '1': str}\n")["m"] == {
        1: "int", "x": "s", "1": "str"}


# -- CloudFormation short tags -----------------------------------------------------------

TEMPLATE = """\
    Defaults: &defaults
      Url: !Sub "https://${Host}/id"
      ClientIdList: [!Ref Audience]
    Resources:
      Provider:
        Type: AWS::IAM::OIDCProvider
        Properties:
          <<: *defaults
          ThumbprintList: !Split [",", !GetAtt Thumbs.Value]
      Role:
        Type: AWS::IAM::Role
        Properties: {RoleName: !Join ["-", [a, !Ref AWS::Region]], Arn: !GetAtt [Role, Arn]}
"""


def test_cloudformation_short_tags_still_work_and_merge():
    document = load(TEMPLATE)
    properties = document["Resources"]["Provider"]["Properties"]
    assert properties == {
        "Url": {"Fn::Sub": "https://${Host}/id"},
        "ClientIdList": [{"Ref": "Audience"}],
        "ThumbprintList": {"Fn::Split": [",", {"Fn::GetAtt": ["Thumbs", "Value"]}]},
    }
    assert start(properties["Url"]["Fn::Sub"]) == at(TEMPLATE, "!Sub")
    assert isinstance(properties["Url"], LDict) and isinstance(properties["Url"]["Fn::Sub"], Str)
    role = document["Resources"]["Role"]["Properties"]
    assert role == {"RoleName": {"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]},
                    "Arn": {"Fn::GetAtt": ["Role", "Arn"]}}
    assert role["RoleName"].span == Span("f.yaml", *at(TEMPLATE, "!Join"),
                                         *at(TEMPLATE, ", Arn:"))


# -- the schema a reader reads plain scalars with ------------------------------------------------

def _types(text: str, schema: str) -> dict:
    (document,) = load_documents(text, "x.yaml", schema=schema)
    return {str(k): v for k, v in document.items()}


SCALARS = ("date: 2012-10-17\nbool: yes\nswitch: on\noctal: 0755\ncore_octal: 0o17\n"
           "sexagesimal: 1:30\ninf: .inf\nunderscored: 1_000\ntrue_: true\n"
           "quoted: '2012-10-17'\n")


def test_yaml_1_1_is_what_pyyaml_reads():
    import datetime
    found = _types(SCALARS, YAML_1_1)
    assert found == {"date": datetime.date(2012, 10, 17), "bool": True, "switch": True,
                     "octal": 0o755, "core_octal": "0o17", "sexagesimal": 90,
                     "inf": float("inf"), "underscored": 1000, "true_": True,
                     "quoted": "2012-10-17"}


def test_cloudformation_reads_timestamps_as_text_and_keeps_the_rest_of_yaml_1_1():
    found = _types(SCALARS, CLOUDFORMATION)
    assert found["date"] == "2012-10-17" and isinstance(found["date"], Str)
    assert found["date"].span == Span("x.yaml", 1, 7, 1, 17)
    assert {k: found[k] for k in ("bool", "switch", "octal", "sexagesimal", "underscored")} == {
        "bool": True, "switch": True, "octal": 0o755, "sexagesimal": 90, "underscored": 1000}


def test_the_yaml_1_2_core_schema_reads_only_its_own_types():
    found = _types(SCALARS + "on: push\n", YAML_1_2_CORE)
    assert found == {"date": "2012-10-17", "bool": "yes", "switch": "on", "octal": 755,
                     "core_octal": 15, "sexagesimal": "1:30", "inf": float("inf"),
                     "underscored": "1_000", "true_": True, "quoted": "2012-10-17",
                     "on": "push"}
    assert all(isinstance(found[k], Str) for k in ("bool", "switch", "sexagesimal", "on"))


def test_an_unknown_schema_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown YAML schema"):
        load_documents("a: 1\n", "x.yaml", schema="yaml-1.3")


# -- what counts against the alias budget -----------------------------------------------------

@pytest.fixture(params=["libyaml", "pure"])
def loader(request, monkeypatch):
    """Both loaders, libyaml's and PyYAML's own: the same budget, the same documents."""
    from oidclint.located import documents as located

    if request.param == "pure":
        monkeypatch.setattr(located, "_LOADER", located._LocatedLoader)
    elif located._LOADER is located._LocatedLoader:
        pytest.skip("PyYAML without libyaml")
    return request.param


@pytest.fixture
def small_budget(monkeypatch):
    """A budget of 1,000 nodes, so that documents bigger than it stay quick to load."""
    from oidclint.located import documents as located

    monkeypatch.setattr(located, "MAX_EXPANDED_NODES", 1000)


def test_nodes_written_in_full_do_not_count_as_expansion(loader, small_budget):
    # 6,002 nodes written out, six times the budget, and not one alias: an honest document.
    text = "data:\n" + "".join(f"  k{i}: v\n" for i in range(3000))
    (document,) = load_documents(text, "big.yaml")
    assert len(document["data"]) == 3000


def test_what_aliases_add_is_counted_at_every_use(loader, small_budget):
    items = ", ".join(f"k{i}: v" for i in range(10))
    under = f"a: &a {{{items}}}\nb: [{', '.join(['*a'] * 47)}]\n"  # 47 x 21 nodes
    assert len(load_documents(under, "a.yaml")[0]["b"]) == 47
    over = f"a: &a {{{items}}}\nb: [{', '.join(['*a'] * 48)}]\n"
    with pytest.raises(LoadError, match="more than 1,000 nodes"):
        load_documents(over, "a.yaml")
    # A merge pays for each entry it looks at (10), and for the keys and values it brings
    # (20 nodes, as aliases): 33 merges are 990 nodes, 34 too many.
    merged = f"a: &a {{{items}}}\n" + "".join(f"m{i}: {{<<: *a}}\n" for i in range(33))
    assert len(load_documents(merged, "a.yaml")[0]) == 34
    with pytest.raises(LoadError, match="more than 1,000 nodes"):
        load_documents(merged + "m33: {<<: *a}\n", "a.yaml")


def test_a_document_that_cannot_be_built_leaves_the_others(loader):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
        for i in range(6))
    text = "first: 1\n---\n" + bomb + "---\nthird: {k: 1, k: 2}\n---\nfourth: 4\n"
    errors: list[LoadError] = []
    documents = load_documents(text, "multi.yaml", errors=errors)
    assert documents == [{"first": 1}, {"fourth": 4}]
    assert [str(e) for e in errors] == [
        f"aliases and merge keys expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias "
        "bomb?)", "line 11, column 15: duplicate key `k` (first on line 11)"]
    with pytest.raises(LoadError, match="alias bomb"):  # without the list: the file fails
        load_documents(text, "multi.yaml")


def test_documents_not_wanted_are_not_built(loader):
    text = "kind: ConfigMap\ndata: {a: &a [1], b: [*a, *a]}\n---\nkind: ServiceAccount\n"
    wanted = [d["kind"] for d in load_documents(
        text, "m.yaml", wanted=lambda node: "ServiceAccount" in str(node.value))]
    assert wanted == ["ServiceAccount"]


# -- a stream read document by document ----------------------------------------------------

@pytest.mark.parametrize("text", [
    "a: 1\n",
    "---\na: 1\n---\nb: [2]\n...\n---\nc: |\n  x\n  y\n",
    "# leading comment\n%YAML 1.1\n---\na: 1\n# between\n--- !!map\nb: 2\n",
    "--- |\n  text\n---\n- x\n---   \nk: v\n",
    "a: 1\n--- # comment after the marker\nb: 2\n----not-a-marker: 3\n",
    "k: >\n  folded\n---\nempty:\n---\n",
])
def test_documents_read_one_by_one_are_those_of_the_stream(loader, text):
    from oidclint.located.documents import documents
    from test_yaml_loaders import _shape

    whole = [_shape(d) for d in load_documents(text, "m.yaml")]
    pieces = [_shape(d) for lines, piece in documents(text)
              for d in load_documents(piece, "m.yaml", lines=lines)]
    assert pieces == whole


def test_an_error_in_one_document_is_placed_in_the_file():
    from oidclint.located.documents import documents

    text = "a: 1\n---\nb: [1\n---\nc: 3\n"
    (_, first), (lines, second), (_, third) = documents(text)
    with pytest.raises(LoadError, match="^line 4, column 1: "):
        load_documents(second, "m.yaml", lines=lines)
    assert load_documents(third, "m.yaml", lines=4)[0]["c"] == 3
