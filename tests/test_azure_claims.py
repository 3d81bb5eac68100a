"""Azure flexible federated identity credentials: the claims matching expression
(``iam.azure_claims``)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from oidclint.iam.azure_claims import (
    GITHUB_ISSUER, ClaimTest, ClaimsExpression, admits, parse, unsupported)
from oidclint.iam.catalog import GITHUB_SUBJECT
from oidclint.iam.google_cel import NotUnderstood
from oidclint.iam.patterns import Pattern
from oidclint.source import Partial, Unknown, UnknownField

MAIN = {"sub": "repo:contoso/contoso-repo:ref:refs/heads/main",
        "job_workflow_ref": "foo-org/bar-repo/.github/workflows/deploy.yml@refs/heads/main"}


def read(text):
    expression = parse(text)
    assert isinstance(expression, ClaimsExpression), expression
    return expression


def test_the_documented_forms_are_read():
    expression = read("claims['sub'] eq 'repo:contoso/contoso-repo:ref:refs/heads/main' and "
                      "claims['job_workflow_ref'] matches "
                      "'foo-org/bar-repo/.github/workflows/*@refs/heads/main'")
    assert expression.tests == (
        ClaimTest("sub", "eq", "repo:contoso/contoso-repo:ref:refs/heads/main", 0),
        ClaimTest("job_workflow_ref", "matches",
                  "foo-org/bar-repo/.github/workflows/*@refs/heads/main", 69))
    assert [t.claim for t in expression.tests_of("sub")] == ["sub"]


@pytest.mark.parametrize("text, claims, expected", [
    ("claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*'", MAIN, True),
    ("claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/tags/*'", MAIN, False),
    ("claims['sub'] matches 'repo:contoso/contoso-repo-*:ref:refs/heads/????'",
     {"sub": "repo:contoso/contoso-repo-x:ref:refs/heads/main"}, True),
    ("claims['sub'] matches 'repo:contoso/contoso-repo-*:ref:refs/heads/????'",
     {"sub": "repo:contoso/contoso-repo-x:ref:refs/heads/dev"}, False),
    ("claims['sub'] eq 'repo:contoso/contoso-repo:ref:refs/heads/main'", MAIN, True),
    # `eq` is exact: its `*` is a character, and case counts.
    ("claims['sub'] eq 'repo:contoso/contoso-repo:ref:refs/heads/*'", MAIN, False),
    ("claims['sub'] eq 'repo:Contoso/contoso-repo:ref:refs/heads/main'", MAIN, False),
    ("claims['sub'] matches 'repo:contoso/*' and claims['job_workflow_ref'] matches "
     "'foo-org/bar-repo/.github/workflows/*@refs/heads/main'", MAIN, True),
    ("claims['sub'] matches 'repo:contoso/*' and claims['job_workflow_ref'] matches "
     "'foo-org/other/*'", MAIN, False),
    # A claim the token does not carry fails its test.
    ("claims['job_workflow_ref'] matches '*'", {"sub": MAIN["sub"]}, False),
])
def test_admits(text, claims, expected):
    assert admits(read(text), claims) is expected


@pytest.mark.parametrize("claims, expected", [
    ({"sub": Partial(("repo:other/", Unknown("var.repo"), ":ref:refs/heads/main"))}, False),
    ({"sub": Partial(("repo:contoso/", UnknownField("var.repo"), ":ref:refs/heads/main"))},
     True),
    ({"sub": Partial((Unknown("var.prefix"), ":ref:refs/heads/main"))}, None),
    ({"sub": Unknown("secrets.SUBJECT")}, None),
])
def test_partly_known_claims(claims, expected):
    expression = read("claims['sub'] matches 'repo:contoso/*'")
    assert admits(expression, claims) is expected


def test_an_open_token_leaves_claims_not_listed_unknown():
    expression = read("claims['job_workflow_ref'] matches '*'")
    assert admits(expression, {"sub": MAIN["sub"]}, closed=False) is None
    assert admits(read("claims['sub'] eq 'x' and claims['job_workflow_ref'] matches '*'"),
                  {"sub": "y"}, closed=False) is False


def test_a_comparand_written_with_an_input_is_partly_known():
    text = Partial(("claims['sub'] matches 'repo:", Unknown("var.org"), "/*'"))
    expression = read(text)
    assert expression.tests[0].comparand == Partial(("repo:", Unknown("var.org"), "/*"))
    assert admits(expression, MAIN) is None
    assert admits(expression, {"sub": "project_path:acme/api:ref_type:branch"}) is False


@pytest.mark.parametrize("text, reason, position", [
    ("claims['sub'] startswith 'repo:'", "operator 'startswith' is not eq or matches", 14),
    ("claims['sub']  eq 'x'", "expected claims['<name>'] eq|matches '<value>', with single "
                             "spaces around the operator", 0),
    ("claims[\"sub\"] eq 'x'", "expected claims['<name>'] eq|matches '<value>', with single "
                             "spaces around the operator", 0),
    ("claims['sub'] eq 'x' or claims['sub'] eq 'y'", "expected ' and ' between tests, or the "
                                                    "end", 20),
    ("claims['sub'] eq 'x'.", "expected ' and ' between tests, or the end", 20),
    ("claims['sub'] eq 'it''s'", "expected ' and ' between tests, or the end", 21),
    ("claims['sub'] eq 'x", "unterminated comparand", 17),
    ("", "expected claims['<name>'] eq|matches '<value>', with single spaces around the "
         "operator", 0),
])
def test_not_understood(text, reason, position):
    assert parse(text) == NotUnderstood(reason, position)


def test_an_input_outside_a_comparand_is_not_understood():
    found = parse(Partial(("claims['", Unknown("var.claim"), "'] eq 'x'")))
    assert isinstance(found, NotUnderstood)


@pytest.mark.parametrize("issuer, text, problems", [
    (GITHUB_ISSUER, "claims['sub'] eq 'x' and claims['job_workflow_ref'] matches '*'", []),
    (GITHUB_ISSUER, "claims['environment'] eq 'prod'",
     ["claim 'environment' cannot be tested for https://token.actions.githubusercontent.com "
      "(only job_workflow_ref, sub)"]),
    ("https://gitlab.com", "claims['job_workflow_ref'] matches '*'",
     ["claim 'job_workflow_ref' cannot be tested for https://gitlab.com (only sub)"]),
    ("https://gitlab.example.com", "claims['sub'] matches 'project_path:acme/*'", []),
    ("https://app.eu.terraform.io", "claims['sub'] matches 'organization:acme:*'", []),
    ("https://kubernetes.example/", "claims['sub'] eq 'x'",
     ["flexible credentials are not read for the issuer https://kubernetes.example/"]),
    (GITHUB_ISSUER + "/", "claims['sub'] eq 'x'",
     ["flexible credentials are not read for the issuer "
      "https://token.actions.githubusercontent.com/"]),
])
def test_which_issuers_and_claims_entra_reads(issuer, text, problems):
    assert unsupported(read(text), issuer) == problems


def test_a_sub_pattern_reads_with_the_issuers_subject_grammar():
    """The pattern a flexible credential puts on `sub` is an `iam.patterns` glob: the rules
    ask the GitHub grammar what it admits, as for an AWS trust."""
    pattern = read("claims['sub'] matches 'repo:contoso/*'").tests[0].pattern
    assert pattern == Pattern("repo:contoso/*", glob=True)
    assert pattern.shape(GITHUB_SUBJECT).broad_scope is not None  # every repo of contoso
    exact = read("claims['sub'] eq 'repo:contoso/api:environment:prod'").tests[0].pattern
    assert exact.shape(GITHUB_SUBJECT).broad_scope is None


@given(st.text(alphabet="ab/:*?", max_size=10), st.text(alphabet="ab/:", max_size=10))
def test_matches_agrees_with_iam_globs(glob, value):
    expression = read(f"claims['sub'] matches '{glob}'")
    assert admits(expression, {"sub": value}) is Pattern(glob).matches(value)


@given(st.text(alphabet="ab/:", max_size=8), st.text(alphabet="ab/:", max_size=8),
       st.text(alphabet="ab/:*?", max_size=8), st.sampled_from(["eq", "matches"]))
def test_a_partly_known_verdict_never_contradicts_a_completion(prefix, rest, comparand, op):
    expression = read(f"claims['sub'] {op} '{comparand}'")
    verdict = admits(expression, {"sub": Partial((prefix, Unknown("x")))})
    if verdict is not None:
        assert verdict == admits(expression, {"sub": prefix + rest})


@given(st.text(alphabet="claims[]'subeqmatchesnd *?:/", max_size=60))
def test_any_text_parses_or_is_not_understood(text):
    expression = parse(text)
    assert isinstance(expression, (ClaimsExpression, NotUnderstood))
    if isinstance(expression, ClaimsExpression):
        assert admits(expression, MAIN) in (True, False, None)
