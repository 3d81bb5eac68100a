resource "azurerm_kubernetes_cluster" "payments" {
  name                      = "payments"
  location                  = "westeurope"
  resource_group_name       = "payments"
  dns_prefix                = "payments"
  oidc_issuer_enabled       = true
  workload_identity_enabled = true

  default_node_pool {
    name       = "system"
    node_count = 2
    vm_size    = "Standard_D2s_v5"
  }

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_user_assigned_identity" "api" {
  name                = "payments-api"
  resource_group_name = "payments"
  location            = "westeurope"
}

# The issuer is the cluster's own URL, trailing slash included, as its tokens carry it.
resource "azurerm_federated_identity_credential" "api" {
  name                = "payments-api"
  resource_group_name = "payments"
  parent_id           = azurerm_user_assigned_identity.api.id
  issuer              = azurerm_kubernetes_cluster.payments.oidc_issuer_url
  subject             = "system:serviceaccount:payments:api"
  audience            = ["api://AzureADTokenExchange"]
}

resource "azurerm_user_assigned_identity" "worker" {
  name                = "payments-worker"
  resource_group_name = "payments"
  location            = "westeurope"
}

resource "azurerm_federated_identity_credential" "worker" {
  name                = "payments-worker"
  resource_group_name = "payments"
  parent_id           = azurerm_user_assigned_identity.worker.id
  issuer              = azurerm_kubernetes_cluster.payments.oidc_issuer_url
  subject             = "system:serviceaccount:payments:worker"
  audience            = ["api://AzureADTokenExchange"]
}

# The API's ServiceAccount, created with the cluster.
resource "kubernetes_service_account_v1" "api" {
  metadata {
    name      = "api"
    namespace = "payments"
    annotations = {
      "azure.workload.identity/client-id" = azurerm_user_assigned_identity.api.client_id
    }
  }
}

# The worker's ServiceAccount: its name is not the one the credential names.
resource "kubernetes_service_account_v1" "worker" {
  metadata {
    name      = "payments-worker"
    namespace = "payments"
    annotations = {
      "azure.workload.identity/client-id" = azurerm_user_assigned_identity.worker.client_id
    }
  }
}
