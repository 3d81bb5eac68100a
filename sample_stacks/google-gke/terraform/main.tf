# GKE workload identity: the payments-api Kubernetes ServiceAccount acts as the
# payments-api service account of acme-prod.

resource "google_service_account" "payments_api" {
  project    = "acme-prod"
  account_id = "payments-api"
}

resource "google_service_account_iam_member" "payments_api" {
  service_account_id = google_service_account.payments_api.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:acme-prod.svc.id.goog[payments/api]"
}

resource "google_service_account" "reports" {
  project    = "acme-prod"
  account_id = "reports"
}

resource "google_service_account_iam_binding" "reports" {
  service_account_id = google_service_account.reports.name
  role               = "roles/iam.workloadIdentityUser"
  members = [
    "serviceAccount:acme-prod.svc.id.goog[reports/exporter]",
  ]
}
