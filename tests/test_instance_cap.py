"""Past the instance cap (``count``/``for_each`` over 1,000), the rest of the instances are
evaluated together with an index or key standing for any of theirs: nothing silently
dropped, nothing decided that depends on which one it is, and the scan says so."""

from __future__ import annotations

import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oidclint.engine import scan
from oidclint.hcl.instances import MAX_INSTANCES
from oidclint.hcl.values import IndexRange, KeyAmong, decided_comparison, shifted_range
from oidclint.model import Level

PROVIDER = '''resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
'''


def role(meta: str, subject: str, name: str = '"r-${count.index}"') -> str:
    return PROVIDER + f'''resource "aws_iam_role" "r" {{
  {meta}
  name = {name}
  assume_role_policy = jsonencode({{
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = {{ Federated = aws_iam_openid_connect_provider.github.arn }}
      Condition = {{
        StringEquals = {{ "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }}
        StringLike   = {{ "token.actions.githubusercontent.com:sub" = {subject} }}
      }}
    }}]
  }})
}}
'''


def wildcards(tmp_path, text: str):
    """The addresses OIDC203 (any owner) reports, and the notes, for a one-file tree."""
    (tmp_path / "main.tf").write_text(text)
    report = scan([tmp_path], root=tmp_path)
    notes = [(d.message, d.level, d.span.line) for d in report.diagnostics if d.path]
    return sorted(f.address for f in report.findings if f.rule_id == "OIDC203"), notes


def count_note(count: int) -> tuple[str, Level, int]:
    return (f"aws_iam_role.r has {count:,} instances (count): the first 1,000 are evaluated one "
            f"by one, the other {count - 1000:,} together, as one whose count.index is any of "
            "theirs; what depends on which one it is stays unknown", Level.NOTE, 6)


ANY = '"repo:*"'
ONE = '"repo:acme/x:ref:refs/heads/main"'


@pytest.mark.parametrize("condition, expected", [
    # The index the block names is evaluated on its own, whatever the count.
    ("count.index == 1000", ["aws_iam_role.r[1000]"]),
    ("count.index == 4321", ["aws_iam_role.r[4321]"]),
    # Decided for every index of the range, so reported on the range.
    ("count.index >= 1000", ["aws_iam_role.r[1000]", "aws_iam_role.r[1001..4999]"]),
    ("count.index > 2000", ["aws_iam_role.r[2001..4999]"]),
    ("count.index != 7", [f"aws_iam_role.r[{i}]" for i in range(MAX_INSTANCES) if i != 7]
     + ["aws_iam_role.r[1000..4999]"]),
    # Never true past the cap: nothing there, and nothing wrongly claimed either.
    ("count.index == 99999", []),
    ("count.index < 3", ["aws_iam_role.r[0]", "aws_iam_role.r[1]", "aws_iam_role.r[2]"]),
    # Depends on which index it is: the range stays silent (the first 1,000 still report).
    ("count.index % 2 == 1", [f"aws_iam_role.r[{i}]" for i in range(1, MAX_INSTANCES, 2)]),
])
def test_a_finding_past_the_count_cap_is_found_when_decidable(tmp_path, condition, expected):
    found, notes = wildcards(tmp_path, role("count = 5000", f"{condition} ? {ANY} : {ONE}"))
    assert found == sorted(expected)
    assert notes == [count_note(5000)]


def test_what_holds_for_any_index_is_found_past_the_cap(tmp_path):
    found, _ = wildcards(tmp_path, role("count = 1500", ANY))
    assert "aws_iam_role.r[1000..1499]" in found and len(found) == 1001


def test_no_note_below_the_cap(tmp_path):
    found, notes = wildcards(tmp_path, role("count = 1000", f"count.index == 999 ? {ANY} : {ONE}"))
    assert found == ["aws_iam_role.r[999]"] and notes == []


KEYS = [f"k{i:04d}" for i in range(3000)]


def test_for_each_values_past_the_cap_are_grouped_and_kept(tmp_path):
    values = ", ".join(f'{k} = {ANY if k == "k2500" else ONE}' for k in KEYS)
    found, notes = wildcards(tmp_path, role(f"for_each = {{{values}}}", "each.value",
                                            '"r-${each.key}"'))
    assert found == ['aws_iam_role.r["k2500"]']
    assert notes == [(
        "aws_iam_role.r has 3,000 instances (for_each): the first 1,000 are evaluated one by "
        "one, the other 2,000 together, as one whose each.key is any of theirs; what depends "
        "on which one it is stays unknown", Level.NOTE, 6)]


