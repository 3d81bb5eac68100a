"""Azure in Terraform: federated identity credentials (azurerm, azuread, the flexible form),
the identities and applications they belong to, AKS issuers, and the CloudTrusts built from
them with Entra's exact matching."""

from __future__ import annotations

from oidclint.graph import TrustGraph
from oidclint.iam.azure_trusts import azure_trusts
from oidclint.source import Partial, Unknown
from conftest import FIXTURES
from terraform_helpers import scan

GITHUB = "https://token.actions.githubusercontent.com"
AUD = "api://AzureADTokenExchange"

IDENTITY = '''
resource "azurerm_user_assigned_identity" "deploy" {
  name                = "deploy"
  resource_group_name = "ci"
  location            = "westeurope"
}
'''


def token(sub, iss=GITHUB, aud=AUD):
    return {"iss": iss, "sub": sub, "aud": aud}


def test_a_managed_identity_credential_admits_its_exact_subject_only(tmp_path):
    inventory = scan(tmp_path, {"main.tf": IDENTITY + '''
resource "azurerm_federated_identity_credential" "main" {
  name                = "main"
  resource_group_name = "ci"
  parent_id           = azurerm_user_assigned_identity.deploy.id
  issuer              = "https://token.actions.githubusercontent.com"
  subject             = "repo:acme/api:ref:refs/heads/main"
  audience            = ["api://AzureADTokenExchange"]
}
'''})
    [trust] = azure_trusts(inventory)
    assert trust.principal == "managed identity azurerm_user_assigned_identity.deploy"
    assert (trust.subject, trust.subject_glob) == ("repo:acme/api:ref:refs/heads/main", False)
    assert trust.admits(token("repo:acme/api:ref:refs/heads/main")) is True
    # Case, wildcards and other contexts are different subjects to Entra.
    assert trust.admits(token("repo:Acme/api:ref:refs/heads/main")) is False
    assert trust.admits(token("repo:acme/api:environment:production")) is False
    assert trust.admits(token("repo:acme/api:ref:refs/heads/main", iss=GITHUB + "/")) is False
    assert trust.admits(token("repo:acme/api:ref:refs/heads/main", aud="other")) is False
    assert trust.admits({"sub": "repo:acme/api:ref:refs/heads/main"}) is None


def test_a_star_in_a_subject_is_a_character_not_a_wildcard(tmp_path):
    inventory = scan(tmp_path, {"main.tf": IDENTITY + '''
resource "azurerm_federated_identity_credential" "any" {
  name      = "any"
  user_assigned_identity_id = azurerm_user_assigned_identity.deploy.id
  issuer    = "https://token.actions.githubusercontent.com"
  subject   = "repo:acme/*"
  audience  = ["api://AzureADTokenExchange"]
}
'''})
    [trust] = azure_trusts(inventory)
    assert trust.admits(token("repo:acme/api:ref:refs/heads/main")) is False
    assert trust.admits(token("repo:acme/*")) is True


def test_an_application_credential_defaults_its_audience(tmp_path):
    inventory = scan(tmp_path, {"main.tf": '''
resource "azuread_application" "ci" {
  display_name = "ci"
}
resource "azuread_application_federated_identity_credential" "ci" {
  application_object_id = azuread_application.ci.object_id
  display_name          = "ci"
  issuer                = "https://gitlab.com"
  subject               = "project_path:acme/api:ref_type:branch:ref:main"
}
'''})
    [trust] = azure_trusts(inventory)
    assert trust.principal == "application azuread_application.ci"
    assert trust.audiences == (AUD,)
    assert trust.admits(token("project_path:acme/api:ref_type:branch:ref:main",
                              iss="https://gitlab.com")) is True


def test_partly_known_subjects_decide_only_what_their_known_text_decides(tmp_path):
    inventory = scan(tmp_path, {"main.tf": IDENTITY + '''
variable "repo" {
  type = string
}
resource "azurerm_federated_identity_credential" "main" {
  name      = "main"
  parent_id = azurerm_user_assigned_identity.deploy.id
  issuer    = "https://token.actions.githubusercontent.com"
  subject   = "repo:acme/${var.repo}:environment:production"
  audience  = ["api://AzureADTokenExchange"]
}
'''})
    [trust] = azure_trusts(inventory)
    assert isinstance(trust.subject, Partial)
    assert trust.admits(token("repo:acme/api:environment:production")) is None
    assert trust.admits(token("repo:acme/api:ref:refs/heads/main")) is False


