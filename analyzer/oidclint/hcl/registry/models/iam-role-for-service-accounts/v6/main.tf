# oidclint model of terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts, 6.x
# (5.x called it iam-role-for-service-accounts-eks).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/1c2dfd77fa1515d1c9e45ee60202d5633de82d28/modules/iam-role-for-service-accounts/main.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/c75f193cc292b5f95bc73c5cc8ac026ece07d995/modules/iam-role-for-service-accounts/variables.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/31b31d77fcd898118c1f0d6c24dc2609a893c523/modules/iam-role-for-service-accounts/outputs.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/cf4e77b417b939a2ab76c5ee9cf7ba4c92a16c2a/docs/UPGRADE-6.0.md
# Trust as in 5.x (one statement per `oidc_providers` entry, sub = system:serviceaccount:<ns:sa>,
# aud = sts.amazonaws.com, operator `trust_condition_test`, StringEquals by default), with the
# 6.0 renames: create_role -> create, role_name -> name (a prefix by default:
# use_name_prefix = true), role_path -> path, role_policy_arns -> policies,
# assume_role_condition_test -> trust_condition_test; allow_self_assume_role is gone.
# Left out: the built-in add-on policy documents (attach_*_policy); the module's own policy is
# modelled only from source_policy_documents, override_policy_documents and permissions.
# Tags, outputs other than arn, name, path and unique_id.

variable "create" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = ""
}

variable "use_name_prefix" {
  type    = bool
  default = true
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

variable "permissions_boundary" {
  type    = string
  default = null
}

variable "trust_condition_test" {
  type    = string
  default = "StringEquals"
}

variable "oidc_providers" {
  type    = any
  default = {}
}

variable "policies" {
  type    = map(string)
  default = {}
}

variable "create_policy" {
  type    = bool
  default = true
}

variable "source_policy_documents" {
  type    = list(string)
  default = []
}

variable "override_policy_documents" {
  type    = list(string)
  default = []
}

variable "permissions" {
  type    = any
  default = null
}

variable "policy_name" {
  type    = string
  default = null
}

variable "policy_path" {
  type    = string
  default = null
}

variable "create_inline_policy" {
  type    = bool
  default = false
}

variable "source_inline_policy_documents" {
  type    = list(string)
  default = []
}

variable "override_inline_policy_documents" {
  type    = list(string)
  default = []
}

variable "inline_policy_permissions" {
  type    = any
  default = null
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "tags" {
  type    = map(string)
  default = {}
}

data "aws_partition" "current" {
  count = var.create ? 1 : 0
}

locals {
  partition   = try(data.aws_partition.current[0].partition, "")
  policy_name = try(coalesce(var.policy_name, var.name, "default"), "default")
}

data "aws_iam_policy_document" "assume" {
  count = var.create ? 1 : 0

  dynamic "statement" {
    for_each = var.oidc_providers

    content {
      effect  = "Allow"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [statement.value.provider_arn]
      }

      condition {
        test     = var.trust_condition_test
        variable = "${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:sub"
        values   = [for sa in statement.value.namespace_service_accounts : "system:serviceaccount:${sa}"]
      }

      condition {
        test     = var.trust_condition_test
        variable = "${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

  name                  = var.use_name_prefix ? null : var.name
  name_prefix           = var.use_name_prefix ? "${var.name}-" : null
  path                  = var.path
  description           = var.description
  assume_role_policy    = data.aws_iam_policy_document.assume[0].json
  max_session_duration  = var.max_session_duration
  permissions_boundary  = var.permissions_boundary
  force_detach_policies = true
}

resource "aws_iam_role_policy_attachment" "additional" {
  for_each = { for key, arn in var.policies : key => arn if var.create }

  role       = aws_iam_role.this[0].name
  policy_arn = each.value
}

locals {
  create_policy = var.create && var.create_policy && (
    length(var.source_policy_documents) > 0 || length(var.override_policy_documents) > 0 ||
    var.permissions != null
  )
}

data "aws_iam_policy_document" "this" {
  count = local.create_policy ? 1 : 0

  source_policy_documents   = var.source_policy_documents
  override_policy_documents = var.override_policy_documents

  dynamic "statement" {
    for_each = var.permissions != null ? var.permissions : {}

    content {
      sid           = try(coalesce(try(statement.value.sid, null), statement.key), null)
      actions       = try(statement.value.actions, null)
      not_actions   = try(statement.value.not_actions, null)
      effect        = try(statement.value.effect, "Allow")
      resources     = try(statement.value.resources, null)
      not_resources = try(statement.value.not_resources, null)

      dynamic "condition" {
        for_each = try(statement.value.condition, null) != null ? statement.value.condition : []

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_policy" "this" {
  count = local.create_policy ? 1 : 0

  name        = var.use_name_prefix ? null : local.policy_name
  name_prefix = var.use_name_prefix ? "${local.policy_name}-" : null
  path        = coalesce(var.policy_path, var.path)
  policy      = data.aws_iam_policy_document.this[0].json
}

resource "aws_iam_role_policy_attachment" "this" {
  count = local.create_policy ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = aws_iam_policy.this[0].arn
}

locals {
  create_inline_policy = var.create && var.create_inline_policy
}

data "aws_iam_policy_document" "inline" {
  count = local.create_inline_policy ? 1 : 0

  source_policy_documents   = var.source_inline_policy_documents
  override_policy_documents = var.override_inline_policy_documents

  dynamic "statement" {
    for_each = var.inline_policy_permissions != null ? var.inline_policy_permissions : {}

    content {
      sid           = try(coalesce(try(statement.value.sid, null), statement.key), null)
      actions       = try(statement.value.actions, null)
      not_actions   = try(statement.value.not_actions, null)
      effect        = try(statement.value.effect, "Allow")
      resources     = try(statement.value.resources, null)
      not_resources = try(statement.value.not_resources, null)

      dynamic "condition" {
        for_each = try(statement.value.condition, null) != null ? statement.value.condition : []

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "inline" {
  count = local.create_inline_policy ? 1 : 0

  role        = aws_iam_role.this[0].name
  name        = var.use_name_prefix ? null : var.name
  name_prefix = var.use_name_prefix ? "${var.name}-" : null
  policy      = data.aws_iam_policy_document.inline[0].json
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
