"""Issuers of one customer (a CircleCI organization, a Bitbucket workspace, a Spacelift
account) and what their subjects admit: the kind comes from the known text of the issuer URL
(a placeholder leaves only the customer unknown), a trust restricting no subject admits every
project of the customer, and each issuer's subjects are read for what unreviewed code gets
(docs/facts.md, sections 4 and 11)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from oidclint.config import Config
from oidclint.engine import scan
from oidclint.graph import REACH_ORDER, _pattern_reach
from oidclint.iam.catalog import ISSUERS, issuer_for
from oidclint.iam.patterns import Pattern
from oidclint.model import Level
from oidclint.source import Partial, Unknown

BITBUCKET = "api.bitbucket.org/2.0/workspaces/{}/pipelines-config/identity/oidc"


@pytest.mark.parametrize("host, kind, tenant", [
    ("oidc.circleci.com/org/0f1e2d3c-aaaa-bbbb", "circleci", "0f1e2d3c-aaaa-bbbb"),
    ("oidc.circleci.com/org/<CIRCLECI_ORG_ID>", "circleci", None),
    (BITBUCKET.format("acme"), "bitbucket", "acme"),
    (BITBUCKET.format("<your_workspace>"), "bitbucket", None),
    ("acme.app.spacelift.io", "spacelift", "acme"),
    ("<ACCOUNT>.app.spacelift.io", "spacelift", None),
])
def test_a_placeholder_leaves_the_kind_and_hides_the_customer(host, kind, tenant):
    issuer = issuer_for(host)
    assert issuer.kind == kind
    assert issuer.tenant_of(host) == tenant


def test_a_placeholder_does_not_make_another_host_an_issuer():
    assert issuer_for("oidc.circleci.com/<ORG>").kind == "generic"
    assert issuer_for("<HOST>").kind == "generic"


def test_issuers_of_one_customer_name_it_in_their_url_not_in_their_subjects():
    for issuer in ISSUERS:
        if issuer.tenant:
            assert issuer.grammar is not None and issuer.grammar.tenant_field is None, issuer.kind
            assert "(?P<tenant>" in issuer.host_pattern.pattern, issuer.kind
            assert not issuer.shared and not issuer.requires_subject, issuer.kind


def shape(kind: str, text: str):
    return Pattern(text).shape(next(i for i in ISSUERS if i.kind == kind).grammar)


@pytest.mark.parametrize("kind, text, open_scope", [
    # Spacelift documents `*:stack:<id>:*` for one stack: a leading star does not open the
    # stack the rest of the pattern names.
    ("spacelift", "*:stack:network:*", None),
    ("spacelift", "*stack:network:*", None),
    ("spacelift", "space:production:*", ("stack", ("space", "production"))),
    ("spacelift", "space:*", ("space", None)),
    ("spacelift", "*", ("space", None)),
    ("bitbucket", "{437da666-7aab}:*", None),
    ("bitbucket", "{437da666-7aab}:{e5e5}:*", None),
    ("bitbucket", "*:*", ("repository", None)),
    ("circleci", "org/0f1e/project/1111/user/*", None),
    ("circleci", "org/0f1e/project/*/user/*/vcs-origin/github.com/acme/*/vcs-ref/refs/heads/main",
     ("project", None)),
    # A wildcard over the organization stays within the issuer's own.
    ("circleci", "org/*", ("project", None)),
])
def test_subjects_of_an_issuer_of_one_customer(kind, text, open_scope):
    found = shape(kind, text)
    assert found.tenant.state == "exact"  # never any tenant: the URL names it
    scope = found.open_scope
    assert (scope.field, scope.parent) == open_scope if open_scope else scope is None


def test_a_reading_that_puts_an_undocumented_value_in_a_listed_field_is_not_one():
    # `space:stack:network:...` would make `network` the caller, which is `stack` or `module`.
    found = shape("spacelift", "*:stack:network:*")
    assert found.fields["caller"].text == "stack"
    assert found.fields["stack"].text == "network"
    assert shape("spacelift", "space:root:pipeline:network:run_type:TRACKED:scope:write") is None


def test_a_leading_star_still_admits_any_owner_on_a_shared_issuer():
    for text in ("*:ref:refs/heads/main", "*:environment:prod", "*acme/api:*"):
        assert shape("github", text).admits_any_tenant, text


def findings(case: str, config: Config | None = None):
    folder = FIXTURES / case
    return scan([folder], config, root=folder).findings


def one(case: str, rule: str, config: Config | None = None):
    found = [f for f in findings(case, config) if f.rule_id == rule]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("case, rule, level, words", [
    ("OIDC204/positive-circleci-org-no-subject", "OIDC204", "warning",
     ["every project of the CircleCI organization `0f1e2d3c-aaaa-bbbb-cccc-1234567890ab`",
      "`oidc.circleci.com/project-id`, `sub`"]),
    ("OIDC204/positive-circleci-org-from-placeholder-default", "OIDC204", "warning",
     ["every project of the CircleCI organization named by the placeholder "
      "`<CIRCLECI_ORG_ID>`"]),
    ("OIDC204/positive-bitbucket-workspace-placeholder-no-subject", "OIDC204", "warning",
     ["every repository of the Bitbucket Pipelines workspace named by the placeholder "
      "`<your_workspace>`"]),
    # The URL without its scheme through replace(): still named by the placeholder.
    ("OIDC204/positive-tf-dynamic-statement-per-partial-url", "OIDC204", "warning",
     ["every project of the CircleCI organization named by the placeholder "
      "`<CIRCLECI_ORG_UUID>`"]),
    ("OIDC204/positive-spacelift-account-no-subject", "OIDC204", "warning",
     ["every stack of the Spacelift account `acme`"]),
    # Within one space of the account: already narrowed down, a note.
    ("OIDC204/positive-spacelift-every-stack-of-space", "OIDC204", "note",
     ["every stack of space production of the Spacelift account `acme`"]),
    ("OIDC204/positive-circleci-every-project-main", "OIDC204", "warning",
     ["admits every project of the CircleCI organization `0f1e2d3c-aaaa-bbbb-cccc-1234567890ab`,"]),
    ("OIDC203/positive-gitlab-self-managed-no-subject", "OIDC203", "error",
     ["every project of every group of the instance", "as with `project_path:*`"]),
    ("OIDC209/positive-circleci-org-admin-template", "OIDC209", "error",
     ["AdministratorAccess", "every project of the CircleCI organization named by `each.key`"]),
    ("OIDC209/positive-bitbucket-two-repositories-iam-wildcard", "OIDC209", "error",
     ["`iam:PutRolePolicy` (by `iam:*`)",
      "every step on any branch, every deployment environment and more than one repository"]),
    ("OIDC209/positive-bitbucket-url-placeholder-scheme-replaced", "OIDC209", "error",
     ["`iam:PutRolePolicy` (by `iam:*`)",
      "every step on any branch, every deployment environment and more than one repository"]),
    ("OIDC209/positive-bitbucket-every-step-admin", "OIDC209", "error",
     ["admits every step on any branch and every deployment environment:"]),
    ("OIDC209/positive-circleci-any-branch-admin", "OIDC209", "error",
     ["admits jobs on any branch:"]),
    ("OIDC209/positive-spacelift-proposed-runs-admin", "OIDC209", "error",
     ["admits proposed runs (a push to any branch):"]),
    ("OIDC209/positive-gitlab-any-branch-admin", "OIDC209", "error", ["admits any branch:"]),
])
def test_level_and_words(case, rule, level, words):
    finding = one(case, rule)
    assert finding.level.value == level
    text = " ".join(finding.message.split())
    for word in words:
        assert word in text, (word, text)


def test_a_customer_of_ones_own_is_a_note():
    org = "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
    finding = one("OIDC204/positive-circleci-org-no-subject", "OIDC204",
                  Config(trusted_owners=[org.upper()]))
    assert finding.level is Level.NOTE
    assert "trusted owner" in finding.message


def test_a_placeholder_written_into_terraform_leaves_the_kind(tmp_path):
    """A fill-in left in a literal string (not a variable): the issuer is still a Bitbucket
    workspace's, and with no `sub` condition every repository of it gets in."""
    for issuer, said in [(BITBUCKET.format("<WORKSPACE>"), "workspace left as the placeholder "
                          "`<WORKSPACE>`"),
                         ("oidc.circleci.com/org/<ORG_ID>", "organization left as the "
                          "placeholder `<ORG_ID>`")]:
        assert said in _no_subject_finding(tmp_path, issuer)