def test_the_flexible_credential_is_read_with_its_expression(tmp_path):
    inventory = scan(tmp_path, {"main.tf": '''
resource "azuread_application_registration" "ci" {
  display_name = "ci"
}
resource "azuread_application_flexible_federated_identity_credential" "ci" {
  application_id             = azuread_application_registration.ci.id
  display_name               = "ci"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['sub'] matches 'repo:acme/*'"
  audience                   = "api://AzureADTokenExchange"
}
'''})
    [credential] = inventory.federated_credentials
    assert credential.subject is None and credential.parent_kind == "application"
    [trust] = azure_trusts(inventory)
    assert trust.restriction == "claims['sub'] matches 'repo:acme/*'"
    assert trust.admits(token("repo:acme/api:ref:refs/heads/main")) is True
    assert trust.admits(token("repo:other/api:ref:refs/heads/main")) is False


def test_an_aks_issuer_keeps_its_trailing_slash(tmp_path):
    inventory = scan(tmp_path, {"main.tf": IDENTITY + '''
resource "azurerm_kubernetes_cluster" "aks" {
  name                = "aks"
  oidc_issuer_enabled = true
}
resource "azurerm_federated_identity_credential" "aks" {
  name      = "aks"
  parent_id = azurerm_user_assigned_identity.deploy.id
  issuer    = azurerm_kubernetes_cluster.aks.oidc_issuer_url
  subject   = "system:serviceaccount:payments:api"
  audience  = ["api://AzureADTokenExchange"]
}
resource "azurerm_kubernetes_cluster" "off" {
  name = "off"
}
'''})
    [cluster] = inventory.clusters
    assert cluster.address == "azurerm_kubernetes_cluster.aks"
    [trust] = azure_trusts(inventory)
    assert isinstance(trust.issuer, Partial) and str(trust.issuer).endswith("/")
    sa = "system:serviceaccount:payments:api"
    issuer = "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/" \
             "11111111-1111-1111-1111-111111111111"
    assert trust.admits(token(sa, iss=issuer + "/")) is None  # which cluster: not known
    assert trust.admits(token(sa, iss=issuer)) is False  # without the slash: never
    assert trust.kind is None  # the host is not known


def test_a_workload_uses_a_credential_by_reference_or_by_the_same_client_id(tmp_path):
    inventory = scan(tmp_path, {"main.tf": IDENTITY + '''
data "azuread_application" "app" {
  client_id = "11111111-2222-3333-4444-555555555555"
}
resource "azurerm_federated_identity_credential" "identity" {
  name      = "identity"
  parent_id = azurerm_user_assigned_identity.deploy.id
  issuer    = "https://token.actions.githubusercontent.com"
  subject   = "repo:acme/api:environment:production"
  audience  = ["api://AzureADTokenExchange"]
}
resource "azuread_application_federated_identity_credential" "app" {
  application_id = data.azuread_application.app.id
  display_name   = "app"
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = "repo:acme/api:environment:production"
  audiences      = ["api://AzureADTokenExchange"]
}
resource "kubernetes_service_account_v1" "api" {
  metadata {
    name      = "api"
    namespace = "payments"
    annotations = {
      "azure.workload.identity/client-id" = azurerm_user_assigned_identity.deploy.client_id
    }
  }
}
'''})
    [account] = inventory.workloads
    assert account.cloud == "azure" and account.audience == AUD
    trusts = {t.address: t for t in TrustGraph(inventory).cloud_trusts}
    assert trusts["azurerm_federated_identity_credential.identity"].uses(account) is True
    assert trusts["azuread_application_federated_identity_credential.app"].uses(account) is False
    app = trusts["azuread_application_federated_identity_credential.app"]
    account.role = "11111111-2222-3333-4444-555555555555".upper()
    assert app.uses(account) is True  # GUIDs compare without case
    account.role = "99999999-2222-3333-4444-555555555555"
    assert app.uses(account) is False
    assert trusts["azurerm_federated_identity_credential.identity"].uses(account) is None
    account.role = Unknown("vars.AZURE_CLIENT_ID")
    assert app.uses(account) is None
    account.cloud = "aws"
    assert app.uses(account) is False


