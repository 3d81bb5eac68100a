# oidclint model of github.com/cds-snc/terraform-modules//gh_oidc_role 4.0.0 to before 11.4.5.
# Written by oidclint from reading, not copied. Files read (input.tf, locals.tf, main.tf,
# output.tf):
#   https://github.com/cds-snc/terraform-modules/tree/c5cdb9a07c9946109c52e40a7e7c980916da8e3a/gh_oidc_role (v4.0.0)
#   https://github.com/cds-snc/terraform-modules/tree/f02b5d53a3ff44dc1a029e3305b2a5b8c639a0af/gh_oidc_role (v11.4.4)
# and the history of gh_oidc_role/*.tf. 4.0.0 (commit c5cdb9a) keyed the roles, their
# policy documents and so their addresses by name: aws_iam_role.this["<name>"]. Later
# changes leave the trust as it was: the provider's thumbprints (6.0.6, 9.6.1), the tag
# inputs `ssc_cbrid_tag_key`/`ssc_cbrid_tag_value` (11.3.3; declared here, so that calls of
# 11.3.3 on fit), descriptions (11.3.5).
# Trust: one statement, sts:AssumeRoleWithWebIdentity, Federated = the account's existing
# GitHub provider (arn:aws:iam::<this account>:oidc-provider/
# token.actions.githubusercontent.com) when `oidc_exists` (default true), else the provider
# the module makes (aws_iam_openid_connect_provider.github[0], client id sts.amazonaws.com);
# StringLike token.actions.githubusercontent.com:sub = repo:<org_name>/<repo_name>:<claim>,
# no aud condition; the statements of `assume_policy` (JSON, default "{}": none) follow it.
# The module attaches no policy: callers attach by role name.
# Left out: the tls_certificate thumbprints, tags (billing_tag_*, ssc_cbrid_tag_*).

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
    repo_name : string,
    claim : string
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
      values   = ["repo:${var.org_name}/${each.value.repo_name}:${each.value.claim}"]
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
