# oidclint model of terraform-aws-modules/iam/aws//modules/iam-assumable-role, 5.30.0 to 5.x.
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/c29ec1ed409683086f63f83ff5b10a6f3c296ef2/modules/iam-assumable-role/main.tf (5.60.0)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/c29ec1ed409683086f63f83ff5b10a6f3c296ef2/modules/iam-assumable-role/variables.tf (5.60.0)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/c29ec1ed409683086f63f83ff5b10a6f3c296ef2/modules/iam-assumable-role/outputs.tf (5.60.0)
# The role's trust is `custom_role_trust_policy` when `create_custom_role_trust_policy` is true
# (5.30 on; the text is used as given, a web identity trust written by the caller), else the
# module's own trust of AWS principals and services (no web identity). Managed policies:
# `custom_role_policy_arns` and the admin, power user and read-only switches; the inline
# policy from `inline_policy_statements` (5.40 on).
# `create_role` defaults to false: a call that does not set it creates nothing.
# Left out: the self-assumption statement, external id, session name and MFA age conditions,
# `trust_policy_conditions`, the instance profile, principals in inline statements, tags.

variable "create_role" {
  type    = bool
  default = false
}

variable "role_name" {
  type    = string
  default = null
}

variable "role_name_prefix" {
  type    = string
  default = null
}

variable "role_path" {
  type    = string
  default = "/"
}

variable "role_description" {
  type    = string
  default = ""
}

variable "max_session_duration" {
  type    = number
  default = 3600
}

variable "role_permissions_boundary_arn" {
  type    = string
  default = ""
}

variable "force_detach_policies" {
  type    = bool
  default = false
}

variable "trusted_role_arns" {
  type    = list(string)
  default = []
}

variable "trusted_role_services" {
  type    = list(string)
  default = []
}

variable "trusted_role_actions" {
  type    = list(string)
  default = ["sts:AssumeRole", "sts:TagSession"]
}

variable "role_requires_mfa" {
  type    = bool
  default = true
}

variable "custom_role_trust_policy" {
  type    = string
  default = ""
}

variable "custom_role_policy_arns" {
  type    = list(string)
  default = []
}

variable "number_of_custom_role_policy_arns" {
  type    = number
  default = null
}

variable "attach_admin_policy" {
  type    = bool
  default = false
}

variable "admin_role_policy_arn" {
  type    = string
  default = "arn:aws:iam::aws:policy/AdministratorAccess"
}

variable "attach_poweruser_policy" {
  type    = bool
  default = false
}

variable "poweruser_role_policy_arn" {
  type    = string
  default = "arn:aws:iam::aws:policy/PowerUserAccess"
}

variable "attach_readonly_policy" {
  type    = bool
  default = false
}

variable "readonly_role_policy_arn" {
  type    = string
  default = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

# Accepted so that calls passing it stay valid; it does not change the trust.
variable "tags" {
  type    = map(string)
  default = {}
}

variable "create_custom_role_trust_policy" {
  type    = bool
  default = false
}

variable "inline_policy_statements" {
  type    = any
  default = []
}

# The module's own trust when no custom one is used: AWS accounts or roles and services,
# with MFA unless `role_requires_mfa = false`. No web identity in it.
data "aws_iam_policy_document" "assume_role" {
  statement {
    effect  = "Allow"
    actions = compact(distinct(concat(["sts:AssumeRole"], var.trusted_role_actions)))

    principals {
      type        = "AWS"
      identifiers = var.trusted_role_arns
    }

    principals {
      type        = "Service"
      identifiers = var.trusted_role_services
    }

    dynamic "condition" {
      for_each = var.role_requires_mfa ? [1] : []

      content {
        test     = "Bool"
        variable = "aws:MultiFactorAuthPresent"
        values   = ["true"]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  count = var.create_role ? 1 : 0

  name                  = var.role_name
  name_prefix           = var.role_name_prefix
  path                  = var.role_path
  description           = var.role_description
  max_session_duration  = var.max_session_duration
  force_detach_policies = var.force_detach_policies
  permissions_boundary  = var.role_permissions_boundary_arn
  assume_role_policy    = var.create_custom_role_trust_policy ? var.custom_role_trust_policy : data.aws_iam_policy_document.assume_role.json
}

resource "aws_iam_role_policy_attachment" "custom" {
  count = var.create_role ? coalesce(var.number_of_custom_role_policy_arns, length(var.custom_role_policy_arns)) : 0

  role       = aws_iam_role.this[0].name
  policy_arn = element(var.custom_role_policy_arns, count.index)
}

resource "aws_iam_role_policy_attachment" "admin" {
  count = var.create_role && var.attach_admin_policy ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = var.admin_role_policy_arn
}

resource "aws_iam_role_policy_attachment" "poweruser" {
  count = var.create_role && var.attach_poweruser_policy ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = var.poweruser_role_policy_arn
}

resource "aws_iam_role_policy_attachment" "readonly" {
  count = var.create_role && var.attach_readonly_policy ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = var.readonly_role_policy_arn
}

data "aws_iam_policy_document" "inline" {
  count = var.create_role && length(var.inline_policy_statements) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = var.inline_policy_statements

    content {
      sid           = try(statement.value.sid, null)
      actions       = try(statement.value.actions, null)
      not_actions   = try(statement.value.not_actions, null)
      effect        = try(statement.value.effect, null)
      resources     = try(statement.value.resources, null)
      not_resources = try(statement.value.not_resources, null)

      dynamic "condition" {
        for_each = try(statement.value.conditions, [])

        content {
          test     = condition.value.test
          values   = condition.value.values
          variable = condition.value.variable
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "inline" {
  count = var.create_role && length(var.inline_policy_statements) > 0 ? 1 : 0

  role        = aws_iam_role.this[0].name
  name_prefix = "${try(coalesce(var.role_name, var.role_name_prefix), "")}_inline_"
  policy      = data.aws_iam_policy_document.inline[0].json
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