def test_the_prefilter_keeps_azure_folders(tmp_path):
    from oidclint.engine import scan as run
    folder = tmp_path / "infra"
    folder.mkdir()
    (folder / "main.tf").write_text(IDENTITY + '''
resource "azurerm_federated_identity_credential" "a" {
  parent_id = azurerm_user_assigned_identity.deploy.id
  issuer    = "https://token.actions.githubusercontent.com"
  subject   = "repo:acme/api:environment:production"
  audience  = ["api://AzureADTokenExchange"]
  count     = 21
  name      = "a${count.index}"
}
''')
    arm = tmp_path / "arm"
    arm.mkdir()
    (arm / "identity.json").write_text(
        (FIXTURES / "OIDC119/positive-arm-managed-identity/azuredeploy.json").read_text())
    decoy = tmp_path / "network"
    decoy.mkdir()
    (decoy / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "x"\n}\n')
    report = run([tmp_path], root=tmp_path)
    assert sorted(f.rule_id for f in report.findings) == ["OIDC118", "OIDC119"]
    assert report.files_skipped == 1  # the decoy only: the prefilter is at work


def test_how_far_a_credential_reaches_is_asked_of_entras_matching(tmp_path):
    from oidclint.iam.federation import reach
    inventory = scan(tmp_path, {"main.tf": '''
resource "azuread_application" "ci" {
  display_name = "ci"
}
resource "azuread_application_flexible_federated_identity_credential" "any" {
  application_id             = azuread_application.ci.id
  display_name               = "any"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['sub'] matches 'repo:*'"
  audience                   = "api://AzureADTokenExchange"
}
resource "azuread_application_flexible_federated_identity_credential" "acme" {
  application_id             = azuread_application.ci.id
  display_name               = "acme"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['sub'] matches 'repo:acme/*'"
  audience                   = "api://AzureADTokenExchange"
}
resource "azuread_application_federated_identity_credential" "literal" {
  application_id = azuread_application.ci.id
  display_name   = "literal"
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = "repo:*"
  audiences      = ["api://AzureADTokenExchange"]
}
resource "azuread_application_federated_identity_credential" "aks" {
  application_id = azuread_application.ci.id
  display_name   = "aks"
  issuer         = "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/"
  subject        = "system:serviceaccount:payments:api"
  audiences      = ["api://AzureADTokenExchange"]
}
'''})
    trusts = {t.address.rsplit(".", 1)[1]: t for t in azure_trusts(inventory)}
    assert reach(trusts["any"]).kind == "any-tenant"
    found = reach(trusts["acme"], ["acme"])
    assert (found.kind, found.tenant) == ("whole-tenant", "acme")
    assert reach(trusts["literal"], ["acme"]).kind is None  # `*` is no wildcard to Entra
    aks = trusts["aks"]
    assert aks.kind is not None and aks.kind.kind == "aks" and aks.kind.service_accounts
    assert reach(aks, ["payments"]).kind is None  # one ServiceAccount


def test_an_expression_entra_does_not_read_decides_nothing(tmp_path):
    inventory = scan(tmp_path, {"main.tf": '''
resource "azuread_application" "ci" {
  display_name = "ci"
}
resource "azuread_application_flexible_federated_identity_credential" "owner" {
  application_id             = azuread_application.ci.id
  display_name               = "owner"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['repository_owner'] eq 'acme'"
  audience                   = "api://AzureADTokenExchange"
}
resource "azuread_application_flexible_federated_identity_credential" "both" {
  application_id             = azuread_application.ci.id
  display_name               = "both"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['sub'] eq 'repo:acme/api:pull_request' and claims['event_name'] eq 'pull_request'"
  audience                   = "api://AzureADTokenExchange"
}
'''})
    owner, both = azure_trusts(inventory)
    claims = {**token("repo:acme/api:ref:refs/heads/main"), "repository_owner": "acme",
              "event_name": "push"}
    assert owner.admits(claims) is None  # Entra tests no `repository_owner`: not known
    assert owner.admits({**claims, "aud": "other"}) is False  # the audience still decides
    # The test Entra reads refuses a push; a pull request passes it, but whether Entra
    # skips or refuses on the test it does not read is not known.
    assert both.admits(claims) is False
    assert both.admits({**claims, "sub": "repo:acme/api:pull_request",
                        "event_name": "pull_request"}) is None
