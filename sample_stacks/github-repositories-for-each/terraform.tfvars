ci_roles = {
  payments-api = {
    repository = "acme/payments-api"
    branch     = "*"
  }
  ledger = {
    repository = "acme/ledger"
    branch     = "release/*"
  }
  # Meant for the acme-platform-* repositories.
  platform = {
    repository = "acme*"
    branch     = "main"
  }
}
