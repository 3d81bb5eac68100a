"""The IAM semantics core: glob patterns, subject shapes, operators, principals."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.iam.catalog import ISSUERS, issuer_for
from oidclint.iam.conditions import condition_holds, statement_admits
from oidclint.iam.patterns import MAX_PATTERN_LENGTH, Pattern, glob_matches
from oidclint.iam.principals import parse_federated
from oidclint.model import Condition, Statement
from oidclint.source import Partial, Unknown

GITHUB = issuer_for("token.actions.githubusercontent.com")
GITLAB = issuer_for("gitlab.com")
HCP = issuer_for("app.terraform.io")
EKS = issuer_for("oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789")


def reference_match(pattern: str, text: str) -> bool:
    """A deliberately naive glob matcher to check the real one against."""
    if not pattern:
        return not text
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return any(reference_match(rest, text[i:]) for i in range(len(text) + 1))
    if not text:
        return False
    return (head == "?" or head == text[0]) and reference_match(rest, text[1:])


globs = st.text(alphabet="ab*?:/", max_size=6)
texts = st.text(alphabet="ab:/c", max_size=8)


@given(globs, texts)
def test_glob_matching_agrees_with_reference(pattern, text):
    assert Pattern(pattern).matches(text) == reference_match(pattern, text)


def regex_match(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """A second reference: the glob as a regular expression, as ``fnmatch`` would build it."""
    translated = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(translated, text, re.S | (re.I if ignore_case else 0)) is not None


@settings(max_examples=500)
@given(st.text(alphabet="aAb*?:\n", max_size=10), st.text(alphabet="aAbB:\n", max_size=12),
       st.booleans())
def test_linear_glob_matching_agrees_with_a_regular_expression(pattern, text, ignore_case):
    assert glob_matches(pattern, text, ignore_case) == regex_match(pattern, text, ignore_case)


def test_glob_matching_takes_linear_time_on_a_pattern_that_backtracks_exponentially():
    # `*a` thirty times and a final `*x` against forty `a`s: a backtracking matcher tries
    # every way of splitting the `a`s between the stars (the scan hung on it); this one
    # does at most len(pattern) * len(text) steps. Run in a process of its own so a
    # regression fails the test instead of hanging the suite.
    program = ("from oidclint.iam.patterns import Pattern\n"
               "p = Pattern('repo:acme/api:ref:refs/heads/' + '*a' * 3000 + '*x')\n"
               "print(p.matches('repo:acme/api:ref:refs/heads/' + 'a' * 4000))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout == "False\n"


def test_values_longer_than_a_trust_policy_can_hold_are_not_analysed():
    assert Pattern.of("repo:acme/" + "x" * MAX_PATTERN_LENGTH) is None
    assert Pattern.of(Partial(("repo:", Unknown("var.org"), "/" + "x" * MAX_PATTERN_LENGTH))) \
        is None
    assert Pattern.of("repo:acme/" + "x" * (MAX_PATTERN_LENGTH - 10)) is not None


def test_intersection_of_patterns_too_long_to_search_together_is_undecided():
    other = Pattern("repo:" + "a?" * 1000)
    assert Pattern("repo:" + "*a" * 100).intersects(other) is True
    assert Pattern("repo:" + "*a" * 1000).intersects(other) is None  # four million pairs


@given(globs, texts)
def test_exact_patterns_treat_wildcards_literally(pattern, text):
    assert Pattern(pattern, glob=False).matches(text) == (pattern == text)


@settings(max_examples=300)
@given(st.text(alphabet="ab*?", max_size=3), st.text(alphabet="ab*?", max_size=3))
def test_glob_intersection_agrees_with_brute_force(a, b):
    universe = ("".join(p) for n in range(7) for p in itertools.product("abc", repeat=n))
    expected = any(reference_match(a, s) and reference_match(b, s) for s in universe)
    assert Pattern(a).intersects(Pattern(b)) == expected


def test_unknown_pieces_make_matching_undecided():
    pattern = Pattern.of(Partial(("repo:", Unknown("var.org"), "/api:*")))
    assert pattern.matches("repo:acme/api:ref:refs/heads/main") is None


@pytest.mark.parametrize(
    "issuer, text, reach",
    [
        (GITHUB, "*", "any-tenant"),
        (GITHUB, "repo:*", "any-tenant"),
        (GITHUB, "repo:acme*", "any-tenant"),
        (GITHUB, "repo:*/api:*", "any-tenant"),
        (GITHUB, "repo:acm?/api:*", "any-tenant"),
        (GITHUB, "repo:acme/*", "whole-tenant"),
        (GITHUB, "repo:acme/*:ref:refs/heads/main", "whole-tenant"),
        (GITHUB, "repo:acme/api:*", "narrow"),
        (GITHUB, "repo:acme/api-*", "narrow"),
        (GITHUB, "repo:acme/api:ref:refs/heads/main", "narrow"),
        (GITLAB, "project_path:*", "any-tenant"),
        (GITLAB, "project_path:acme*", "any-tenant"),
        (GITLAB, "project_path:acme/*", "whole-tenant"),
        (GITLAB, "project_path:acme/api:ref_type:branch:ref:main", "narrow"),
        (HCP, "organization:*:project:*:workspace:*:run_phase:*", "any-tenant"),
        (HCP, "organization:acme:project:*:workspace:*:run_phase:*", "whole-tenant"),
        (HCP, "organization:acme:project:p:workspace:*:run_phase:*", "whole-tenant"),
        (HCP, "organization:acme:project:p:workspace:net:run_phase:*", "narrow"),
        (EKS, "system:serviceaccount:*", "any-tenant"),
        (EKS, "system:serviceaccount:*:api", "any-tenant"),
        (EKS, "system:serviceaccount:payments:*", "whole-tenant"),
        (EKS, "system:serviceaccount:payments:api", "narrow"),
    ],
)
def test_subject_shapes(issuer, text, reach):
    shape = Pattern(text).shape(issuer.grammar)
    assert shape is not None
    got = "any-tenant" if shape.admits_any_tenant else "whole-tenant" if shape.broad_scope else "narrow"
    assert got == reach


@pytest.mark.parametrize("text", ["environment:prod", "repo:acme", "repository_owner_id:42:*"])
def test_patterns_of_another_form_have_no_github_shape(text):
    # custom templates and malformed subjects are other rules' business
    assert Pattern(text).shape(GITHUB.grammar) is None


def test_every_grammar_example_has_an_exact_shape():
    for issuer in ISSUERS:
        if issuer.grammar:
            shape = Pattern(issuer.grammar.example).shape(issuer.grammar)
            assert shape is not None and shape.tenant.state == "exact", issuer.kind


def cond(operator, key, *values):
    return Condition(operator, key, list(values))


SUB = "token.actions.githubusercontent.com:sub"


@pytest.mark.parametrize(
    "condition, claims, expected",
    [
        (cond("StringEquals", SUB, "repo:a/b:ref:refs/heads/main"), {SUB: ["repo:a/b:ref:refs/heads/main"]}, True),
        (cond("StringEquals", SUB, "repo:a/b:*"), {SUB: ["repo:a/b:ref:refs/heads/main"]}, False),
        (cond("StringLike", SUB, "repo:a/b:*"), {SUB: ["repo:a/b:ref:refs/heads/main"]}, True),
        (cond("StringLike", SUB, "repo:A/b:*"), {SUB: ["repo:a/b:pull_request"]}, False),
        (cond("StringEqualsIgnoreCase", SUB, "REPO:A/B:PULL_REQUEST"), {SUB: ["repo:a/b:pull_request"]}, True),
        (cond("StringNotEquals", SUB, "x", "y"), {SUB: ["x"]}, False),
        (cond("StringNotEquals", SUB, "x", "y"), {SUB: ["z"]}, True),
        (cond("StringLike", SUB, "x"), {}, False),
        (cond("StringNotLike", SUB, "x"), {}, True),
        (cond("StringLikeIfExists", SUB, "x"), {}, True),
        (cond("ForAllValues:StringLike", SUB, "x"), {}, True),
        (cond("ForAnyValue:StringLike", SUB, "x"), {}, False),
        (cond("ForAnyValue:StringLike", "c:amr", "authenticated"), {"c:amr": ["authenticated", "x"]}, True),
        (cond("ForAllValues:StringLike", "c:amr", "authenticated"), {"c:amr": ["authenticated", "x"]}, False),
        (cond("Null", SUB, "true"), {}, True),
        (cond("Null", SUB, "false"), {}, False),
        (cond("StringEquals", SUB.upper(), "v"), {SUB: ["v"]}, True),
    ],
)
def test_operator_semantics(condition, claims, expected):
    assert condition_holds(condition, claims) is expected


def test_unknown_values_leave_the_verdict_open():
    condition = cond("StringEquals", SUB, Unknown("var.subject"))
    assert condition_holds(condition, {SUB: ["repo:a/b:pull_request"]}) is None


def test_statement_conditions_are_anded():
    statement = Statement(effect="Allow", conditions=[
        cond("StringEquals", "h:aud", "sts.amazonaws.com"),
        cond("StringLike", "h:sub", "repo:a/*"),
    ])
    assert statement_admits(statement, {"h:aud": ["sts.amazonaws.com"], "h:sub": ["repo:a/x"]})
    assert not statement_admits(statement, {"h:aud": ["other"], "h:sub": ["repo:a/x"]})


@pytest.mark.parametrize(
    "value, kind, host",
    [
        ("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "oidc",
         "token.actions.githubusercontent.com"),
        ("arn:aws-cn:iam::123456789012:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/AB", "oidc",
         "oidc.eks.cn-north-1.amazonaws.com.cn/id/AB"),
        ("cognito-identity.amazonaws.com", "builtin", "cognito-identity.amazonaws.com"),
        ("token.actions.githubusercontent.com", "malformed", None),
        ("arn:aws:iam::123456789012:oidc-provider/https://gitlab.com", "malformed", "https://gitlab.com"),
        ("arn:aws:iam::123456789012:oidc-providers/gitlab.com", "malformed", None),
        ("arn:aws:iam::1234:oidc-provider/gitlab.com", "malformed", None),
        ("arn:aws:iam::123456789012:saml-provider/okta", "saml", None),
    ],
)
def test_federated_principals(value, kind, host):
    principal = parse_federated(value)
    assert (principal.kind, principal.host) == (kind, host)


def test_partial_provider_arn_keeps_its_host():
    value = Partial(("arn:aws:iam::", Unknown("account"), ":oidc-provider/gitlab.com"), ref="p")
    principal = parse_federated(value)
    assert (principal.kind, principal.host, principal.ref) == ("oidc", "gitlab.com", "p")


@pytest.mark.parametrize(
    "host, kind",
    [
        ("token.actions.githubusercontent.com", "github"),
        ("token.actions.githubusercontent.com/acme-enterprise", "github"),
        ("token.actions.acme.ghe.com", "github"),
        ("gitlab.com", "gitlab.com"),
        ("gitlab.acme.internal", "gitlab-self-managed"),
        ("git.acme.internal", "generic"),
        ("app.terraform.io", "hcp-terraform"),
        ("oidc.circleci.com/org/0b5e7a3c-1f1a-4c1e-9a33-0a6f0e9d4b2a", "circleci"),
        ("oidc.eks.us-east-1.amazonaws.com/id/ABCDEF", "eks"),
        ("acme.app.spacelift.io", "spacelift"),
        ("api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc", "bitbucket"),
        ("agent.buildkite.com", "buildkite"),
        ("accounts.google.com", "google"),
    ],
)
def test_issuer_catalog(host, kind):
    assert issuer_for(host).kind == kind
