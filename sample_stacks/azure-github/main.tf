# The Entra application the platform team registered for payments-api deployments; this
# repository adds the federated credentials its workflows sign in with.
data "azuread_application" "deploy" {
  client_id = "6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f"
}

# Pushes to main. The deploy job runs in the `production` environment, so its token's
# subject is `...:environment:production`, not this one.
resource "azuread_application_federated_identity_credential" "main" {
  application_id = data.azuread_application.deploy.id
  display_name   = "payments-api-main"
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = "repo:acme/payments-api:ref:refs/heads/main"
  audiences      = ["api://AzureADTokenExchange"]
}

# Pull requests of every branch, meant for `terraform plan`: Entra does not test the
# `event_name` claim of GitHub tokens.
resource "azuread_application_flexible_federated_identity_credential" "plan" {
  application_id             = data.azuread_application.deploy.id
  display_name               = "payments-api-plan"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['sub'] eq 'repo:acme/payments-api:pull_request' and claims['event_name'] eq 'pull_request'"
  audience                   = "api://AzureADTokenExchange"
}

# A managed identity for the nightly job, its client id kept in a repository variable.
resource "azurerm_user_assigned_identity" "nightly" {
  name                = "payments-api-nightly"
  resource_group_name = "payments"
  location            = "westeurope"
}

resource "azurerm_federated_identity_credential" "nightly" {
  name                = "payments-api-nightly"
  resource_group_name = "payments"
  parent_id           = azurerm_user_assigned_identity.nightly.id
  issuer              = "https://token.actions.githubusercontent.com"
  subject             = "repo:acme/payments-api:ref:refs/heads/main"
  audience            = ["api://AzureADTokenExchange"]
}
