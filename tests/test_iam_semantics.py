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
from oidclint.iam.conditions import condition_holds, restricts, statement_admits, vacuous
from oidclint.graph import REACH_ORDER, _pattern_reach
from oidclint.iam.patterns import MAX_PATTERN_LENGTH, UNKNOWN, Pattern, glob_matches, may_intersect
from oidclint.iam.principals import parse_federated
from oidclint.iam.policy import document_from_value
from oidclint.model import Condition, Statement
from oidclint.source import Partial, Unknown, UnknownElements

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
        (HCP, "organization:acme:project:p:workspace:*:run_phase:*", "within-tenant"),
        (HCP, "organization:acme:*", "whole-tenant"),
        (GITLAB, "project_path:acme/sub/*", "within-tenant"),
        (GITLAB, "project_path:acme/sub/api-*", "narrow"),
        (HCP, "organization:acme:project:p:workspace:net:run_phase:*", "narrow"),
        (EKS, "system:serviceaccount:*", "any-tenant"),
        (EKS, "system:serviceaccount:*:api", "any-tenant"),
        (EKS, "system:serviceaccount:payments:*", "whole-tenant"),
        (EKS, "system:serviceaccount:payments:api", "narrow"),
    ],
)
def test_subject_shapes(issuer, text, reach):
    assert Pattern(text).shape(issuer.grammar) is not None
    assert _pattern_reach(Pattern(text), issuer.grammar) == reach


def partial(*pieces: str) -> Pattern:
    """A pattern with unknown pieces: `$name` stands for an input without a value."""
    return Pattern.of(Partial(tuple(Unknown(f"{p[1:]} (no default)") if p.startswith("$")
                                    else p for p in pieces)))


@pytest.mark.parametrize(
    "issuer, pieces, reach",
    [
        # One unknown owner between known separators, every repository of it.
        (GITHUB, ("repo:", "$var.org", "/*:*"), "whole-tenant"),
        (GITHUB, ("repo:", "$var.org", "/*"), "whole-tenant"),
        (GITLAB, ("project_path:", "$var.group", "/*:ref_type:branch:ref:main"), "whole-tenant"),
        (HCP, ("organization:", "$var.org", ":project:*:workspace:*:run_phase:*"), "whole-tenant"),
        (HCP, ("organization:", "$var.org", ":project:p:workspace:*:run_phase:*"), "within-tenant"),
        # One unknown project is one project: its workspaces, not the organisation's.
        (HCP, ("organization:acme:project:", "$var.project", ":workspace:*:run_phase:*"),
         "within-tenant"),
        (EKS, ("system:serviceaccount:", "$var.ns", ":*"), "whole-tenant"),
        # A known wildcard in the owner admits strangers whatever the input holds.
        (GITHUB, ("repo:", "$var.org", "*/api:*"), "any-tenant"),
        (GITHUB, ("repo:*", "$var.suffix", "/api:*"), "any-tenant"),
        # The repository is unknown, not open: nothing to say about breadth.
        (GITHUB, ("repo:", "$var.owner", "/", "$var.repo", ":*"), "unknown"),
        (GITHUB, ("repo:acme/", "$var.repo", ":*"), "narrow"),
        # An unknown piece spanning the owner's separator decides nothing about the owner.
        (GITHUB, ("repo:", "$var.repo", ":*"), "unknown"),
        (GITHUB, ("repo:", "$var.repo", "*"), "unknown"),
        (GITHUB, ("repo:", "$var.repo", ":ref:refs/heads/main"), "unknown"),
        (GITHUB, ("$var.subject",), "unknown"),
        # An unknown piece in the form's own text (`repo:`): nothing after it is known.
        (GITHUB, ("$var.prefix", ":acme/*:*"), "unknown"),
        (GITHUB, ("$var.prefix", "*"), "unknown"),
        (HCP, ("organization:acme:", "$var.rest", ":workspace:*:run_phase:*"), "narrow"),
        (EKS, ("system:serviceaccount:", "$var.subject"), "unknown"),
    ],
)
def test_partly_known_subjects_decide_what_their_known_parts_decide(issuer, pieces, reach):
    assert _pattern_reach(partial(*pieces), issuer.grammar) == reach


def test_an_unknown_owner_is_named_by_its_input():
    shape = partial("repo:", "$var.org", "/*:*").shape(GITHUB.grammar)
    assert shape.tenant.inputs == ("var.org (no default)",)
    assert shape.tenant.text == "${var.org}"
    assert partial("repo:", "$var.org", "/*:*").shown() == "repo:${var.org}/*:*"


