# oidclint model of terraform-google-modules/github-actions-runners/google//modules/gh-oidc,
# 2.x to 5.x (the module's main.tf and variables.tf are the same from 3.1.0 to 5.1.0; 2.x
# differs only in a fixed issuer). Written by oidclint from reading the tagged sources at
# https://github.com/terraform-google-modules/terraform-google-github-actions-runners/tree/v5.1.0/modules/gh-oidc,
# not copied. What it makes: one workload identity pool, one OIDC provider of that pool
# (GitHub's issuer by default, no attribute condition by default), and for each entry of
# `sa_mapping` roles/iam.workloadIdentityUser on `sa_name` for the member
# principalSet://iam.googleapis.com/<pool name>/<attribute> (`*`: the whole pool).
# Left out: display names and descriptions.

variable "project_id" {
  type = string
}

variable "pool_id" {
  type = string
}

variable "provider_id" {
  type = string
}

variable "issuer_uri" {
  type    = string
  default = "https://token.actions.githubusercontent.com"
}

variable "attribute_condition" {
  type    = string
  default = null
}

variable "attribute_mapping" {
  type = map(any)
  default = {
    "google.subject"       = "assertion.sub"
    "attribute.actor"      = "assertion.actor"
    "attribute.aud"        = "assertion.aud"
    "attribute.repository" = "assertion.repository"
  }
}

variable "allowed_audiences" {
  type    = list(string)
  default = []
}

variable "sa_mapping" {
  type = map(object({
    sa_name   = string
    attribute = string
  }))
  default = {}
}

resource "google_iam_workload_identity_pool" "main" {
  project                   = var.project_id
  workload_identity_pool_id = var.pool_id
}

resource "google_iam_workload_identity_pool_provider" "main" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.main.workload_identity_pool_id
  workload_identity_pool_provider_id = var.provider_id
  attribute_condition                = var.attribute_condition
  attribute_mapping                  = var.attribute_mapping
  oidc {
    allowed_audiences = var.allowed_audiences
    issuer_uri        = var.issuer_uri
  }
}

resource "google_service_account_iam_member" "wif-sa" {
  for_each           = var.sa_mapping
  service_account_id = each.value.sa_name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.main.name}/${each.value.attribute}"
}

output "pool_name" {
  value = google_iam_workload_identity_pool.main.name
}

output "provider_name" {
  value = google_iam_workload_identity_pool_provider.main.name
}
