# oidclint model of github.com/cds-snc/terraform-modules//gh_oidc_role 1.0.3 to before 2.0.0.
# Written by oidclint from reading, not copied. Files read (input.tf, locals.tf, main.tf,
# output.tf):
#   https://github.com/cds-snc/terraform-modules/tree/d911a3dc526cfd18ce2b31f907cd1089c8763f83/gh_oidc_role (v1.0.3)
#   https://github.com/cds-snc/terraform-modules/tree/d9d1faead7e0328dc8652483f2690b6d0f0961c7/gh_oidc_role (v1.0.11)
# and the history of gh_oidc_role/*.tf. 1.0.3 (commit aa6632c) moved the trust into counted
# policy documents and added `assume_policy`; 1.0.11 (commit d9d1fae) added `oidc_exists`,
# default false. Before 1.0.11 there is no `oidc_exists` and the provider is always made,
# which is what the default here does (Terraform refuses a 1.0.3 - 1.0.10 call passing it).
# `roles` has no default (one role at least, says its description).
# As the 2.x model otherwise: one role per `roles` entry, aws_iam_role.this[<index>] in the
# order of tolist(var.roles); one statement, sts:AssumeRoleWithWebIdentity, Federated = the
# provider the module makes (aws_iam_openid_connect_provider.github[0], client id
# sts.amazonaws.com) unless `oidc_exists`, then the account's existing GitHub provider;
# StringLike token.actions.githubusercontent.com:sub = repo:<org_name>/<repo_name>:<claim>,
# no aud condition; the statements of `assume_policy` follow it. The module attaches no
# policy: callers attach by role name.
# Left out: the tls_certificate thumbprint, tags (billing_tag_key/value).

variable "billing_tag_key" {
  type    = string
  default = "CostCentre"
}

variable "billing_tag_value" {
  type = string
}

variable "oidc_exists" {
  type    = bool
  default = false
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
