# oidclint model of terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc, 3.0.0 to 3.6.x.
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/514e1c26be7f197d866dc3b05e4233b09c61729f/modules/iam-assumable-role-with-oidc/main.tf (3.0.0)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/96d710ea7663f66921695d1b61348e3ff07447d7/modules/iam-assumable-role-with-oidc/main.tf (3.6.0)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/96d710ea7663f66921695d1b61348e3ff07447d7/modules/iam-assumable-role-with-oidc/variables.tf (3.6.0)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/96d710ea7663f66921695d1b61348e3ff07447d7/modules/iam-assumable-role-with-oidc/outputs.tf (3.6.0)
# Trust: ONE statement, Federated = every provider URL's ARN (`provider_url` plus
# `provider_urls`, `https://` removed, empty ones dropped), with each sub condition repeated
# once per URL, keyed by that URL. With several URLs a token carries the claims of its own
# issuer only, so the keys of the others are missing and StringEquals/StringLike on them
# fail: 3.7.0 moved to one statement per URL for that reason (CHANGELOG 3.7.0).
# `number_of_role_policy_arns` defaults to 0 in 3.0 to 3.3 and to the list's length later;
# the model takes the later default. Outputs are named `this_iam_role_*`.
# `create_role` defaults to false: a call that does not set it creates nothing.
# Left out: tags, outputs other than the role's ARN, name and path.

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

variable "force_detach_policies" {
  type    = bool
  default = false
}

# Accepted so that calls passing it stay valid; it does not change the trust.
variable "tags" {
  type    = map(string)
  default = {}
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  aws_account_id = var.aws_account_id != "" ? var.aws_account_id : data.aws_caller_identity.current.account_id
  urls = [
    for url in compact(distinct(concat(var.provider_urls, [var.provider_url]))) :
    replace(url, "https://", "")
  ]
  number_of_role_policy_arns = coalesce(var.number_of_role_policy_arns, length(var.role_policy_arns))
}

data "aws_iam_policy_document" "assume_role_with_oidc" {
  count = var.create_role ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [for url in local.urls : "arn:${data.aws_partition.current.partition}:iam::${local.aws_account_id}:oidc-provider/${url}"]
    }

    dynamic "condition" {
      for_each = length(var.oidc_fully_qualified_subjects) > 0 ? local.urls : []

      content {
        test     = "StringEquals"
        variable = "${condition.value}:sub"
        values   = var.oidc_fully_qualified_subjects
      }
    }

    dynamic "condition" {
      for_each = length(var.oidc_subjects_with_wildcards) > 0 ? local.urls : []

      content {
        test     = "StringLike"
        variable = "${condition.value}:sub"
        values   = var.oidc_subjects_with_wildcards
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
  # The module writes join("", ...[*].json) and join("", aws_iam_role.this[*].name): the
  # same values whenever the role exists.
  assume_role_policy    = data.aws_iam_policy_document.assume_role_with_oidc[0].json
}

resource "aws_iam_role_policy_attachment" "custom" {
  count = var.create_role ? local.number_of_role_policy_arns : 0

  role       = aws_iam_role.this[0].name
  policy_arn = var.role_policy_arns[count.index]
}

output "this_iam_role_arn" {
  value = try(aws_iam_role.this[0].arn, "")
}

output "this_iam_role_name" {
  value = try(aws_iam_role.this[0].name, "")
}

output "this_iam_role_path" {
  value = try(aws_iam_role.this[0].path, "")
}
