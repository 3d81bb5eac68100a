# oidclint model of terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc, 5.x
# (6.0 merged it into modules/iam-role: enable_oidc, oidc_provider_urls ...).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/027f5972ed7f70178bb7f5f41c2fda252021c5db/modules/iam-assumable-role-with-oidc/variables.tf (5.40+)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/013f844544bbd22c1d72f564f260494001c80f84/modules/iam-assumable-role-with-oidc/main.tf
#   a third-party copy of the 5.4x-5.5x main.tf inlined into a caller's repository (read to
#   learn; with allow_self_assume_role, TagSession and provider_trust_policy_conditions)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/cf4e77b417b939a2ab76c5ee9cf7ba4c92a16c2a/docs/UPGRADE-6.0.md
#   CHANGELOG 5.5.0 (self assumption), 5.40.0 (inline policy), PR #480 (5.44.0,
#   provider_trust_policy_conditions), issue #566 (audiences still StringLike in 5.55.0).
# Differences from 4.x: the web identity statements also allow sts:TagSession (added during
# 5.x; the exact minor is (unconfirmed), present in 5.44+); `allow_self_assume_role` adds an
# `AWS: *` statement limited by ArnLike aws:PrincipalArn to the role itself;
# `provider_trust_policy_conditions` are added to every web identity statement.
# Unchanged: one statement per URL, sub StringEquals / StringLike, aud StringLike, no sub
# condition when no subjects are given, create_role defaults to false.
# Left out: the inline policy (inline_policy_statements, 5.40+), tags, outputs other than
# iam_role_arn, iam_role_name, iam_role_path and iam_role_unique_id.

variable "create_role" {
  type    = bool
  default = false
}

variable "provider_url" {
  type    = string
  default = ""
}

variable "provider_urls" {
  type    = list(string)
  default = []
}

variable "aws_account_id" {
  type    = string
  default = ""
}

variable "role_name" {
  type    = string
  default = null
}

variable "role_name_prefix" {
  type    = string
  default = null
}

variable "role_description" {
  type    = string
  default = ""
}

variable "role_path" {
  type    = string
  default = "/"
}

variable "role_permissions_boundary_arn" {
  type    = string
  default = ""
}

variable "max_session_duration" {
  type    = number
  default = 3600
}

variable "role_policy_arns" {
  type    = list(string)
  default = []
}

variable "number_of_role_policy_arns" {
  type    = number
  default = null
}

variable "oidc_fully_qualified_subjects" {
  type    = set(string)
  default = []
}

variable "oidc_subjects_with_wildcards" {
  type    = set(string)
  default = []
}

variable "oidc_fully_qualified_audiences" {
  type    = set(string)
  default = []
}

variable "provider_trust_policy_conditions" {
  type    = any
  default = []
}

variable "force_detach_policies" {
  type    = bool
  default = false
}

variable "allow_self_assume_role" {
  type    = bool
  default = false
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "tags" {
  type    = map(string)
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

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  aws_account_id = var.aws_account_id != "" ? var.aws_account_id : data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  urls = [
    for url in compact(distinct(concat(var.provider_urls, [var.provider_url]))) :
    replace(url, "https://", "")
  ]
  number_of_role_policy_arns = coalesce(var.number_of_role_policy_arns, length(var.role_policy_arns))
  role_name_condition        = var.role_name != null ? var.role_name : "${var.role_name_prefix}*"
}

data "aws_iam_policy_document" "assume_role_with_oidc" {
  count = var.create_role ? 1 : 0

  # https://aws.amazon.com/blogs/security/announcing-an-update-to-iam-role-trust-policy-behavior/
  dynamic "statement" {
    for_each = var.allow_self_assume_role ? [1] : []

    content {
      sid     = "ExplicitSelfRoleAssumption"
      effect  = "Allow"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:PrincipalArn"
        values   = ["arn:${local.partition}:iam::${data.aws_caller_identity.current.account_id}:role${var.role_path}${local.role_name_condition}"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.urls

    content {
      effect  = "Allow"
      actions = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]

      principals {
        type        = "Federated"
        identifiers = ["arn:${local.partition}:iam::${local.aws_account_id}:oidc-provider/${statement.value}"]
      }

      dynamic "condition" {
        for_each = length(var.oidc_fully_qualified_subjects) > 0 ? [1] : []

        content {
          test     = "StringEquals"
          variable = "${statement.value}:sub"
          values   = var.oidc_fully_qualified_subjects
        }
      }

      dynamic "condition" {
        for_each = length(var.oidc_subjects_with_wildcards) > 0 ? [1] : []

        content {
          test     = "StringLike"
          variable = "${statement.value}:sub"
          values   = var.oidc_subjects_with_wildcards
        }
      }

      dynamic "condition" {
        for_each = length(var.oidc_fully_qualified_audiences) > 0 ? [1] : []

        content {
          test     = "StringLike"
          variable = "${statement.value}:aud"
          values   = var.oidc_fully_qualified_audiences
        }
      }

      dynamic "condition" {
        for_each = var.provider_trust_policy_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role" "this" {
  count = var.create_role ? 1 : 0

  name                  = var.role_name
  name_prefix           = var.role_name_prefix
  description           = var.role_description
  path                  = var.role_path
  max_session_duration  = var.max_session_duration
  force_detach_policies = var.force_detach_policies
  permissions_boundary  = var.role_permissions_boundary_arn
  assume_role_policy    = data.aws_iam_policy_document.assume_role_with_oidc[0].json
}

resource "aws_iam_role_policy_attachment" "custom" {
  count = var.create_role ? local.number_of_role_policy_arns : 0

  role       = aws_iam_role.this[0].name
  policy_arn = var.role_policy_arns[count.index]
}

output "iam_role_arn" {
  value = try(aws_iam_role.this[0].arn, "")
}

output "iam_role_name" {
  value = try(aws_iam_role.this[0].name, "")
}

output "iam_role_path" {
  value = try(aws_iam_role.this[0].path, "")
}

output "iam_role_unique_id" {
  value = try(aws_iam_role.this[0].unique_id, "")
}
