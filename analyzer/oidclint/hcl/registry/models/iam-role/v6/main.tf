# oidclint model of terraform-aws-modules/iam/aws//modules/iam-role, 6.x
# (6.0 merged iam-assumable-role, iam-assumable-role-with-oidc, iam-github-oidc-role and the
# SAML modules into it; the trust is built from enable_* switches and generic statements).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/5cc5a4ff453157a399dab3d911f082ff842fbfeb/modules/iam-role/main.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/0190c4a7eefa2c3835d3d522eccc0818b4c35bfa/modules/iam-role/main.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/9b381af7c97ab871d77e583ec8b8a7501333b450/modules/iam-role/variables.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/2c6f2c2750189052d4ee68c436f2857770dd89ac/modules/iam-role/outputs.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/cf4e77b417b939a2ab76c5ee9cf7ba4c92a16c2a/docs/UPGRADE-6.0.md
# Behaviour that differs from the 5.x modules it replaced:
# - GitHub: `oidc_subjects` are tested with StringEquals and `oidc_wildcard_subjects` with
#   StringLike (5.x iam-github-oidc-role used StringLike for all `subjects`); each condition
#   is only written when its list is not empty, so with neither there is no sub condition
#   at all (IAM then refuses the GitHub trust at apply time). The audience defaults to
#   sts.amazonaws.com (`coalescelist`).
# - Generic OIDC (`enable_oidc`): one statement per provider URL, sub/aud conditions only
#   when the lists are not empty, audiences with StringEquals (5.x used StringLike).
#   The real module writes each condition once per provider URL inside every statement, all
#   with the statement's own key, so the copies merge into one; one is written here.
# - No self-assumption statement any more; `use_name_prefix` defaults to true, so the role
#   name is generated from `name` unless it is set to false.
# Left out: the SAML statement (not web identity), the instance profile, tags and outputs
# other than name, arn and unique_id.

variable "create" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = null
}

variable "use_name_prefix" {
  type    = bool
  default = true
}