@pytest.mark.parametrize(
    "pieces, concrete",
    [
        (("repo:", "$var.org", "/*:*"), "repo:oidclint-input-0/*:*"),
        # Spanning the owner's separator: one made-up name per field covered.
        (("repo:", "$var.repo", ":*"), "repo:oidclint-input-0-1/oidclint-input-0-3:*"),
    ],
)
def test_the_concrete_pattern_writes_out_the_separators_an_unknown_piece_covers(pieces, concrete):
    assert partial(*pieces).shape(GITHUB.grammar).concrete.text == concrete


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
        # Red Hat OpenShift Service on AWS, and self-hosted clusters publishing to S3
        ("oidc.op1.openshiftapps.com/2a6h7sd9e4kb81p7lg5o3rq0cfmvtn2u", "kubernetes"),
        ("rh-oidc.s3.us-east-1.amazonaws.com/1v96p8pu6spphij1hdtclbalqrn9", "kubernetes"),
        ("acme-oidc.s3.eu-west-1.amazonaws.com/prod.k8s.acme.example", "kubernetes"),
        ("s3-us-west-2.amazonaws.com/acme-oidc", "kubernetes"),
        ("s3.amazonaws.com", "generic"),
        ("oidc.op1.openshiftapps.com", "generic"),
    ],
)
def test_issuer_catalog(host, kind):
    assert issuer_for(host).kind == kind


_PIECES = st.sampled_from(["repo:", "project_path:", "organization:", ":project:", ":workspace:",
                           ":run_phase:", "system:serviceaccount:", "acme", "api", "/", ":", "*",
                           "?", "a*", "*a", "$var.x", "$var.y", "ref:refs/heads/main"])


@settings(max_examples=300)
@given(st.sampled_from([GITHUB, GITLAB, HCP, EKS]), st.lists(_PIECES, min_size=1, max_size=8),
       st.sampled_from(["acme", "evil", "a-b"]))
def test_a_reach_decided_with_unknown_pieces_holds_for_any_name_they_hold(issuer, pieces, name):
    """An unknown piece is read as names, never as a wildcard: whatever name it holds, the
    pattern reaches at least as far as its partly known reading says."""
    reach = _pattern_reach(partial(*pieces), issuer.grammar)
    if reach in ("narrow", "unknown"):
        return
    filled = Pattern("".join(name if p.startswith("$") else p for p in pieces))
    assert REACH_ORDER[_pattern_reach(filled, issuer.grammar)] >= REACH_ORDER[reach], filled


def test_every_kubernetes_issuer_issues_service_account_tokens():
    kubernetes = [i for i in ISSUERS if i.kind in ("eks", "gke", "aks", "kubernetes")]
    assert all(i.service_accounts and i.grammar.head == "system:serviceaccount:"
               for i in kubernetes)
    assert not [i for i in ISSUERS if i.service_accounts and i not in kubernetes]


def partly(*parts):
    return Pattern.of(Partial(tuple(Unknown(p[1:]) if p.startswith("$") else p for p in parts)),
                      glob=False)


@pytest.mark.parametrize("a, b, expected", [
    (partly("system:serviceaccount:", "$ns", ":api"), Pattern("system:serviceaccount:*:worker"),
     False),
    (partly("system:serviceaccount:", "$ns", ":api"), Pattern("system:serviceaccount:*"), None),
    (partly("system:serviceaccount:", "$ns", ":api"),
     partly("system:serviceaccount:", "$ns", ":worker"), False),
    (partly("system:serviceaccount:", "$ns", ":api"),
     partly("system:serviceaccount:", "$ns", ":api"), None),
    (partly("repo:acme/api:environment:", "$env"), Pattern("repo:acme/api:ref:refs/heads/*"),
     False),
    (Pattern("repo:acme/api:pull_request", glob=False), Pattern("repo:acme/*"), True),
    (Pattern("a*b", glob=False), partly("a", "$x"), None),  # a literal star and an unknown
])
def test_patterns_with_unknown_pieces_meet_when_some_value_can(a, b, expected):
    assert may_intersect(a, b) is expected
    assert may_intersect(b, a) is expected