@pytest.mark.parametrize("key, expected", [
    ("k2999", ['aws_iam_role.r["k2999"]']),  # named: evaluated on its own
    ("k0007", ['aws_iam_role.r["k0007"]']),
    ("nothere", []),  # among none of them: decided false past the cap too
])
def test_a_for_each_key_named_past_the_cap_is_evaluated(tmp_path, key, expected):
    keys = ", ".join(f'"{k}"' for k in KEYS)
    found, _ = wildcards(tmp_path, role(f"for_each = toset([{keys}])",
                                        f'each.key == "{key}" ? {ANY} : {ONE}',
                                        '"r-${each.key}"'))
    assert found == expected


def test_dynamic_statements_past_the_cap_are_kept(tmp_path):
    subjects = ", ".join(ANY if i == 1200 else ONE for i in range(1500))
    text = PROVIDER + f'''locals {{
  subjects = [{subjects}]
}}
data "aws_iam_policy_document" "trust" {{
  dynamic "statement" {{
    for_each = local.subjects
    content {{
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {{
        type        = "Federated"
        identifiers = [aws_iam_openid_connect_provider.github.arn]
      }}
      condition {{
        test     = "StringEquals"
        variable = "token.actions.githubusercontent.com:aud"
        values   = ["sts.amazonaws.com"]
      }}
      condition {{
        test     = "StringLike"
        variable = "token.actions.githubusercontent.com:sub"
        values   = [statement.value]
      }}
    }}
  }}
}}
resource "aws_iam_role" "r" {{
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}}
'''
    found, notes = wildcards(tmp_path, text)
    assert found == ["aws_iam_role.r"]
    assert [(m, line) for m, _, line in notes] == [(
        'dynamic "statement" generates 1,500 blocks: the first 1,000 are evaluated one by '
        "one, the other 500 together, as one whose statement.key is any of theirs; what "
        "depends on which one it is stays unknown", 10)]


def test_an_instance_past_the_cap_is_reached_by_its_index(tmp_path):
    text = role("count = 3000", ONE) + '''resource "aws_iam_role" "other" {
  name               = aws_iam_role.r[2500].name
  assume_role_policy = "{}"
}
'''
    (tmp_path / "main.tf").write_text(text)
    report = scan([tmp_path], root=tmp_path)
    from oidclint.engine import build_graph

    graph, _, _ = build_graph([tmp_path], None)
    [other] = [r for r in graph.inventory.roles if r.address == "aws_iam_role.other"]
    # The instances 1000..2999 are one, named by an index known only to lie in that range.
    assert str(other.name) == "r-${count.index (one of 1,000 to 2,999)}"
    assert not [d for d in report.diagnostics if "no such instance" in d.message]


# --- the algebra: a comparison is decided only when every value in the range agrees -------

OPERATORS = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge,
             "==": operator.eq, "!=": operator.ne}


@given(st.integers(-5, 30), st.integers(0, 12), st.sampled_from(sorted(OPERATORS)),
       st.one_of(st.integers(-10, 45), st.floats(-10, 45, allow_nan=False)), st.booleans(),
       st.integers(-3, 3))
def test_a_decided_comparison_holds_for_every_index_in_the_range(low, width, op, constant,
                                                                  mirrored, shift):
    index = IndexRange("count.index", None, None, low, low + width)
    if shift:
        index = shifted_range("+", index, shift)
    values = range(index.low, index.high + 1)
    answers = {OPERATORS[op](v, constant) if not mirrored else OPERATORS[op](constant, v)
               for v in values}
    decided = (decided_comparison(op, constant, index) if mirrored
               else decided_comparison(op, index, constant))
    if decided is not None:
        assert answers == {decided}
    elif op not in ("==", "!="):
        assert len(answers) == 2  # monotone operators are decided whenever they can be


@given(st.sets(st.sampled_from("abcdef"), min_size=1), st.sampled_from("abcdefgh"),
       st.sampled_from(["==", "!="]))
def test_a_decided_key_comparison_holds_for_every_key(keys, constant, op):
    key = KeyAmong("each.key", None, None, frozenset(keys))
    answers = {OPERATORS[op](k, constant) for k in keys}
    decided = decided_comparison(op, key, constant)
    assert decided is None and len(answers) == 2 or answers == {decided}