variable "path" {
  type    = string
  default = null
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

variable "trust_policy_permissions" {
  type    = any
  default = null
}

variable "trust_policy_conditions" {
  type = list(object({
    test     = string
    variable = string
    values   = list(string)
  }))
  default = []
}

variable "source_trust_policy_documents" {
  type    = list(string)
  default = []
}

variable "override_trust_policy_documents" {
  type    = list(string)
  default = []
}

variable "policies" {
  type    = map(string)
  default = {}
}

variable "enable_oidc" {
  type    = bool
  default = false
}

variable "oidc_account_id" {
  type    = string
  default = null
}

variable "oidc_provider_urls" {
  type    = list(string)
  default = []
}

variable "oidc_subjects" {
  type    = list(string)
  default = []
}

variable "oidc_wildcard_subjects" {
  type    = list(string)
  default = []
}

variable "oidc_audiences" {
  type    = list(string)
  default = []
}

variable "enable_github_oidc" {
  type    = bool
  default = false
}

variable "github_provider" {
  type    = string
  default = "token.actions.githubusercontent.com"
}

variable "enable_bitbucket_oidc" {
  type    = bool
  default = false
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

variable "enable_saml" {
  type    = bool
  default = false
}

variable "saml_provider_ids" {
  type    = list(string)
  default = []
}

variable "saml_endpoints" {
  type    = list(string)
  default = ["https://signin.aws.amazon.com/saml"]
}

variable "saml_trust_actions" {
  type    = list(string)
  default = []
}

variable "create_instance_profile" {
  type    = bool
  default = false
}

variable "instance_profile_name" {
  type    = string
  default = null
}

data "aws_caller_identity" "current" {
  count = var.create ? 1 : 0
}

data "aws_partition" "current" {
  count = var.create ? 1 : 0
}

locals {
  account_id = try(data.aws_caller_identity.current[0].account_id, "")
  partition  = try(data.aws_partition.current[0].partition, "")

  oidc_providers     = [for url in var.oidc_provider_urls : replace(url, "https://", "")]
  bitbucket_provider = try(element(local.oidc_providers, 0), null)

  # Subjects of the GitHub statement, with the `repo:` prefix the module adds.
  github_subjects          = [for subject in var.oidc_subjects : "repo:${trimprefix(subject, "repo:")}"]
  github_wildcard_subjects = [for subject in var.oidc_wildcard_subjects : "repo:${trimprefix(subject, "repo:")}"]
}

data "aws_iam_policy_document" "this" {
  count = var.create ? 1 : 0

  source_policy_documents   = var.source_trust_policy_documents
  override_policy_documents = var.override_trust_policy_documents

  # Generic OIDC: one statement per provider URL.
  dynamic "statement" {
    for_each = var.enable_oidc ? local.oidc_providers : []

    content {
      effect  = "Allow"
      actions = ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = ["arn:${local.partition}:iam::${coalesce(var.oidc_account_id, local.account_id)}:oidc-provider/${statement.value}"]
      }

      dynamic "condition" {
        for_each = length(var.oidc_subjects) > 0 ? [1] : []

        content {
          test     = "StringEquals"
          variable = "${statement.value}:sub"
          values   = var.oidc_subjects
        }
      }

      dynamic "condition" {
        for_each = length(var.oidc_wildcard_subjects) > 0 ? [1] : []

        content {
          test     = "StringLike"
          variable = "${statement.value}:sub"
          values   = var.oidc_wildcard_subjects
        }
      }

      dynamic "condition" {
        for_each = length(var.oidc_audiences) > 0 ? [1] : []

        content {
          test     = "StringEquals"
          variable = "${statement.value}:aud"
          values   = var.oidc_audiences
        }
      }

      dynamic "condition" {
        for_each = var.trust_policy_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # GitHub Actions.
  dynamic "statement" {
    for_each = var.enable_github_oidc ? [1] : []

    content {
      sid     = "GithubOidcAuth"
      actions = ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/${var.github_provider}"]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "${var.github_provider}:iss"
        values   = ["https://${var.github_provider}"]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "${var.github_provider}:aud"
        values   = coalescelist(var.oidc_audiences, ["sts.amazonaws.com"])
      }

      dynamic "condition" {
        for_each = length(var.oidc_subjects) > 0 ? [1] : []

        content {
          test     = "StringEquals"
          variable = "${var.github_provider}:sub"
          values   = local.github_subjects
        }
      }

      dynamic "condition" {
        for_each = length(var.oidc_wildcard_subjects) > 0 ? [1] : []

        content {
          test     = "StringLike"
          variable = "${var.github_provider}:sub"
          values   = local.github_wildcard_subjects
        }
      }

      dynamic "condition" {
        for_each = var.trust_policy_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # Bitbucket Pipelines: the first of oidc_provider_urls.
  dynamic "statement" {
    for_each = var.enable_bitbucket_oidc ? [1] : []

    content {
      sid     = "BitbucketOidcAuth"
      actions = ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.bitbucket_provider}"]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "${local.bitbucket_provider}:aud"
        values   = coalescelist(var.oidc_audiences, ["sts.amazonaws.com"])
      }

      dynamic "condition" {
        for_each = length(var.oidc_subjects) > 0 ? [1] : []

        content {
          test     = "StringEquals"
          variable = "${local.bitbucket_provider}:sub"
          values   = var.oidc_subjects
        }
      }

      dynamic "condition" {
        for_each = length(var.oidc_wildcard_subjects) > 0 ? [1] : []

        content {
          test     = "StringLike"
          variable = "${local.bitbucket_provider}:sub"
          values   = var.oidc_wildcard_subjects
        }
      }

      dynamic "condition" {
        for_each = var.trust_policy_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # Statements written by the caller (`trust_policy_permissions`), keyed by sid.
  dynamic "statement" {
    for_each = var.trust_policy_permissions != null ? var.trust_policy_permissions : {}

    content {
      sid           = try(coalesce(try(statement.value.sid, null), statement.key), null)
      actions       = try(statement.value.actions, null)
      not_actions   = try(statement.value.not_actions, null)
      effect        = try(statement.value.effect, "Allow")
      resources     = try(statement.value.resources, null)
      not_resources = try(statement.value.not_resources, null)

      dynamic "principals" {
        for_each = try(statement.value.principals, null) != null ? statement.value.principals : []

        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }

      dynamic "not_principals" {
        for_each = try(statement.value.not_principals, null) != null ? statement.value.not_principals : []

        content {
          type        = not_principals.value.type
          identifiers = not_principals.value.identifiers
        }
      }

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

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

  name                  = var.use_name_prefix ? null : var.name
  name_prefix           = var.use_name_prefix ? "${var.name}-" : null
  path                  = var.path
  description           = var.description
  assume_role_policy    = data.aws_iam_policy_document.this[0].json
  max_session_duration  = var.max_session_duration
  permissions_boundary  = var.permissions_boundary
  force_detach_policies = true
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = { for key, arn in var.policies : key => arn if var.create }

  role       = aws_iam_role.this[0].name
  policy_arn = each.value
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

output "name" {
  value = try(aws_iam_role.this[0].name, null)
}

output "arn" {
  value = try(aws_iam_role.this[0].arn, null)
}

output "unique_id" {
  value = try(aws_iam_role.this[0].unique_id, null)
}