def test_case_insensitive_patterns_with_unknown_pieces():
    subject = partly("system:serviceaccount:", "$ns", ":API")
    assert may_intersect(Pattern("system:serviceaccount:*:api", glob=True), subject) is False
    assert may_intersect(Pattern("system:serviceaccount:*:api"), subject, ignore_case=True) is None


@settings(max_examples=300)
@given(st.text(alphabet="ab*?" + UNKNOWN, max_size=4), st.booleans(),
       st.text(alphabet="ab*?" + UNKNOWN, max_size=4), st.booleans())
def test_patterns_said_never_to_meet_never_do_whatever_the_unknown_pieces(a, glob_a, b, glob_b):
    """``False`` is a certainty: no value of the unknown pieces makes the patterns meet."""
    if may_intersect(Pattern(a, glob_a), Pattern(b, glob_b)) is not False:
        return
    fillings = ["", "a", "b", "ab", "*", "?b"]
    for fill_a, fill_b in itertools.product(fillings, repeat=2):
        assert not Pattern(a.replace(UNKNOWN, fill_a), glob_a).intersects(
            Pattern(b.replace(UNKNOWN, fill_b), glob_b))


def test_a_partly_known_value_fails_a_request_its_known_text_rules_out():
    main_only = cond("StringEquals", SUB, Partial(("repo:acme/", Unknown("var.repo"),
                                                   ":ref:refs/heads/main")))
    assert condition_holds(main_only, {SUB: ["repo:acme/api:ref:refs/heads/dev"]}) is False
    assert condition_holds(main_only, {SUB: ["repo:acme/api:ref:refs/heads/main"]}) is None
    # Under a negated operator the value cannot exclude what its known text rules out.
    negated = cond("StringNotLike", SUB, Partial(("repo:acme/", Unknown("var.repo"),
                                                  ":pull_request")))
    assert condition_holds(negated, {SUB: ["repo:acme/api:ref:refs/heads/dev"]}) is True
    assert condition_holds(negated, {SUB: ["repo:acme/api:pull_request"]}) is None


def each(element):
    return UnknownElements("var.repos (no default)", None, None, element)


def test_elements_alike_are_read_as_their_element_where_values_are_ored():
    """A list of any number of elements known to be alike (a `for` over a list not known):
    what each admits, a positive test admits; how many there are decides what a negated
    test excludes (none excludes nothing), so there they stay unknown."""
    element = Partial(("repo:acme/", Unknown("var.repos[*]"), ":pull_request"))
    document = document_from_value({
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": [each("arn:aws:iam::1:oidc-provider/gitlab.com")]},
            "Action": [each("sts:AssumeRoleWithWebIdentity")],
            "Condition": {
                "StringLike": {SUB: [each(element)]},
                "StringNotLike": {SUB: [each("repo:acme/api:pull_request")]},
            },
        }, each({"Effect": "Allow", "Action": "sts:AssumeRole"}),
            each({"Effect": "Deny", "Action": "sts:AssumeRole"})],
    })
    first = document.statements[0]
    assert first.principals == {"Federated": ["arn:aws:iam::1:oidc-provider/gitlab.com"]}
    assert first.actions == ["sts:AssumeRoleWithWebIdentity"]
    positive, negated = first.conditions
    assert positive.values == [element]
    assert isinstance(negated.values[0], UnknownElements)
    assert condition_holds(negated, {SUB: ["repo:acme/api:pull_request"]}) is None
    # Statements are OR-ed too: an Allow like each of them is read; a Deny stays unknown.
    assert document.statements[1].actions == ["sts:AssumeRole"]
    assert document.statements[2].unknown is not None


def test_a_positive_test_with_no_values_holds_for_no_request():
    """`values = []`: no value of the request matches none, so the claim is restricted to
    nothing (docs/facts.md, section 2): not an open condition."""
    empty = cond("StringLike", SUB)
    assert restricts(empty) and not vacuous(empty)
    assert condition_holds(empty, {SUB: ["repo:a/b:ref:refs/heads/main"]}) is False
    assert condition_holds(cond("ForAnyValue:StringLike", SUB), {SUB: ["x"]}) is False
    # IfExists / ForAllValues hold only when the key is absent, which `sub` never is.
    assert restricts(cond("StringLikeIfExists", SUB))
    assert condition_holds(cond("ForAllValues:StringLike", "h:environment"), {}) is True
    assert not restricts(cond("ForAllValues:StringLike", "h:environment"))
    # A negated test with no values excludes nothing.
    assert not restricts(cond("StringNotLike", SUB))
    assert condition_holds(cond("StringNotLike", SUB), {SUB: ["x"]}) is True


