"""The rules whose meaning is the same on every cloud, run on trusts outside AWS.

The trusts here are built by hand in the cloud-neutral shape (``iam.federation.CloudTrust``),
so these tests hold the rules to that shape whatever reads Google Cloud or Azure code."""

from oidclint.config import Config
from oidclint.engine import scan
from oidclint.graph import TrustGraph
from oidclint.iam.federation import AZURE_AUDIENCE, GITHUB_ISSUER_URL, CloudTrust
from oidclint.model import Inventory, TokenContext, Workload
from oidclint.source import Span, Str
from oidclint_rules.oidc108_workload_subject_not_admitted import WorkloadSubjectNotAdmitted
from oidclint_rules.oidc109_workload_issuer_not_trusted import WorkloadIssuerNotTrusted
from oidclint_rules.oidc110_workload_audience_not_admitted import WorkloadAudienceNotAdmitted
from oidclint_rules.oidc201_missing_subject_condition import MissingSubjectCondition
from oidclint_rules.oidc203_wildcard_subject import WildcardSubject
from oidclint_rules.oidc204_broad_subject import BroadSubject

TF = Span("main.tf", 3, 1)
CLIENT = "00000000-0000-0000-0000-00000000c11e"


def _credential(subject=None, expression=None, issuer=GITHUB_ISSUER_URL,
                audiences=(AZURE_AUDIENCE,), client=CLIENT):
    """An Azure-like credential: exact issuer, audience and subject, or a predicate."""
    def admits(claims):
        if claims.get("iss") != issuer or claims.get("aud") not in audiences:
            return False
        if expression is not None:
            return expression(claims)
        return claims.get("sub") == subject
    restriction = Str(subject, Span("main.tf", 5, 13)) if subject else expression and "expr"
    return CloudTrust("azure", "azurerm_federated_identity_credential.deploy",
                      "managed identity azurerm_user_assigned_identity.deploy", TF, issuer,
                      audiences, admits, restriction=restriction or None, subject=subject,
                      uses=lambda w: w.role == client)


def _job(contexts=(("push to main", "ref:refs/heads/main", "refs/heads/main"),),
         audience=None, client=CLIENT):
    return Workload(
        kind="github-actions", name="deploy.yml: job deploy", span=Span("deploy.yml", 7, 3),
        role=client, audience=audience, cloud="azure",
        contexts=[TokenContext(label, subject, claims={"ref": ref} if ref else {},
                               event="push" if ref else None)
                  for label, subject, ref in contexts])


def _findings(rule, trusts, workloads=(), trusted_owners=()):
    graph = TrustGraph(Inventory(workloads=list(workloads)), "acme/api",
                       config=Config(trusted_owners=list(trusted_owners)))
    graph._cloud_trusts = list(trusts)
    return [f for f in rule.check(graph) if hasattr(f, "rule_id")]


def test_an_exact_subject_that_matches_is_silent():
    trust = _credential("repo:acme/api:ref:refs/heads/main")
    for rule in (WorkloadSubjectNotAdmitted(), WorkloadIssuerNotTrusted(),
                 WorkloadAudienceNotAdmitted(), MissingSubjectCondition(), WildcardSubject(),
                 BroadSubject()):
        assert _findings(rule, [trust], [_job()]) == [], rule.id


def test_environment_against_branch_is_oidc108():
    trust = _credential("repo:acme/api:environment:production")
    [found] = _findings(WorkloadSubjectNotAdmitted(), [trust], [_job()])
    assert "repo:acme/api:ref:refs/heads/main" in found.message
    assert "AADSTS70021" in found.message


def test_a_workload_set_to_use_another_identity_is_not_judged_by_this_one():
    trust = _credential("repo:acme/api:environment:production")
    assert _findings(WorkloadSubjectNotAdmitted(), [trust], [_job(client="another")]) == []


def test_a_subject_not_known_is_not_judged():
    trust = _credential("repo:acme/api:environment:production")
    job = _job(contexts=(("workflow_dispatch", "ref:refs/heads/*", None),))
    job.contexts[0].pattern = True
    assert _findings(WorkloadSubjectNotAdmitted(), [trust], [job]) == []


def test_trailing_slash_on_the_issuer_is_oidc109_not_oidc108():
    trust = _credential("repo:acme/api:ref:refs/heads/main", issuer=GITHUB_ISSUER_URL + "/")
    [found] = _findings(WorkloadIssuerNotTrusted(), [trust], [_job()])
    assert "trailing slash" in found.message
    assert _findings(WorkloadSubjectNotAdmitted(), [trust], [_job()]) == []
    assert _findings(WorkloadAudienceNotAdmitted(), [trust], [_job()]) == []


def test_audience_the_credential_does_not_accept_is_oidc110():
    trust = _credential("repo:acme/api:ref:refs/heads/main")
    [found] = _findings(WorkloadAudienceNotAdmitted(), [trust], [_job(audience="sts.amazonaws.com")])
    assert "`sts.amazonaws.com`" in found.message
    assert _findings(WorkloadSubjectNotAdmitted(), [trust], [_job(audience="sts.amazonaws.com")]) == []


