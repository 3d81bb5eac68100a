# oidclint model of github.com/cds-snc/terraform-modules//gh_oidc_role 2.0.0 to before 4.0.0
# (3.0.20 seen in use). Written by oidclint from reading, not copied. Files read (input.tf,
# locals.tf, main.tf, output.tf):
#   https://github.com/cds-snc/terraform-modules/tree/22796282df6593e9701870d3e554413f5471d66a/gh_oidc_role (v2.0.0)
#   https://github.com/cds-snc/terraform-modules/tree/b14f31a37680e715241b6e5bebba949540776608/gh_oidc_role (v3.0.20)
# and the history of gh_oidc_role/*.tf: from 2.0.0 (commit 2279628, "BREAKING CHANGE: Default
# for oidc_exists is now true") to 3.0.20 only comments changed.
# One role per `roles` entry, counted: aws_iam_role.this[<index>] in the order of
# tolist(var.roles). Trust: one statement, sts:AssumeRoleWithWebIdentity, Federated = the
# account's existing GitHub provider (arn:aws:iam::<this account>:oidc-provider/
# token.actions.githubusercontent.com) when `oidc_exists` (default true), else the provider
# the module makes; StringLike token.actions.githubusercontent.com:sub =
# repo:<org_name>/<repo_name>:<claim>, nothing else (no aud condition). The statements of
# `assume_policy` (JSON, default "{}": none) follow it in the same document. The module attaches no policy: callers attach by role name.
# Left out: the tls_certificate thumbprints, tags (billing_tag_key/value).

variable "billing_tag_key" {
  type    = string
  default = "CostCentre"
}

variable "billing_tag_value" {
  type = string
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
  github_host = "token.actions.githubusercontent.com"
  role_list   = tolist(var.roles)
  trusted_provider = (
    var.oidc_exists
    ? "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.github_host}"
    : aws_iam_openid_connect_provider.github[0].arn
  )
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "oidc_assume_role_policy" {
  count = length(local.role_list)

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.trusted_provider]
    }
    condition {
      test     = "StringLike"
      variable = "${local.github_host}:sub"
      values   = ["repo:${var.org_name}/${local.role_list[count.index].repo_name}:${local.role_list[count.index].claim}"]
    }
  }
}

data "aws_iam_policy_document" "assume_role_policy" {
  count = length(local.role_list)

  source_policy_documents = [
    data.aws_iam_policy_document.oidc_assume_role_policy[count.index].json,
    var.assume_policy,
  ]
}

resource "aws_iam_role" "this" {
  count = length(local.role_list)

  name               = local.role_list[count.index].name
  assume_role_policy = data.aws_iam_policy_document.assume_role_policy[count.index].json
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.oidc_exists ? 0 : 1

  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]
}

output "roles" {
  value = { for role in aws_iam_role.this : role.name => role }
}
