# Workload identity federation for the GitHub repositories of acme: one pool, one provider
# that admits acme's tokens only, and two service accounts the workflows act as.

resource "google_iam_workload_identity_pool" "github" {
  project                   = "acme-prod"
  workload_identity_pool_id = "github-pool"
  display_name              = "GitHub Actions"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  project                            = "acme-prod"
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  attribute_mapping = {
    "google.subject"             = "assertion.sub"
    "attribute.repository"       = "assertion.repository"
    "attribute.repository_owner" = "assertion.repository_owner"
  }
  attribute_condition = "assertion.repository_owner == 'acme'"
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "deploy" {
  project    = "acme-prod"
  account_id = "deploy"
}

# Right: only acme/payments-api may act as deploy.
resource "google_service_account_iam_member" "deploy" {
  service_account_id = google_service_account.deploy.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository/acme/payments-api"
}

resource "google_service_account" "publisher" {
  project    = "acme-prod"
  account_id = "publisher"
}

# Broken: every identity of the pool, so every repository of acme, may act as publisher.
resource "google_service_account_iam_member" "publisher" {
  service_account_id = google_service_account.publisher.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/*"
}

# Broken: read through a team attribute the provider never maps.
resource "google_storage_bucket_iam_member" "artifacts" {
  bucket = "acme-artifacts"
  role   = "roles/storage.objectViewer"
  member = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.team/platform"
}
