# oidclint model of terraform-module/github-oidc-provider/aws 1.x (0.1.0 to 1.0.1: the
# Terraform files of 0.1.0, 0.1.1 and 1.0.0 are the same; 1.0.1 only reads the role through
# splat expressions).
# Written by oidclint from reading, not copied. Files read (main.tf, variables.tf, outputs.tf):
#   https://github.com/terraform-module/terraform-aws-github-oidc-provider/tree/171fe603458e6ac4a26011bc07e79f08f0e6f605 (v1.0.0)
#   https://github.com/terraform-module/terraform-aws-github-oidc-provider/tree/7e8399a9bb34176ab6736ff0bab5ab737484e4ca (v1.0.1)
# Trust: one statement, action sts:AssumeRoleWithWebIdentity, Federated = the provider the
# module creates; StringLike token.actions.githubusercontent.com:sub = "repo:<entry>" for an
# entry of `github_repositories` that holds a `:` ("org/repo:ref:refs/heads/main"), else
# "repo:<entry>:*" (every branch, tag, environment and pull request of that repository;
# "org/*" becomes "repo:org/*:*"). There is no condition on `aud` in any release.
# The role and its statement exist only when the module creates the provider
# (create_oidc_provider and create_oidc_role both true): 1.x cannot point the role at an
# existing provider.
# The provider: https://token.actions.githubusercontent.com, client id sts.amazonaws.com.
# Attachments: each ARN of `oidc_role_attach_policies` (AdministratorAccess is commonly
# passed here). Without a role, 1.0.0 fails on them and 1.0.1 attaches to the role name ""
# (both fail at apply): the model attaches nothing.
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

variable "github_repositories" {
  type    = list(string)
  default = []
}

variable "oidc_role_attach_policies" {
  type    = list(string)
  default = []
}

variable "role_name" {
  type    = string
  default = "oidc-provider-aws-github-action"
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
  with_role     = var.create_oidc_provider && var.create_oidc_role

  # An entry that names its own context keeps it; a bare repository admits any context.
  subjects = [
    for entry in var.github_repositories :
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
