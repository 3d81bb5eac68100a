# oidclint model of terraform-aws-modules/iam/aws//modules/iam-github-oidc-role, 5.x
# (the submodule exists from 5.6.0 to the last 5.x; 6.0 merged it into modules/iam-role).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/007a05304eb62745b3a0e5ea2a1fe46d8b31a2ad/modules/iam-github-oidc-role/main.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/d1946a6f236376ba5f51610678b8c6549ab5b801/modules/iam-github-oidc-role/main.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/027f5972ed7f70178bb7f5f41c2fda252021c5db/modules/iam-github-oidc-role/variables.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/38e1e08f2c8a693ed221cdf24de2851c74df5f22/modules/iam-github-oidc-role/outputs.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/cf4e77b417b939a2ab76c5ee9cf7ba4c92a16c2a/docs/UPGRADE-6.0.md
#   CHANGELOG 5.6.0 (module added), 5.7.0 (`repo:` prefix normalised), 5.39.1 (iss value http:// ->
#   https://), PR #507 (5.43.0, iss key follows provider_url), PR #523 (5.45.0, subject operator
#   selectable), PR #547 (additional_trust_policy_conditions).
# The latest 5.x behaviour is modelled. Earlier 5.x differ only in ways that do not change who
# can assume the role: the `iss` condition is ForAllValues over a claim IAM does not expose, so
# it restricts nothing whatever its value; `subject_condition` and the extra conditions default
# to the older behaviour. Before 5.7.0 a `repo:` prefix written by the caller was doubled.
# (unconfirmed) the names `subject_condition` and the iss key after 5.43 were not read in a
# stored 5.4x file: they follow the PR titles and the 6.x iam-role code that replaced them.
# An empty `subjects` list (the default) still renders the sub condition, with no values:
# `StringLike {"<provider>:sub": []}`, which no token satisfies; whether IAM accepts such a
# policy at all is (unconfirmed). IAM refuses GitHub trusts that do not test :sub with
# StringEquals/StringLike (error quoted in unfunco/terraform-aws-oidc-github#57).
# Left out: tags, the inline policy (5.40+: inline_policy_statements,
# inline_policy_json_document), outputs other than arn, name, path and unique_id.

variable "create" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = null
}

variable "name_prefix" {
  type    = string
  default = null
}

variable "path" {
  type    = string
  default = "/"
}

variable "description" {
  type    = string
  default = null
}

variable "max_session_duration" {
  type    = number
  default = null
}

variable "permissions_boundary_arn" {
  type    = string
  default = null
}

variable "force_detach_policies" {
  type    = bool
  default = true
}

variable "policies" {
  type    = map(string)
  default = {}
}

variable "audience" {
  type    = string
  default = "sts.amazonaws.com"
}

variable "subjects" {
  type    = list(string)
  default = []
}

variable "provider_url" {
  type    = string
  default = "token.actions.githubusercontent.com"
}

variable "subject_condition" {
  type    = string
  default = "StringLike"
}

variable "additional_trust_policy_conditions" {
  type = list(object({
    test     = string
    variable = string
    values   = list(string)
  }))
  default = []
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "tags" {
  type    = map(any)
  default = {}
}

variable "inline_policy_statements" {
  type    = any
  default = []
}

variable "inline_policy_json_document" {
  type    = string
  default = null
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # The module strips a scheme the caller may have written.
  provider_url = replace(var.provider_url, "https://", "")
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
}

data "aws_iam_policy_document" "this" {
  count = var.create ? 1 : 0

  statement {
    sid     = "GithubOidcAuth"
    effect  = "Allow"
    actions = ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.provider_url}"]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "${local.provider_url}:iss"
      values   = ["https://${local.provider_url}"]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "${local.provider_url}:aud"
      values   = [var.audience]
    }

    condition {
      test     = var.subject_condition
      variable = "${local.provider_url}:sub"
      # `acme/api:*` and `repo:acme/api:*` both become `repo:acme/api:*`.
      values = [for subject in var.subjects : "repo:${trimprefix(subject, "repo:")}"]
    }

    dynamic "condition" {
      for_each = var.additional_trust_policy_conditions

      content {
        test     = condition.value.test
        variable = condition.value.variable
        values   = condition.value.values
      }
    }
  }
}

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

  name                  = var.name
  name_prefix           = var.name_prefix
  path                  = var.path
  description           = var.description
  assume_role_policy    = data.aws_iam_policy_document.this[0].json
  max_session_duration  = var.max_session_duration
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = var.force_detach_policies
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = { for key, arn in var.policies : key => arn if var.create }

  role       = aws_iam_role.this[0].name
  policy_arn = each.value
}

output "arn" {
  value = try(aws_iam_role.this[0].arn, null)
}

output "name" {
  value = try(aws_iam_role.this[0].name, null)
}

output "path" {
  value = try(aws_iam_role.this[0].path, null)
}

output "unique_id" {
  value = try(aws_iam_role.this[0].unique_id, null)
}
