"""Least-privilege trust synthesis (``oidclint.iam.narrowing``): the narrowest conditions that
admit every way the linked workloads run, and nothing else of their issuer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from generated_graphs import SETTINGS
from oidclint.graph import TrustGraph
from oidclint.iam.catalog import issuer_for
from oidclint.iam.claims import admits, tokens_for
from oidclint.iam.narrowing import Run, covers, fewest, judge, narrowest, probes
from oidclint.iam.patterns import Pattern, glob_matches
from oidclint.iam.policy import document_from_value
from oidclint.model import Inventory, JobWorkflow, OidcProvider, Role, TokenContext, Workload
from oidclint.source import Span, Unknown, concat

SPAN = Span("deploy.yml", 1, 1, 1, 2)
GITHUB = issuer_for("token.actions.githubusercontent.com")


def push(branch: str) -> TokenContext:
    glob = "*" in branch
    return TokenContext(f"push to {branch}", f"ref:refs/heads/{branch}", pattern=glob,
                        claims={"ref": f"refs/heads/{branch}"})


def tag(name: str) -> TokenContext:
    return TokenContext(f"push of tag {name}", f"ref:refs/tags/{name}", pattern="*" in name,
                        claims={"ref": f"refs/tags/{name}"})


def environment(name) -> TokenContext:
    return TokenContext(f"environment {name}", concat(("environment:", name)),
                        claims={"environment": name})


PULL_REQUEST = TokenContext("pull_request", "pull_request", claims={"ref": "refs/pull/*/merge"})
DISPATCH = TokenContext("workflow_dispatch on any branch", "ref:refs/heads/*", pattern=True,
                        claims={"ref": "refs/heads/*"})


def job(name: str, *contexts: TokenContext, called: JobWorkflow | None = None,
        audience: str | None = None, kind: str = "github-actions") -> Workload:
    return Workload(kind, f"{name}.yml job {name}", SPAN, contexts=list(contexts),
                    job_workflow=called, audience=audience)


def runs_of(*workloads: Workload, repository: str | None = "acme/api") -> list[Run]:
    return [Run(w, token) for w in workloads for token in tokens_for(w, repository)]


def test_exact_subjects_go_under_string_equals_with_the_audience():
    found = narrowest(runs_of(job("deploy", push("main"), environment("production"))), GITHUB)
    assert found.proposed
    assert [(c.operator, c.claim, c.values) for c in found.conditions] == [
        ("StringEquals", "aud", ("sts.amazonaws.com",)),
        ("StringEquals", "sub", ("repo:acme/api:environment:production",
                                 "repo:acme/api:ref:refs/heads/main"))]


def test_a_run_on_any_branch_takes_a_glob_that_covers_the_named_branches():
    found = narrowest(runs_of(job("deploy", push("main"), tag("v*")),
                              job("rollback", DISPATCH)), GITHUB)
    sub = found.condition("sub")
    assert sub.operator == "StringLike"
    # `main` is one of the branches `refs/heads/*` covers: one value fewer, same admission.
    assert sub.values == ("repo:acme/api:ref:refs/heads/*", "repo:acme/api:ref:refs/tags/v*")


def test_a_subject_not_fully_known_is_not_guessed():
    partly = job("deploy", environment(concat(("prod-", Unknown("inputs.stage")))))
    found = narrowest(runs_of(partly, job("plan", PULL_REQUEST)), GITHUB)
    assert not found.proposed and found.conditions == ()
    assert found.unknown == ["deploy.yml job deploy (environment prod-${inputs.stage}) presents "
                             "`repo:acme/api:environment:prod-${inputs.stage}`, only partly known"]
    # Without the repository no GitHub subject is known at all.
    unknown = narrowest(runs_of(job("plan", PULL_REQUEST), repository=None), GITHUB)
    assert not unknown.proposed and "its subject is not known" in unknown.unknown[0]


def test_an_audience_not_known_is_not_guessed_and_a_known_one_is_used():
    gitlab = job("deploy", TokenContext("branch main", "ref_type:branch:ref:main"),
                 kind="gitlab-ci")
    assert not narrowest(runs_of(gitlab), issuer_for("gitlab.com")).proposed
    gitlab.audience = "https://gitlab.com"
    found = narrowest(runs_of(gitlab), issuer_for("gitlab.com"))
    assert found.condition("aud").values == ("https://gitlab.com",)
    assert found.condition("sub").values == (
        "project_path:acme/api:ref_type:branch:ref:main",)


def test_jobs_of_a_reusable_workflow_are_bound_to_the_called_file():
    central = JobWorkflow(".github/workflows/deploy.yml", "acme/platform", "v2", called=True)
    found = narrowest(runs_of(job("staging", environment("staging"), called=central)), GITHUB)
    assert found.condition("job_workflow_ref").values == (
        "acme/platform/.github/workflows/deploy.yml@refs/heads/v2",
        "acme/platform/.github/workflows/deploy.yml@refs/tags/v2")
    assert found.condition("environment").values == ("staging",)
    # A job of the triggered workflow beside it may carry no such claim: the key is left out.
    mixed = narrowest(runs_of(job("staging", environment("staging"), called=central),
                              job("plan", PULL_REQUEST)), GITHUB)
    assert mixed.proposed and mixed.condition("job_workflow_ref") is None
    assert mixed.condition("environment") is None
    assert any("`job_workflow_ref` is left out" in note for note in mixed.notes)
    assert any("`environment` is left out" in note for note in mixed.notes)


def test_service_accounts_of_several_workload_kinds_share_a_statement():
    first = Workload("kubernetes", "ServiceAccount payments/api", SPAN,
                     contexts=[TokenContext("ServiceAccount payments/api",
                                            "system:serviceaccount:payments:api")])
    second = Workload("eksctl", "eksctl ServiceAccount payments/worker", SPAN,
                      contexts=[TokenContext("ServiceAccount payments/worker",
                                             "system:serviceaccount:payments:worker")])
    found = narrowest(runs_of(first, second), issuer_for("oidc.eks.eu-west-1.amazonaws.com/id/A"))
    assert found.condition("sub").values == ("system:serviceaccount:payments:api",
                                             "system:serviceaccount:payments:worker")
    mixed = narrowest(runs_of(first, job("plan", PULL_REQUEST)), GITHUB)
    assert not mixed.proposed and "different issuers" in mixed.unknown[0]


def test_no_linked_workload_proposes_nothing():
    found = narrowest([], GITHUB)
    assert not found.proposed and found.unknown == [
        "no workload of the scan is linked to the role"]


def test_the_probes_are_refused_unless_a_linked_run_presents_them():
    runs = runs_of(job("deploy", environment("production")), job("rollback", DISPATCH))
    found = narrowest(runs, GITHUB)
    statement = found.statement("token.actions.githubusercontent.com")
    verdicts = {p.what: (judge(statement, p.token, GITHUB, runs), p.subject)
                for p in probes(runs, "acme/api")}
    assert verdicts["another owner"][1] == \
        "repo:acme-oidclint-probe/api:environment:production"
    refused = {what for what, (v, _) in verdicts.items() if v.admitted is False}
    assert refused == {"another owner", "another repository", "another environment",
                       "a pull request"}
    branch = verdicts["another branch"][0]
    assert branch.admitted and branch.presented_by.workload.name == "rollback.yml job rollback"


@given(st.lists(st.sampled_from("ab*?/"), max_size=7).map("".join),
       st.lists(st.sampled_from("ab*?/"), max_size=7).map("".join),
       st.lists(st.sampled_from("ab/"), max_size=4), st.booleans())
def test_covers_is_sound(outer, inner, fills, exact):
    """Whatever ``inner`` admits (its wildcards filled in any way), ``outer`` admits when
    ``covers`` says so."""
    inner_pattern = Pattern(inner, glob=not exact)
    if not covers(Pattern(outer), inner_pattern):
        return
    filled = iter(fills + [""] * 10)
    text = inner if exact else "".join(
        next(filled) if c == "*" else (next(filled)[:1] or "a") if c == "?" else c
        for c in inner)
    assert glob_matches(inner, text) or exact
    assert glob_matches(outer, text)


def test_fewest_keeps_what_the_values_admit():
    values = [Pattern("repo:a/b:ref:refs/heads/main", glob=False),
              Pattern("repo:a/b:ref:refs/heads/*"), Pattern("repo:a/b:ref:refs/heads/re*"),
              Pattern("repo:a/b:pull_request", glob=False)]
    assert [p.text for p in fewest(values)] == ["repo:a/b:ref:refs/heads/*",
                                                "repo:a/b:pull_request"]


# --- the property: generated workloads and trusts -----------------------------------------

OWNERS = ["acme", "acm", "acme2"]
NAMES = ["api", "ap", "api-v2"]
BRANCHES = ["main", "mai", "main2", "release/1", "release/2", "dev"]
ENVIRONMENTS = ["production", "prod", "staging"]
NAMESPACES = ["payments", "payment", "ledger"]
ACCOUNTS = ["api", "ap", "worker"]
ROLE_ARN = "arn:aws:iam::123456789012:role/ci"
HOSTS = {"github-actions": "token.actions.githubusercontent.com", "gitlab-ci": "gitlab.com",
         "kubernetes": "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"}
TRUSTED = {"github-actions": ["repo:acme/*", "repo:acme/api:ref:refs/heads/main", "*"],
           "gitlab-ci": ["project_path:acme/*", "project_path:acme/api:ref_type:branch:ref:main"],
           "kubernetes": ["system:serviceaccount:payments:*", "system:serviceaccount:*"]}


def github_contexts() -> st.SearchStrategy[TokenContext]:
    return st.one_of(
        st.sampled_from(BRANCHES + ["release/*"]).map(push),
        st.sampled_from(["v1", "v*"]).map(tag),
        st.sampled_from(ENVIRONMENTS).map(environment),
        st.just(PULL_REQUEST), st.just(DISPATCH))


def gitlab_contexts() -> st.SearchStrategy[TokenContext]:
    return st.one_of(
        st.sampled_from(BRANCHES).map(lambda b: TokenContext(
            f"branch {b}", f"ref_type:branch:ref:{b}", claims={"ref_type": "branch", "ref": b})),
        st.sampled_from(["v1", "v*"]).map(lambda t: TokenContext(
            f"tag {t}", f"ref_type:tag:ref:{t}", pattern="*" in t,
            claims={"ref_type": "tag"})))


@st.composite
def linked_workloads(draw) -> tuple[str, list[Workload]]:
    kind = draw(st.sampled_from(sorted(HOSTS)))
    found = []
    for index in range(draw(st.integers(1, 3))):
        if kind == "kubernetes":
            namespace, name = draw(st.sampled_from(NAMESPACES)), draw(st.sampled_from(ACCOUNTS))
            contexts = [TokenContext(f"ServiceAccount {namespace}/{name}",
                                     f"system:serviceaccount:{namespace}:{name}")]
        else:
            strategy = github_contexts() if kind == "github-actions" else gitlab_contexts()
            contexts = draw(st.lists(strategy, min_size=1, max_size=3))
        called = JobWorkflow(".github/workflows/deploy.yml", "acme/platform",
                             draw(st.sampled_from(["v2", "refs/tags/v3"])), called=True) \
            if kind == "github-actions" and draw(st.booleans()) else None
        found.append(Workload(
            kind, f"job{index}", SPAN, role=ROLE_ARN, contexts=contexts, job_workflow=called,
            audience="https://gitlab.com" if kind == "gitlab-ci" else None))
    return kind, found


def graph_for(kind: str, workloads: list[Workload], trusted: str, repository: str) -> TrustGraph:
    host = HOSTS[kind]
    provider = OidcProvider("aws_iam_openid_connect_provider.this", f"https://{host}",
                            ["sts.amazonaws.com"])
    trust = document_from_value({"Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{host}"},
        "Condition": {"StringLike": {f"{host}:sub": trusted}}}]})
    role = Role("aws_iam_role.ci", "ci", trust, SPAN)
    return TrustGraph(Inventory(providers=[provider], roles=[role], workloads=workloads),
                      repository=repository)


def others(kind: str, repository: str, subject: str) -> dict[str, list[str]]:
    """Subjects that differ from ``subject`` in one part: owner, repository, branch,
    environment, namespace or ServiceAccount."""
    if kind == "kubernetes":
        _, _, namespace, name = subject.split(":")
        return {"ServiceAccount": [f"system:serviceaccount:{namespace}:{n}" for n in ACCOUNTS],
                "namespace": [f"system:serviceaccount:{n}:{name}" for n in NAMESPACES]}
    head = "repo:" if kind == "github-actions" else "project_path:"
    context = subject[len(head) + len(repository) + 1:]
    owner, _, name = repository.partition("/")
    branch = "ref:refs/heads/{}" if kind == "github-actions" else "ref_type:branch:ref:{}"
    return {
        "owner": [f"{head}{o}/{name}:{context}" for o in OWNERS if o != owner],
        "repository": [f"{head}{owner}/{n}:{context}" for n in NAMES if n != name],
        "branch": [f"{head}{repository}:{branch.format(b)}" for b in BRANCHES + ["x"]],
        "environment": [f"{head}{repository}:environment:{e}" for e in ENVIRONMENTS + ["x"]]
        if kind == "github-actions" else [],
        "pull request": [f"{head}{repository}:pull_request"] if kind == "github-actions" else [],
    }


@SETTINGS
@given(linked_workloads(), st.sampled_from(OWNERS), st.sampled_from(NAMES), st.data())
def test_the_synthesised_trust_admits_the_linked_workloads_and_no_other_subject(
        linked, owner, name, data):
    kind, workloads = linked
    repository = f"{owner}/{name}"
    graph = graph_for(kind, workloads, data.draw(st.sampled_from(TRUSTED[kind])), repository)
    role = graph.roles[0]
    narrowing = graph.narrowing(role)
    assert narrowing.proposed, narrowing.unknown
    runs = narrowing.runs
    assert len(runs) == sum(len(w.contexts) for w in workloads)
    issuer = graph.trusts_of_role(role)[0].issuer
    statement = narrowing.statement(HOSTS[kind])
    for run in runs:  # every way each linked workload runs, glob contexts whole
        assert judge(statement, run.token, issuer, runs).admitted is True, run.label
    for run in runs:
        for what, subjects in others(kind, repository, run.token.example_subject).items():
            for subject in subjects:
                presented = any(r.token.subject.matches(subject) for r in runs)
                verdict = admits(statement, run.token, issuer, subject)
                assert verdict is presented, (what, subject, narrowing.summary())
                if what in ("owner", "repository"):  # every linked job is of `repository`
                    assert verdict is False