def test_one_of_several_credentials_admitting_is_enough():
    trusts = [_credential("repo:acme/api:environment:production"),
              _credential("repo:acme/api:ref:refs/heads/main")]
    assert _findings(WorkloadSubjectNotAdmitted(), trusts, [_job()]) == []


def test_no_subject_restriction_on_a_shared_issuer_is_oidc201():
    trust = _credential(expression=lambda claims: True)
    trust.restriction = None
    [found] = _findings(MissingSubjectCondition(), [trust])
    assert "any GitHub Actions user" in found.message
    assert _findings(WildcardSubject(), [trust]) == []


def test_a_restriction_admitting_any_owner_is_oidc203():
    trust = _credential(expression=lambda claims: claims["sub"].startswith("repo:"))
    [found] = _findings(WildcardSubject(), [trust])
    assert "any owner" in found.message
    assert _findings(MissingSubjectCondition(), [trust]) == []


def test_a_restriction_pinning_the_owner_only_is_oidc204_and_a_note_when_trusted():
    trust = _credential(expression=lambda claims: claims["repository_owner"] == "acme")
    trust.restriction = "claims['repository_owner'] eq 'acme'"
    [found] = _findings(BroadSubject(), [trust])
    assert "every repository of the owner `acme`" in found.message
    assert found.level.value == "warning"
    [noted] = _findings(BroadSubject(), [trust], trusted_owners=["ACME"])
    assert noted.level.value == "note"
    assert _findings(WildcardSubject(), [trust]) == []


def test_an_undecided_restriction_reports_nothing():
    trust = _credential(expression=lambda claims: None)
    for rule in (MissingSubjectCondition(), WildcardSubject(), BroadSubject()):
        assert _findings(rule, [trust]) == []


def test_explain_a_job_refused_by_azure():
    from oidclint.explain import explain_workload
    graph = TrustGraph(Inventory(workloads=[_job()]), "acme/api")
    graph._cloud_trusts = [_credential("repo:acme/api:environment:production")]
    explained = explain_workload(graph, graph.workloads[0])
    assert explained.refused
    assert "sub=`repo:acme/api:ref:refs/heads/main`" in explained.text
    assert "REFUSES" in explained.text and "AADSTS70021" in explained.text
    graph._cloud_trusts = [_credential("repo:acme/api:ref:refs/heads/main")]
    explained = explain_workload(graph, graph.workloads[0])
    assert not explained.refused and "would admit" in explained.text


def test_graph_draws_cloud_trusts_with_their_workloads():
    from oidclint.reporters.graph import linked_view, to_mermaid
    graph = TrustGraph(Inventory(workloads=[_job()]), "acme/api")
    graph._cloud_trusts = [_credential("repo:acme/api:ref:refs/heads/main")]
    drawn = to_mermaid(linked_view(graph))
    assert "azurerm_federated_identity_credential.deploy" in drawn
    assert "trusts repo:acme/api:ref:refs/heads/main" in drawn
    assert "push to main" in drawn  # the job's edge to the credential


def test_explain_says_when_which_trust_a_job_uses_is_not_known():
    from oidclint.explain import explain_workload
    graph = TrustGraph(Inventory(workloads=[_job(client=Str("${vars.CLIENT}", TF))]), "acme/api")
    trust = _credential("repo:acme/api:ref:refs/heads/main")
    trust.uses = lambda workload: None
    graph._cloud_trusts = [trust]
    explained = explain_workload(graph, graph.workloads[0])
    assert "not known statically (1 may be it: azurerm_federated_identity_credential.deploy" \
        in explained.text
    assert not explained.refused


def test_an_enterprise_issuer_is_not_taken_for_a_mismatch_the_code_cannot_show():
    # An enterprise may have its jobs' tokens carry token.actions.githubusercontent.com/<slug>;
    # the workflow does not say, so a credential for that issuer is no OIDC109.
    trust = _credential("repo:acme/api:ref:refs/heads/main",
                        issuer=GITHUB_ISSUER_URL + "/acme-corp")
    assert _findings(WorkloadIssuerNotTrusted(), [trust], [_job()]) == []
    # Another host altogether still is.
    other = _credential("repo:acme/api:ref:refs/heads/main", issuer="https://gitlab.com")
    assert len(_findings(WorkloadIssuerNotTrusted(), [other], [_job()])) == 1


def test_a_grant_to_a_person_from_an_input_leaves_a_pool_without_grants_open(tmp_path):
    """Only members that may be the pool's make its reach undecided: `user:${var.admin}` is
    a person, whatever the input holds."""
    (tmp_path / "main.tf").write_text('''
variable "admin" {
  type = string
}

resource "google_iam_workload_identity_pool" "ci" {
  workload_identity_pool_id = "ci"
}

resource "google_iam_workload_identity_pool_provider" "gitlab" {
  workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
  workload_identity_pool_provider_id = "gitlab"
  attribute_mapping                  = { "google.subject" = "assertion.sub" }
  oidc {
    issuer_uri = "https://gitlab.com"
  }
}

resource "google_project_iam_member" "admin" {
  project = "acme-prod"
  role    = "roles/owner"
  member  = "user:${var.admin}"
}
''', encoding="utf-8")
    report = scan([tmp_path])
    assert [f.rule_id for f in report.findings if f.rule_id == "OIDC201"] == ["OIDC201"]
