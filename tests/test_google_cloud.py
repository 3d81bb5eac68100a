"""Google Cloud workload identity in the graph: what the Terraform reader reads of pools,
providers, service accounts and grants; the trusts ``iam.google_trusts`` makes of them; the
workloads of ``google-github-actions/auth`` steps and of GKE ServiceAccounts; the
prefilter keeping the files that hold them."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.engine import build_graph
from oidclint.iam.federation import PROBE_SCOPE, PROBE_TENANT, probe_claims, reach
from oidclint.prefilter import select
from oidclint.source import Partial, SourceFile, Unknown

POOL = '''
resource "google_iam_workload_identity_pool" "ci" {
  workload_identity_pool_id = "ci-pool"
}
'''
PROVIDER = '''
resource "google_iam_workload_identity_pool_provider" "github" {
  workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  attribute_mapping = {
    "google.subject"             = "assertion.sub"
    "attribute.repository"       = "assertion.repository"
    "attribute.repository_owner" = "assertion.repository_owner"
  }
  %s
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
    %s
  }
}
'''
ACCOUNT = '''
resource "google_service_account" "deploy" {
  account_id = "deploy"
  project    = "acme-prod"
}
'''
MEMBER = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}"
PROVIDER_NAME = "projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/github"


def _grant(member: str, role: str = "roles/iam.workloadIdentityUser") -> str:
    return f'''
resource "google_service_account_iam_member" "deploy" {{
  service_account_id = google_service_account.deploy.name
  role               = "{role}"
  member             = "{member}"
}}
'''


def _provider(condition: str = "", audiences: str = "") -> str:
    return PROVIDER % (f'attribute_condition = "{condition}"' if condition else "",
                       f"allowed_audiences = {audiences}" if audiences else "")


def _graph(tmp_path: Path, files: dict[str, str], repository: str = "acme/api"):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph, _, _ = build_graph([tmp_path], root=tmp_path, repository=repository)
    return graph


def _workflow(inputs: str) -> str:
    return ("on: push\npermissions:\n  id-token: write\njobs:\n  deploy:\n"
            "    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: google-github-actions/auth@v2\n        with:\n" + inputs)


# --- reading ------------------------------------------------------------------------------

def test_pools_providers_accounts_and_grants_are_read(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider(
        "assertion.repository_owner == 'acme'", '["https://example.com/aud"]')
        + ACCOUNT + _grant(MEMBER + "/attribute.repository/acme/api")})
    inventory = graph.inventory
    assert [str(p.pool_id) for p in inventory.google_pools] == ["ci-pool"]
    provider, = inventory.google_providers
    assert (str(provider.pool_id), str(provider.provider_id)) == ("ci-pool", "github")
    assert str(provider.issuer_uri) == "https://token.actions.githubusercontent.com"
    assert [str(a) for a in provider.allowed_audiences] == ["https://example.com/aud"]
    assert set(provider.attribute_mapping) == {
        "google.subject", "attribute.repository", "attribute.repository_owner"}
    assert str(provider.attribute_condition) == "assertion.repository_owner == 'acme'"
    account, = inventory.google_service_accounts
    assert str(account.email) == "deploy@acme-prod.iam.gserviceaccount.com"
    grant, = inventory.google_grants
    assert str(grant.role) == "roles/iam.workloadIdentityUser"
    assert grant.service_account.ref == "google_service_account.deploy"


def test_grants_on_other_resources_are_kept_only_for_workload_members(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + '''
resource "google_storage_bucket_iam_binding" "pool" {
  bucket  = "b"
  role    = "roles/storage.objectViewer"
  members = ["user:a@example.com", "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci-pool/*"]
}
resource "google_project_iam_member" "people" {
  project = "p"
  role    = "roles/viewer"
  member  = "group:admins@example.com"
}
resource "google_project_iam_member" "gke" {
  project = "p"
  role    = "roles/viewer"
  member  = "serviceAccount:p.svc.id.goog[ns/sa]"
}
'''})
    assert sorted(g.address for g in graph.inventory.google_grants) == [
        "google_project_iam_member.gke", "google_storage_bucket_iam_binding.pool"]
    binding = next(g for g in graph.inventory.google_grants if g.resource.endswith("binding"))
    assert len(binding.members) == 2 and binding.service_account is None


def test_policy_data_is_read_from_a_data_source_and_from_json(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + ACCOUNT + f'''
data "google_iam_policy" "deploy" {{
  binding {{
    role    = "roles/iam.workloadIdentityUser"
    members = ["{MEMBER}/attribute.repository/acme/api"]
  }}
}}
resource "google_service_account_iam_policy" "deploy" {{
  service_account_id = google_service_account.deploy.name
  policy_data        = data.google_iam_policy.deploy.policy_data
}}
resource "google_service_account_iam_policy" "json" {{
  service_account_id = google_service_account.deploy.name
  policy_data = jsonencode({{
    bindings = [{{ role = "roles/iam.serviceAccountTokenCreator", members = ["principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci-pool/subject/x"] }}]
  }})
}}
'''})
    roles = sorted((g.address, str(g.role)) for g in graph.inventory.google_grants)
    assert roles == [
        ("google_service_account_iam_policy.deploy (data.google_iam_policy.deploy.binding[0])",
         "roles/iam.workloadIdentityUser"),
        ("google_service_account_iam_policy.json.policy_data.bindings[0]",
         "roles/iam.serviceAccountTokenCreator"),
    ]


def test_an_expression_outside_the_cel_read_is_noted(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider("assertion.sub.lowerAscii() == 'x'")})
    notes = [d.message for d in graph.inventory.diagnostics]
    assert any("attribute condition is not understood" in n and "lowerAscii" in n
               for n in notes), notes


def test_the_prefilter_keeps_a_folder_holding_only_a_grant_to_a_pool():
    files = [
        SourceFile("grants/main.tf", Path("grants/main.tf"),
                   'resource "google_project_iam_member" "m" {\n  project = "p"\n'
                   '  role = "roles/viewer"\n  member = "principalSet://iam.googleapis.com/'
                   'projects/1/locations/global/workloadIdentityPools/p/*"\n}\n', "terraform"),
        SourceFile("gke/main.tf", Path("gke/main.tf"),
                   'resource "google_service_account_iam_member" "m" {\n'
                   '  service_account_id = "x"\n  role = "roles/iam.workloadIdentityUser"\n'
                   '  member = "serviceAccount:p.svc.id.goog[a/b]"\n}\n', "terraform"),
        SourceFile("pool/main.tf", Path("pool/main.tf"),
                   'resource "google_iam_workload_identity_pool" "p" {\n'
                   '  workload_identity_pool_id = "p"\n}\n', "terraform"),
        SourceFile("bucket/main.tf", Path("bucket/main.tf"),
                   'resource "google_storage_bucket" "b" {\n  name = "b"\n}\n', "terraform"),
    ]
    assert sorted(f.path for f in select(files).keep) == [
        "gke/main.tf", "grants/main.tf", "pool/main.tf"]


# --- trusts -------------------------------------------------------------------------------

def test_one_trust_per_grant_to_the_pool_with_google_s_default_audiences(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider("assertion.repository_owner == 'acme'")
                              + ACCOUNT + _grant(MEMBER + "/attribute.repository/acme/api")})
    trust, = graph.cloud_trusts
    assert trust.cloud == "google"
    assert trust.address == "google_iam_workload_identity_pool_provider.github"
    assert trust.principal == "service account deploy@acme-prod.iam.gserviceaccount.com"
    assert str(trust.issuer) == "https://token.actions.githubusercontent.com"
    assert all(isinstance(a, Partial) for a in trust.audiences)
    assert [a.parts[0] for a in trust.audiences] == [
        "//iam.googleapis.com/projects/", "https://iam.googleapis.com/projects/"]
    assert str(trust.audiences[0]).endswith("/workloadIdentityPools/ci-pool/providers/github")
    assert trust.kind.kind == "github"


@pytest.mark.parametrize("condition, member, owner, verdict", [
    ("assertion.repository_owner == 'acme'", "/attribute.repository/acme/api", "acme", True),
    ("assertion.repository_owner == 'acme'", "/attribute.repository/acme/api", "other", False),
    ("", "/attribute.repository/acme/api", "acme", True),
    ("assertion.repository_owner == 'acme'", "/*", "acme", True),
    ("", "/*", "anyone", True),
    ("assertion.repository_id == '42'", "/*", "acme", None),  # not in the token's claims
])
def test_a_trust_admits_through_condition_and_member(tmp_path, condition, member, owner,
                                                     verdict):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider(condition) + ACCOUNT
                              + _grant(MEMBER + member)})
    trust, = graph.cloud_trusts
    claims = probe_claims(trust.kind, owner, "api", str(trust.issuer), None)
    assert trust.admits(claims) is verdict


def test_how_far_a_trust_reaches_with_its_own_audiences(tmp_path):
    open_pool = _graph(tmp_path / "a", {"main.tf": POOL + _provider(
        "", '["https://example.com/aud"]') + ACCOUNT + _grant(MEMBER + "/*")})
    assert reach(open_pool.cloud_trusts[0]).kind == "any-tenant"
    owner = _graph(tmp_path / "b", {"main.tf": POOL + _provider(
        "assertion.repository_owner == 'acme'", '["https://example.com/aud"]') + ACCOUNT
        + _grant(MEMBER + "/*")})
    assert reach(owner.cloud_trusts[0], ["acme"]).kind == "whole-tenant"


def test_a_provider_granted_nothing_in_the_scan_is_a_trust_of_unknown_use(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider(), ".github/workflows/d.yml":
                              _workflow(f"          workload_identity_provider: {PROVIDER_NAME}\n")})
    trust, = graph.cloud_trusts
    assert trust.principal.startswith("an identity of pool ")
    assert trust.restriction is None
    assert trust.uses(graph.workloads[0]) is None
    assert probe_claims(trust.kind, PROBE_TENANT, PROBE_SCOPE, str(trust.issuer), None)


def test_a_grant_naming_another_pool_or_a_role_that_lets_nobody_in_is_no_trust(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider() + ACCOUNT + _grant(
        "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/"
        "other/*") + _grant(MEMBER + "/*", role="roles/iam.serviceAccountViewer").replace(
            '"deploy" {\n  service_account_id', '"viewer" {\n  service_account_id')})
    trust, = graph.cloud_trusts
    assert trust.principal.startswith("an identity of pool ")


@pytest.mark.parametrize("inputs, used", [
    (f"          workload_identity_provider: {PROVIDER_NAME}\n"
     "          service_account: deploy@acme-prod.iam.gserviceaccount.com\n", True),
    (f"          workload_identity_provider: {PROVIDER_NAME.replace('github', 'gitlab')}\n"
     "          service_account: deploy@acme-prod.iam.gserviceaccount.com\n", False),
    (f"          workload_identity_provider: {PROVIDER_NAME}\n"
     "          service_account: other@acme-prod.iam.gserviceaccount.com\n", False),
    (f"          workload_identity_provider: {PROVIDER_NAME}\n", False),  # direct access
    ("          workload_identity_provider: ${{ vars.WIF }}\n"
     "          service_account: deploy@acme-prod.iam.gserviceaccount.com\n", None),
])
def test_a_job_uses_the_trust_its_provider_and_service_account_name(tmp_path, inputs, used):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider() + ACCOUNT
                              + _grant(MEMBER + "/attribute.repository/acme/api"),
                              ".github/workflows/d.yml": _workflow(inputs)})
    workload, = graph.workloads
    trust, = graph.cloud_trusts
    assert trust.uses(workload) is used
    assert (graph.cloud_trusts_for(workload) == [trust]) is (used is True)


def test_direct_access_is_used_by_a_job_without_a_service_account(tmp_path):
    graph = _graph(tmp_path, {"main.tf": POOL + _provider() + '''
resource "google_storage_bucket_iam_member" "read" {
  bucket = "b"
  role   = "roles/storage.objectViewer"
  member = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}/attribute.repository/acme/api"
}
''', ".github/workflows/d.yml": _workflow(f"          workload_identity_provider: {PROVIDER_NAME}\n")})
    workload, = graph.workloads
    trust, = graph.cloud_trusts
    assert trust.principal == "roles/storage.objectViewer on google_storage_bucket_iam_member.read"
    assert trust.uses(workload) is True


# --- workloads ----------------------------------------------------------------------------

def test_auth_steps_are_google_workloads(tmp_path):
    graph = _graph(tmp_path, {".github/workflows/d.yml": (
        "on: push\nenv:\n  WIF: " + PROVIDER_NAME + "\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - uses: google-github-actions/auth@v2\n        with:\n"
        "          workload_identity_provider: ${{ env.WIF }}\n"
        "          service_account: ${{ secrets.SA }}\n"
        "  b:\n    runs-on: x\n    steps:\n"
        "      - uses: google-github-actions/auth@v2\n        with:\n"
        f"          workload_identity_provider: {PROVIDER_NAME}\n"
        "          audience: https://example.com/aud\n"
        "  keys:\n    runs-on: x\n    steps:\n"
        "      - uses: google-github-actions/auth@v2\n        with:\n"
        "          credentials_json: ${{ secrets.KEY }}\n")})
    by_name = {w.name: w for w in graph.workloads}
    assert sorted(by_name) == ["d.yml job a", "d.yml job b"]
    a, b = by_name["d.yml job a"], by_name["d.yml job b"]
    assert (a.cloud, str(a.target)) == ("google", PROVIDER_NAME)
    assert isinstance(a.role, Unknown)
    assert str(a.audience) == "https://iam.googleapis.com/" + PROVIDER_NAME
    assert b.role is None and str(b.audience) == "https://example.com/aud"
    assert str(b.issuer) == "token.actions.githubusercontent.com"


def test_a_with_that_is_not_a_mapping_is_noted_with_the_action_s_name(tmp_path):
    graph = _graph(tmp_path, {".github/workflows/d.yml": (
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - uses: google-github-actions/auth@v2\n        with: [1]\n")})
    assert any("`with` of google-github-actions/auth is not a mapping" in d.message
               for d in graph.inventory.diagnostics)


SERVICE_ACCOUNTS = '''apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: payments
  annotations:
    iam.gke.io/gcp-service-account: deploy@acme-prod.iam.gserviceaccount.com
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: worker
  namespace: payments
  annotations:
    iam.gke.io/gcp-service-account: deploy@acme-prod.iam.gserviceaccount.com
'''


def test_gke_service_accounts_are_linked_to_their_members_both_ways(tmp_path):
    graph = _graph(tmp_path, {"sa.yaml": SERVICE_ACCOUNTS, "main.tf": ACCOUNT + _grant(
        "serviceAccount:acme-prod.svc.id.goog[payments/api]") + '''
resource "kubernetes_service_account" "tf" {
  metadata {
    name      = "tf"
    namespace = "payments"
    annotations = {
      "iam.gke.io/gcp-service-account" = google_service_account.deploy.email
    }
  }
}
'''})
    by_name = {w.name: w for w in graph.workloads}
    assert sorted(by_name) == ["ServiceAccount payments/api", "ServiceAccount payments/tf",
                               "ServiceAccount payments/worker"]
    assert all(w.cloud == "google" and w.kind == "kubernetes" for w in by_name.values())
    trust, = graph.cloud_trusts
    assert trust.principal == "service account deploy@acme-prod.iam.gserviceaccount.com"
    assert str(trust.subject) == "system:serviceaccount:payments:api"
    for name in by_name:
        assert graph.cloud_trusts_for(by_name[name]) == [trust]
    assert trust.admits({"sub": "system:serviceaccount:payments:api"}) is True
    assert trust.admits({"sub": "system:serviceaccount:payments:worker"}) is False


def test_a_gke_issuer_is_a_kubernetes_issuer():
    from oidclint.iam.catalog import issuer_for
    issuer = issuer_for("container.googleapis.com/v1/projects/acme-prod/locations/"
                        "europe-west1/clusters/main")
    assert issuer.kind == "gke" and issuer.service_accounts
    claims = probe_claims(issuer, "payments", "api", "https://x", None)
    assert claims["sub"] == "system:serviceaccount:payments:api"



GITLAB_PROVIDER = '''
resource "google_iam_workload_identity_pool_provider" "gitlab" {
  workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
  workload_identity_pool_provider_id = "gitlab"
  attribute_mapping = {
    "google.subject"         = "assertion.sub"
    "attribute.project"      = "assertion.sub.split(':')[1]"
  }
  attribute_condition = "assertion.sub.startsWith('project_path:acme/')"
  oidc {
    issuer_uri = "https://gitlab.com"
  }
}
'''


def _gitlab_job(command: str) -> str:
    return ("variables:\n  WIF: " + PROVIDER_NAME.replace("github", "gitlab") + "\n"
            "deploy:\n  id_tokens:\n    GCP_TOKEN:\n      aud: https://iam.googleapis.com/"
            + PROVIDER_NAME.replace("github", "gitlab") + "\n"
            "  script:\n    - echo \"$GCP_TOKEN\" > token.jwt\n"
            f"    - {command}\n  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n")


@pytest.mark.parametrize("command, account", [
    ("gcloud iam workload-identity-pools create-cred-config $WIF "
     "--service-account=deploy@acme-prod.iam.gserviceaccount.com "
     "--credential-source-file=token.jwt --output-file=creds.json",
     "deploy@acme-prod.iam.gserviceaccount.com"),
    ("gcloud beta iam workload-identity-pools create-cred-config --output-file creds.json "
     "\"$WIF\" --credential-source-file token.jwt && gcloud auth login --cred-file=creds.json",
     None),
])
def test_a_gitlab_job_making_a_credential_configuration_is_a_google_workload(
        tmp_path, command, account):
    graph = _graph(tmp_path, {".gitlab-ci.yml": _gitlab_job(command)})
    workload, = graph.workloads
    assert (workload.kind, workload.cloud) == ("gitlab-ci", "google")
    assert str(workload.target) == PROVIDER_NAME.replace("github", "gitlab")
    assert (str(workload.role) if workload.role is not None else None) == account
    assert str(workload.audience).startswith("https://iam.googleapis.com/projects/")


def test_a_gitlab_job_is_linked_to_its_provider_and_refused_by_its_condition(tmp_path):
    job = _gitlab_job("gcloud iam workload-identity-pools create-cred-config $WIF "
                      "--service-account=deploy@acme-prod.iam.gserviceaccount.com "
                      "--credential-source-file=token.jwt --output-file=c.json")
    files = {".gitlab-ci.yml": job, "main.tf": POOL + GITLAB_PROVIDER + ACCOUNT + _grant(
        MEMBER + "/attribute.project/acme/api")}
    graph = _graph(tmp_path / "own", files, repository="acme/api")
    workload, = graph.workloads
    trust, = graph.cloud_trusts_for(workload)
    assert graph.cloud_refusals(workload) == []
    other = _graph(tmp_path / "other", files, repository="other/api")
    refusal, = other.cloud_refusals(other.workloads[0])
    assert refusal.reason == "subject"


def test_a_gitlab_job_without_a_google_or_aws_credential_is_no_workload(tmp_path):
    graph = _graph(tmp_path, {".gitlab-ci.yml": _gitlab_job("gcloud auth list")})
    assert graph.workloads == []


def test_odd_google_resources_are_noted_or_left_unknown_never_fatal(tmp_path):
    deep = "(" * 60 + "assertion.sub == 'x'" + ")" * 60
    graph = _graph(tmp_path, {"main.tf": f'''
resource "google_iam_workload_identity_pool_provider" "odd" {{
  workload_identity_pool_id          = 12
  workload_identity_pool_provider_id = ["x"]
  attribute_mapping                  = ["not", "a", "map"]
  attribute_condition                = "{deep}"
  oidc {{
    issuer_uri        = "https://token.actions.githubusercontent.com"
    allowed_audiences = "one"
  }}
}}
resource "google_service_account_iam_policy" "text" {{
  service_account_id = "x"
  policy_data        = "{{not json"
}}
resource "google_service_account_iam_binding" "members" {{
  service_account_id = "x"
  role               = "roles/iam.workloadIdentityUser"
  members            = "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*"
}}
'''})
    notes = [d.message for d in graph.inventory.diagnostics]
    assert any("policy_data is not JSON" in n for n in notes), notes
    assert any("nested more than 40 deep" in n for n in notes), notes
    assert not any("could not evaluate" in n for n in notes), notes
    trust, = graph.cloud_trusts
    assert isinstance(trust.audiences, Unknown)
    assert trust.admits({"sub": "repo:a/b:ref:refs/heads/main"}) is None


def test_addresses_repeated_in_other_root_modules_name_their_own_resources(tmp_path):
    # Two root modules with the same resource addresses: a grant's reference to the pool and
    # to the service account names its own module's, never the other's.
    other = ACCOUNT.replace('account_id = "deploy"', 'account_id = "other"')
    graph = _graph(tmp_path, {
        "a/main.tf": POOL + _provider() + ACCOUNT + _grant(MEMBER + "/attribute.repository/acme/api"),
        "b/main.tf": POOL.replace("ci-pool", "ci-other") + _provider() + other
        + _grant(MEMBER + "/attribute.repository/acme/web"),
        ".github/workflows/d.yml": _workflow(
            f"          workload_identity_provider: {PROVIDER_NAME}\n"
            "          service_account: deploy@acme-prod.iam.gserviceaccount.com\n")})
    assert sorted((t.scope, t.principal) for t in graph.cloud_trusts) == [
        ("a", "service account deploy@acme-prod.iam.gserviceaccount.com"),
        ("b", "service account other@acme-prod.iam.gserviceaccount.com")]
    workload, = graph.workloads
    assert [t.scope for t in graph.cloud_trusts_for(workload)] == ["a"]
