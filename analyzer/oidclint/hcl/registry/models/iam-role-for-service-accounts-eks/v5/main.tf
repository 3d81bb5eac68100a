# oidclint model of terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks,
# 4.x (from 4.12, when the submodule appeared) and 5.x; 6.0 renamed it
# iam-role-for-service-accounts (see that model).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/835135b80a8bbde2375f703e9d2849bac091ba2c/modules/iam-role-for-service-accounts-eks/main.tf (5.0.0)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/0024928698ffc9f35213c1fe3564f6eb62664a3f/modules/iam-role-for-service-accounts-eks/main.tf (5.23.1)
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/6760a7ecc8cff33a425cdd144685f412ce2f8567/modules/iam-role-for-service-accounts-eks/variables.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/84cf6032af372ed8d35cdb74a311c9aba7a40c95/modules/iam-role-for-service-accounts-eks/outputs.tf
#   CHANGELOG 4.14.0 (condition operator selectable, default StringEquals), 5.0.0
#   (role_policy_arns became a map), 5.5.0 (allow_self_assume_role).
# Trust: one statement per entry of `oidc_providers`, Federated = its `provider_arn`, with
# `<test> <issuer>:sub = system:serviceaccount:<namespace:name>` for each of its
# `namespace_service_accounts` and `<test> <issuer>:aud = sts.amazonaws.com`; <test> is
# `assume_role_condition_test` (StringEquals). The issuer is the provider ARN with everything
# up to `provider/` removed; an entry's `provider` key is not read by the module.
# An entry with an empty namespace_service_accounts list renders a sub condition without
# values, which no token satisfies.
# Left out: the built-in add-on policies (attach_*_policy: EBS/EFS CSI, load balancer
# controller, Karpenter, VPC CNI, external-dns, ...; each is an aws_iam_policy attached to the
# role whose permissions are not modelled), tags, outputs other than iam_role_arn,
# iam_role_name, iam_role_path and iam_role_unique_id.

variable "create_role" {
  type    = bool
  default = true
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
  default = null
}

variable "role_description" {
  type    = string
  default = null
}

variable "role_permissions_boundary_arn" {
  type    = string
  default = null
}

variable "max_session_duration" {
  type    = number
  default = null
}

variable "force_detach_policies" {
  type    = bool
  default = true
}

variable "role_policy_arns" {
  # 5.x: a map of name => ARN; 4.x: a list of ARNs. Both are read.
  type    = any
  default = {}
}

variable "oidc_providers" {
  type    = any
  default = {}
}

variable "assume_role_condition_test" {
  type    = string
  default = "StringEquals"
}

variable "allow_self_assume_role" {
  type    = bool
  default = false
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "tags" {
  type    = map(any)
  default = {}
}

variable "policy_name_prefix" {
  type    = string
  default = "AmazonEKS_"
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition           = data.aws_partition.current.partition
  account_id          = data.aws_caller_identity.current.account_id
  role_name_condition = var.role_name != null ? var.role_name : "${var.role_name_prefix}*"
}

data "aws_iam_policy_document" "this" {
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
        values   = ["arn:${local.partition}:iam::${local.account_id}:role${coalesce(var.role_path, "/")}${local.role_name_condition}"]
      }
    }
  }

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
        test     = var.assume_role_condition_test
        variable = "${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:sub"
        values   = [for sa in statement.value.namespace_service_accounts : "system:serviceaccount:${sa}"]
      }

      condition {
        test     = var.assume_role_condition_test
        variable = "${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:aud"
        values   = ["sts.amazonaws.com"]
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
  assume_role_policy    = data.aws_iam_policy_document.this[0].json
  max_session_duration  = var.max_session_duration
  permissions_boundary  = var.role_permissions_boundary_arn
  force_detach_policies = var.force_detach_policies
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = { for key, arn in var.role_policy_arns : key => arn if var.create_role }

  role       = aws_iam_role.this[0].name
  policy_arn = each.value
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
