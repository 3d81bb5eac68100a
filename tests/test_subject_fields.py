"""Unknown fields of a token subject (an organisation id, a slug, a uuid): any text without
the separators, so the known text around them still places the other fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oidclint.iam.patterns import FIELD, Pattern, may_intersect
from oidclint.source import Partial, Unknown, UnknownField


def token(*parts, glob=True) -> Pattern:
    return Pattern.of(Partial(tuple(parts)), glob=glob)


BUILDKITE = ("organization:", UnknownField("org"), ":pipeline:", UnknownField("pipeline"),
             ":ref:refs/heads/release:commit:*:step:deploy")


@pytest.mark.parametrize("trust, verdict", [
    ("organization:acme:pipeline:deploy:ref:refs/heads/main:*", False),
    ("organization:acme:pipeline:deploy:ref:refs/heads/release:*", None),
    ("organization:acme:pipeline:*:ref:refs/heads/release:*", None),
    ("organization:acme:*", None),
    ("organization:acme:pipeline:deploy:ref:refs/heads/*:commit:*:step:build", False),
])
def test_a_field_holds_no_separator(trust, verdict):
    subject = token(*BUILDKITE)
    assert FIELD in subject.text and not subject.known
    assert may_intersect(Pattern(trust), subject) is verdict


def test_an_unknown_piece_that_is_no_field_still_spans_anything():
    wide = token("organization:", Unknown("org"), ":pipeline:", Unknown("pipeline"),
                 ":ref:refs/heads/release:commit:*:step:deploy")
    assert may_intersect(Pattern("organization:acme:pipeline:deploy:ref:refs/heads/main:*"),
                         wide) is None


def test_fields_in_exact_subjects_and_exact_trusts():
    v1 = token("org/", UnknownField("o"), "/project/", UnknownField("p"), "/user/",
               UnknownField("u"), glob=False)
    assert may_intersect(Pattern("org/1/project/2/user/*/vcs-origin/x/vcs-ref/refs/heads/main"),
                         v1) is False
    assert may_intersect(Pattern("org/1/project/2/user/*"), v1) is None
    assert may_intersect(Pattern("org/1/project/2/user/3", glob=False), v1) is None
    assert may_intersect(Pattern("org/1/project/2", glob=False), v1) is False
    assert may_intersect(Pattern("org/1/project/2/user/?"), v1) is None


def test_shown_names_each_field():
    subject = token("{", UnknownField("repository uuid"), "}:{", UnknownField("step"), "}")
    assert str(subject) == "{${...}}:{${...}}"
    assert subject.shown() == "{${repository uuid}}:{${step}}"


@given(st.text(alphabet="ab", max_size=4), st.text(alphabet="xyab:/*?", max_size=10))
def test_no_wrong_no_for_any_value_of_the_field(value, trust):
    """Whenever some separator-free value put in the field matches the trust, the search
    says the two may meet: it never answers no wrongly."""
    subject = token("x:", UnknownField("f"), ":y", glob=False)
    if Pattern(trust).matches(f"x:{value}:y"):
        assert may_intersect(Pattern(trust), subject) is not False
