# oidclint model of github.com/cds-snc/terraform-modules//gh_oidc_role 11.4.5 on (the newest
# release read). Written by oidclint from reading, not copied. Files read (input.tf,
# locals.tf, main.tf, output.tf):
#   https://github.com/cds-snc/terraform-modules/tree/dc82031bf7ba3edc6ea9886f306a755e2bec68fa/gh_oidc_role (v11.4.5)
# 11.4.5 (commit dc82031, "Support multiple subject claims per role") made a role's
# `repo_name` and `claim` optional and added `claims`, a list of { repo_name, claim,
# org_name (optional, else the module's `org_name`) }: when it is not empty it replaces the
# single pair, one sub value per entry.
# As the 4.x model otherwise: roles keyed by name (aws_iam_role.this["<name>"]); one
# statement, sts:AssumeRoleWithWebIdentity, Federated = the account's existing GitHub provider
# when `oidc_exists` (default true), else the provider the module makes; StringLike
# token.actions.githubusercontent.com:sub = each repo:<org>/<repo_name>:<claim>, no aud
# condition; the statements of `assume_policy` follow it. The module attaches no policy:
# callers attach by role name.
# Left out: the input validation (each role sets `claims` or both `repo_name` and `claim`),
# the tls_certificate thumbprints, tags (billing_tag_*, ssc_cbrid_tag_*).

variable "billing_tag_key" {
  type    = string
  default = "CostCentre"
}

variable "billing_tag_value" {
  type = string
}

variable "ssc_cbrid_tag_key" {
  type    = string
  default = "ssc_cbrid"
}

variable "ssc_cbrid_tag_value" {
  type    = string
  default = "22DH"
}

variable "oidc_exists" {
  type    = bool
  default = true
}

variable "org_name" {
  type    = string
  default = "cds-snc"
}

variable "roles" {
  type = set(object({
    name : string,
    repo_name : optional(string),
    claim : optional(string),
    claims : optional(list(object({
      repo_name : string,
      claim : string,
      org_name : optional(string)
    })), [])
  }))
  default = []
}

variable "assume_policy" {
  type    = string
  default = "{}"
}

locals {
  github_host   = "token.actions.githubusercontent.com"
  roles_by_name = { for role in var.roles : role.name => role }
  subjects = {
    for role in var.roles : role.name => (
      length(role.claims) > 0
      ? [for entry in role.claims : "repo:${coalesce(entry.org_name, var.org_name)}/${entry.repo_name}:${entry.claim}"]
      : ["repo:${var.org_name}/${role.repo_name}:${role.claim}"]
    )
  }
  trusted_provider = (
    var.oidc_exists
    ? "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.github_host}"
    : aws_iam_openid_connect_provider.github[0].arn
  )
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "oidc_assume_role_policy" {
  for_each = local.roles_by_name

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.trusted_provider]
    }
    condition {
      test     = "StringLike"
      variable = "${local.github_host}:sub"
      values   = local.subjects[each.key]
    }
  }
}

data "aws_iam_policy_document" "assume_role_policy" {
  for_each = data.aws_iam_policy_document.oidc_assume_role_policy

  source_policy_documents = [
    each.value.json,
    var.assume_policy,
  ]
}

resource "aws_iam_role" "this" {
  for_each = local.roles_by_name

  name               = each.value.name
  assume_role_policy = data.aws_iam_policy_document.assume_role_policy[each.key].json
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.oidc_exists ? 0 : 1

  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]
}

output "roles" {
  value = { for role in aws_iam_role.this : role.name => role }
}