# -- job_workflow_ref and workflow claims -------------------------------------------------------

def _github_token(job_workflow, context_ref="refs/heads/main"):
    from oidclint.iam.claims import tokens_for
    from oidclint.model import TokenContext, Workload
    from oidclint.source import Span

    context = TokenContext("push to main", "ref:" + context_ref, claims={"ref": context_ref})
    workload = Workload(kind="github-actions", name="w", span=Span("w.yml", 1),
                        contexts=[context], job_workflow=job_workflow)
    [token] = tokens_for(workload, "acme/api")
    return token


def test_job_workflow_ref_is_the_file_at_its_ref_in_full():
    from oidclint.iam.claims import job_workflow_refs
    from oidclint.model import JobWorkflow

    local = JobWorkflow(".github/workflows/deploy.yml")
    assert job_workflow_refs(local, "refs/heads/main", "acme/api") == (
        "acme/api/.github/workflows/deploy.yml@refs/heads/main",)
    assert job_workflow_refs(local, "refs/heads/*", "acme/api") is None  # any branch
    assert job_workflow_refs(local, "refs/heads/main", None) is None  # repository unknown
    remote = JobWorkflow(".github/workflows/d.yml", "acme/platform", "v2")
    assert job_workflow_refs(remote, "refs/heads/main", None) == (
        "acme/platform/.github/workflows/d.yml@refs/heads/v2",
        "acme/platform/.github/workflows/d.yml@refs/tags/v2")
    sha = "10040c56a8c0253d69db7c1f26a0d227275512e2"
    assert job_workflow_refs(JobWorkflow("p.yml", "a/b", sha), None) == (f"a/b/p.yml@{sha}",)
    assert job_workflow_refs(JobWorkflow("p.yml", "a/b", "refs/tags/v1"), None) == (
        "a/b/p.yml@refs/tags/v1",)


@pytest.mark.parametrize("pinned, verdict", [
    (["acme/platform/.github/workflows/d.yml@refs/tags/v2"], None),  # if `v2` is a tag
    (["acme/platform/.github/workflows/d.yml@refs/heads/v2",
      "acme/platform/.github/workflows/d.yml@refs/tags/v2"], True),
    (["acme/platform/.github/workflows/d.yml@refs/tags/v3"], False),
    (["acme/other/.github/workflows/d.yml@refs/tags/v2"], False),
])
def test_a_call_at_a_bare_name_is_decided_only_when_branch_and_tag_agree(pinned, verdict):
    from oidclint.iam.claims import admits
    from oidclint.model import JobWorkflow

    token = _github_token(JobWorkflow(".github/workflows/d.yml", "acme/platform", "v2", "ci",
                                      called=True))
    statement = Statement(effect="Allow", conditions=[
        Condition("StringEquals", "token.actions.githubusercontent.com:job_workflow_ref", pinned)])
    issuer = next(i for i in ISSUERS if i.kind == "github")
    assert admits(statement, token, issuer, "repo:acme/api:ref:refs/heads/main") is verdict
    named = Statement(effect="Allow", conditions=[
        Condition("StringEquals", "token.actions.githubusercontent.com:workflow", ["ci"])])
    assert admits(named, token, issuer, "repo:acme/api:ref:refs/heads/main") is True


@pytest.mark.parametrize("pinned, verdict", [
    # GitHub documents the claim for jobs of reusable workflows: a job of the triggered
    # workflow carries its own file, or nothing. A pin on that file is not decided ...
    ("acme/api/.github/workflows/deploy.yml@refs/heads/main", None),
    # ... a pin on any other file refuses it either way.
    ("acme/platform/.github/workflows/deploy.yml@refs/heads/main", False),
])
def test_a_job_of_the_triggered_workflow_may_carry_no_job_workflow_ref(pinned, verdict):
    from oidclint.iam.claims import admits
    from oidclint.model import JobWorkflow

    token = _github_token(JobWorkflow(".github/workflows/deploy.yml", run="deploy"))
    statement = Statement(effect="Allow", conditions=[
        Condition("StringEquals", "token.actions.githubusercontent.com:job_workflow_ref", [pinned])])
    issuer = next(i for i in ISSUERS if i.kind == "github")
    assert admits(statement, token, issuer, "repo:acme/api:ref:refs/heads/main") is verdict