def _no_subject_finding(tmp_path, issuer: str) -> str:
    (tmp_path / "main.tf").write_text(f'''
resource "aws_iam_role" "deploy" {{
  name = "deploy"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = {{ Federated = "arn:aws:iam::123456789012:oidc-provider/{issuer}" }}
      Condition = {{ StringEquals = {{ "{issuer}:aud" = "x" }} }}
    }}]
  }})
}}
''')
    found = [f for f in scan([tmp_path], root=tmp_path).findings if f.rule_id == "OIDC204"]
    assert len(found) == 1
    return " ".join(found[0].message.split())


_PIECES = st.sampled_from(["org/", "/project/", "/user/", "{", "}:", "space:", ":stack:",
                           ":run_type:", ":scope:", "acme", "api", "/", ":", "*", "?", "a*", "$x",
                           "$y"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["circleci", "bitbucket", "spacelift"]),
       st.lists(_PIECES, min_size=1, max_size=8), st.sampled_from(["acme", "evil", "a-b"]))
def test_a_reach_decided_with_unknown_pieces_holds_for_any_name_they_hold(kind, pieces, name):
    """As for the shared issuers: an unknown piece is read as names, never as a wildcard, and
    nothing ever reaches another customer of an issuer whose URL names it."""
    grammar = next(i for i in ISSUERS if i.kind == kind).grammar
    reach = _pattern_reach(Pattern.of(Partial(tuple(
        Unknown(f"var.{p[1:]} (no default)") if p.startswith("$") else p for p in pieces))),
        grammar)
    assert reach != "any-tenant"
    if reach in ("narrow", "unknown"):
        return
    filled = Pattern("".join(name if p.startswith("$") else p for p in pieces))
    assert REACH_ORDER[_pattern_reach(filled, grammar)] >= REACH_ORDER[reach], filled


@pytest.mark.parametrize("text", ["*" * 8000, "*:" * 4000, "*:stack:x:" * 800, "*?" * 4000])
def test_stars_are_followed_a_bounded_number_of_times(text):
    """A pattern of thousands of stars (as long as a trust policy can hold) is read without
    following each star to every place it may end: no deep recursion, no quadratic time."""
    started = time.perf_counter()
    for issuer in ISSUERS:
        if issuer.grammar:
            Pattern(text).shape(issuer.grammar)
    assert time.perf_counter() - started < 5
