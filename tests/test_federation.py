"""The cloud-neutral trust shape: how far a trust reaches, asked of its own predicate."""

from oidclint.iam.federation import PROBE_TENANT, CloudTrust, probe_claims, reach
from oidclint.iam.catalog import issuer_for
from oidclint.source import Partial, Span, Unknown

GITHUB = "https://token.actions.githubusercontent.com"
SPAN = Span("main.tf", 1, 1)


def _trust(admits, issuer=GITHUB, audiences=("api://AzureADTokenExchange",)):
    return CloudTrust("azure", "azurerm_federated_identity_credential.x", "identity", SPAN,
                      issuer, audiences, admits)


def test_a_trust_admitting_a_stranger_reaches_any_owner():
    assert reach(_trust(lambda claims: True)).kind == "any-tenant"


def test_a_trust_pinning_the_owner_only_reaches_every_repository_of_it():
    def owner_acme(claims):
        return claims["repository_owner"] == "acme"
    found = reach(_trust(owner_acme), ["acme"])
    assert (found.kind, found.tenant) == ("whole-tenant", "acme")
    assert reach(_trust(owner_acme)).kind is None  # the owner is not among those asked


def test_a_trust_naming_one_repository_reaches_nothing_more():
    def one(claims):
        return claims["sub"] == "repo:acme/api:environment:prod"
    assert reach(_trust(one), ["acme"]).kind is None


def test_an_undecided_predicate_is_no_verdict():
    assert reach(_trust(lambda claims: None), ["acme"]).kind is None


def test_probes_carry_an_audience_the_trust_accepts():
    seen = []
    reach(_trust(lambda claims: seen.append(claims["aud"]) or False), ["acme"])
    assert seen == ["api://AzureADTokenExchange"] * 2


def test_unknown_issuer_or_audience_decides_nothing():
    assert reach(_trust(lambda c: True, issuer=Unknown("var.issuer"))).kind is None
    assert reach(_trust(lambda c: True, audiences=Unknown("var.aud"))).kind is None


def test_probe_claims_follow_each_issuers_subject_form():
    github = probe_claims(issuer_for("token.actions.githubusercontent.com"), "acme", "api",
                          GITHUB, "aud")
    assert github["sub"] == "repo:acme/api:ref:refs/heads/main"
    assert github["repository_owner"] == "acme"
    gitlab = probe_claims(issuer_for("gitlab.com"), "acme", "api", "https://gitlab.com", None)
    assert gitlab["sub"] == "project_path:acme/api:ref_type:branch:ref:main"
    assert "aud" not in gitlab
    hcp = probe_claims(issuer_for("app.terraform.io"), PROBE_TENANT, "x",
                       "https://app.terraform.io", "aud")
    assert hcp["sub"].startswith(f"organization:{PROBE_TENANT}:project:x:")
    assert probe_claims(issuer_for("idp.example.com"), "a", "b", "https://idp.example.com",
                        "aud") is None


def test_host_drops_the_scheme_and_the_trailing_slash():
    trust = _trust(lambda c: None, issuer="https://westeurope.oic.prod-aks.azure.com/t/c/")
    assert trust.host == "westeurope.oic.prod-aks.azure.com/t/c"


def test_audiences_known_only_in_part_leave_the_probe_to_the_predicate():
    partial = (Partial(("//iam.googleapis.com/projects/", Unknown("number"), "/x"), None),)
    assert reach(_trust(lambda c: "aud" not in c, audiences=partial)).kind == "any-tenant"
    assert reach(_trust(lambda c: None if "aud" not in c else True,
                        audiences=partial)).kind is None
