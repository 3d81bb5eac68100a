# oidclint model of terraform-module/github-oidc-provider/aws 2.0.0 to 2.1.0 (before 2.2.0).
# Written by oidclint from reading, not copied. Files read (main.tf, variables.tf, outputs.tf):
#   https://github.com/terraform-module/terraform-aws-github-oidc-provider/tree/5da334cce216757d14f196f0fa67477357ef21d3 (v2.0.0)
#   https://github.com/terraform-module/terraform-aws-github-oidc-provider/tree/82ce011042dfb1313860873daaff3d134c51c4a5 (v2.1.0)
# The trust, the provider and the attachments are those of 1.x (see ../v1/main.tf): the role
# and its statement exist only when the module creates the provider. Changes from 1.x:
# - 2.0.0: the default role name becomes "github-oidc-provider-aws".
# - 2.1.0: `github_repositories` -> `repositories`; both names are read here.
# 2.2.0 (../v2/main.tf) lets the role trust an existing provider (`oidc_provider_arn`).
# The input validation (owner/repository, the repository part may be `*`) is not modelled.
# Left out: thumbprint_list, tags, depends_on.

variable "create_oidc_provider" {
  type    = bool
  default = true
}

variable "create_oidc_role" {
  type    = bool
  default = true
}

variable "repositories" {
  type    = list(string)
  default = []
}

# The 2.0.x name of `repositories`.
variable "github_repositories" {
  type    = list(string)
  default = null
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
  entries = var.github_repositories != null ? var.github_repositories : var.repositories

  with_provider = var.create_oidc_provider
  with_role     = var.create_oidc_provider && var.create_oidc_role

  # An entry that names its own context keeps it; a bare repository admits any context.
  subjects = [
    for entry in local.entries :
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
      identifiers = [aws_iam_openid_connect_provider.this[0].arn]
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
