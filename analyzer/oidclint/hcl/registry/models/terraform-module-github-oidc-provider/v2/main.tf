# oidclint model of terraform-module/github-oidc-provider/aws 2.2.0 on (2.2.0 to 2.3.0; 2.2.x
# and 2.3.0 seen in use).
# Written by oidclint from reading, not copied. Files read (main.tf, variables.tf, outputs.tf):
#   https://github.com/terraform-module/terraform-aws-github-oidc-provider/tree/9fb3e6642da742187aae60e712c4ab158d3aa0bc (v2.2.0)
#   https://github.com/terraform-module/terraform-aws-github-oidc-provider/tree/92db2652ebb7493ed43389acfc5426f268694493 (v2.2.2)
#   https://github.com/terraform-module/terraform-aws-github-oidc-provider/tree/234b778117d468f3dd981b6ae0a54f8ea16b8fa4 (v2.3.0)
# Trust as 1.x (see ../v1/main.tf): one statement, sts:AssumeRoleWithWebIdentity, StringLike
# token.actions.githubusercontent.com:sub = "repo:<entry>" when the entry holds a `:`, else
# "repo:<entry>:*"; no condition on `aud`.
# Changes from 2.0.x-2.1.x (../v2.0/main.tf) that alter the result: `oidc_provider_arn`
# (2.2.0); the role is made whenever `create_oidc_role` is true, trusting the provider the
# module creates, else `oidc_provider_arn` (without either, Terraform cannot build its trust).
# 2.2.2 tags the provider; 2.3.0 widens the input validation to immutable subjects
# (owner@id/repository@id): neither changes the trust.
# The input validation (owner/repository, the repository part may be `*`) is not modelled.
# Left out: thumbprint_list, tags, depends_on.

variable "create_oidc_provider" {
  type    = bool
  default = true
}

variable "oidc_provider_arn" {
  type    = string
  default = null
}

variable "create_oidc_role" {
  type    = bool
  default = true
}

variable "repositories" {
  type    = list(string)
  default = []
}

variable "oidc_role_attach_policies" {
  type    = list(string)
  default = []
}

variable "role_name" {
  type    = string
  default = "github-oidc-provider-aws"
}

variable "role_description" {
  type    = string
  default = "Role assumed by the GitHub OIDC provider."
}

variable "max_session_duration" {
  type    = number
  default = 3600
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "github_thumbprint" {
  type    = string
  default = null
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  with_provider = var.create_oidc_provider
  with_role     = var.create_oidc_role

  provider_arn = (
    local.with_provider ? aws_iam_openid_connect_provider.this[0].arn : var.oidc_provider_arn
  )

  # An entry that names its own context keeps it; a bare repository admits any context.
  subjects = [
    for entry in var.repositories :
    length(regexall(":", entry)) > 0 ? "repo:${entry}" : "repo:${entry}:*"
  ]
}

resource "aws_iam_openid_connect_provider" "this" {
  count = local.with_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "trust" {
  count = local.with_role ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = local.subjects
    }
  }
}

resource "aws_iam_role" "this" {
  count = local.with_role ? 1 : 0

  name                 = var.role_name
  description          = var.role_description
  max_session_duration = var.max_session_duration
  assume_role_policy   = data.aws_iam_policy_document.trust[0].json
}

resource "aws_iam_role_policy_attachment" "attach" {
  count = local.with_role ? length(var.oidc_role_attach_policies) : 0

  role       = aws_iam_role.this[0].name
  policy_arn = var.oidc_role_attach_policies[count.index]
}

output "oidc_provider_arn" {
  value = try(aws_iam_openid_connect_provider.this[0].arn, "")
}

output "oidc_role" {
  value = try(aws_iam_role.this[0].arn, "")
}
