"""What the property tests of the rules found, each kept as a written case: a finding about a
statement or key without a location points at its role, and values that are not text, or hold
an unknown piece, are written as policies write them in findings, ``explain`` and the exported
graph."""

from __future__ import annotations

from every_rule import run_every_rule
from generated_graphs import ACCOUNT, GITHUB_CONTEXTS, SPANS, provider_arn
from oidclint.explain import Request, explain_role, explain_workload
from oidclint.graph import TrustGraph
from oidclint.iam.policy import document_from_value
from oidclint.model import (Condition, Inventory, OidcProvider, PolicyDocument, Role, Statement,
                            Workload)
from oidclint.reporters.graph import linked_view
from oidclint.source import Choice, Partial, Str, Unknown, render


GITHUB = "token.actions.githubusercontent.com"


def github_role(*conditions: Condition, sid: object = None) -> Inventory:
    """A GitHub provider and a role trusting it with the given conditions, in a statement
    without a location of its own."""
    provider = OidcProvider("aws_iam_openid_connect_provider.github", Str(f"https://{GITHUB}"),
                            [Str("sts.amazonaws.com")], span=SPANS[0], scope="main")
    statement = Statement(
        Str("Allow"), [Str("sts:AssumeRoleWithWebIdentity")],
        principals={"Federated": [provider_arn(GITHUB, ref=provider.address)]},
        conditions=list(conditions), sid=sid)
    role = Role("aws_iam_role.deploy", Str("deploy"), PolicyDocument([statement]), span=SPANS[1],
                scope="main")
    return Inventory(providers=[provider], roles=[role])


def findings_of(inventory: Inventory, rule_id: str, repository: str | None = "acme/api"):
    return [f for f in run_every_rule(TrustGraph(inventory, repository)) if f.rule_id == rule_id]


def test_oidc113_points_at_the_role_when_the_session_key_has_no_location():
    """A key without a location of its own (written through a computed expression) made
    OIDC113 raise "nothing to point at" and lose its finding."""
    inventory = github_role(
        Condition(Str("StringEquals"), Str("sts:RoleSessionName"), [Str("release")]),
        Condition(Str("StringLike"), Str(f"{GITHUB}:sub"), [Str("repo:acme/api:*")]))
    inventory.workloads.append(Workload(
        "github-actions", "deploy.yml job deploy", SPANS[4],
        role=Str(f"arn:aws:iam::{ACCOUNT}:role/deploy"), contexts=[GITHUB_CONTEXTS[0]]))
    [finding] = findings_of(inventory, "OIDC113")
    assert finding.span == SPANS[1]
    assert "session name `GitHubActions`" in finding.message


def test_oidc115_quotes_an_unknown_piece_of_the_impossible_segment_readably():
    """The segment OIDC115 quotes can hold an unknown piece (``refs/heads/${var.branch}``,
    missing the ``ref:`` label); it was written with the internal marker character."""
    value = Partial(("repo:acme/api:refs/heads/", Unknown("var.branch")), SPANS[2])
    inventory = github_role(Condition(Str("StringLike"), Str(f"{GITHUB}:sub"), [value], SPANS[2]))
    [finding] = findings_of(inventory, "OIDC115")
    assert "`refs/heads/${...}` after `repo:acme/api:`" in finding.message
    assert "\x00" not in finding.message and "\x00" not in finding.evidence["segment"]


def test_oidc206_writes_values_that_are_not_text_as_the_policy_does():
    """A condition value may be a list or a mapping (``"sub": [["repo:acme/*"]]`` in
    ``jsonencode``); OIDC206 wrote Python's repr of it."""
    inventory = github_role(Condition(Str("StringNotLike"), Str(f"{GITHUB}:sub"),
                                      [["repo:acme/*"], {"Ref": "Org"}, True]))
    [finding] = findings_of(inventory, "OIDC206")
    assert 'only excludes `["repo:acme/*"]`, `{"Ref": "Org"}`, `true`;' in finding.message


def test_explain_without_statement_location_sid_text_or_role():
    """``explain`` printed ``at None`` for a statement without a location, Python's repr of
    a ``Sid`` or a condition value that is not text, and ``None`` for a job naming no role."""
    inventory = github_role(
        Condition(Str("StringLike"), Str(f"{GITHUB}:sub"), [["repo:acme/*"], 5]),
        sid={"Ref": "StatementId"})
    inventory.workloads.append(Workload("github-actions", "deploy.yml job deploy", SPANS[4]))
    graph = TrustGraph(inventory, "acme/api")
    text = explain_role(graph, graph.roles[0], Request({"sub": "repo:acme/api:ref:x"})).text
    assert '  Statement 1 ({"Ref": "StatementId"}): Allow, trusts' in text
    assert '`["repo:acme/*"]`, `5`: the token has' in text
    assert explain_workload(graph, graph.workloads[0]).text == \
        "deploy.yml job deploy: names no role to assume.\n"


def test_an_effect_that_is_not_text_is_a_problem_of_the_policy_and_allows_nothing():
    """``"Effect": ["Allow"]`` reached the model as a list: ``explain`` printed Python's repr
    of it, and nothing said the policy was wrong."""
    document = document_from_value({"Statement": [
        {"Effect": ["Allow"], "Action": "sts:AssumeRoleWithWebIdentity",
         "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"}},
        {"Effect": 1, "Action": "sts:AssumeRoleWithWebIdentity"}]}, SPANS[0])
    assert [s.effect for s in document.statements] == ['["Allow"]', "1"]
    assert not any(s.allows for s in document.statements)
    assert document.problems == [(SPANS[0], "Effect is not a string")] * 2
    inventory = Inventory(roles=[Role("aws_iam_role.deploy", Str("deploy"), document, SPANS[1])])
    graph = TrustGraph(inventory)
    assert '  Statement 1 at main.tf:3:1: ["Allow"], trusts' in \
        explain_role(graph, graph.roles[0], Request({})).text


def test_values_in_messages_are_written_as_policies_write_them():
    given = [Str("repo:acme/*"), Unknown("var.org"), True, 5, None, ["a", Unknown("var.b")],
             {"Ref": "Org"}, Choice(("a", "b"), "Fn::If IsProd")]
    assert [render(v) for v in given] == ["repo:acme/*", "${var.org}", "true", "5", "null",
                                          '["a", "${var.b}"]', '{"Ref": "Org"}',
                                          "${Fn::If IsProd}"]


def test_graph_edges_write_subject_values_as_policies_write_them():
    """The subjects on a ``trusts`` edge of the exported graph were written with ``str()``."""
    inventory = github_role(Condition(Str("StringLike"), Str(f"{GITHUB}:sub"),
                                      [Str("repo:acme/api:*"), ["repo:acme/*"]]))
    labels = [data["label"] for *_, data in linked_view(TrustGraph(inventory)).edges(data=True)]
    assert labels == ['trusts repo:acme/api:*, ["repo:acme/*"]']
