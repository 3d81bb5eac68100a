# oidclint model of philips-labs/github-oidc/aws 0.x (0.3.0 to 0.8.1, the newest release).
# Written by oidclint from reading, not copied. Files read (main.tf, variables.tf, outputs.tf):
#   https://github.com/philips-labs/terraform-aws-github-oidc/tree/b707fe2 (v0.8.0 and v0.8.1)
#   https://github.com/philips-labs/terraform-aws-github-oidc/tree/b0ef8a5 (v0.3.0), and the
#   diffs of every release in between: the web identity statement is the same throughout;
#   0.4.0 added the account statement, 0.5.0 role_max_session_duration, 0.6.0
#   custom_principal_arns, 0.7.0 github_oidc_issuer, 0.8.0 repo_mainline_branch (before
#   them the values were the defaults below).
# The role exists only when `repo` is set. Trust: a statement allowing sts:AssumeRole to the
# root of each of `account_ids` and to `custom_principal_arns` (when any), and a web identity
# statement, Federated = `openid_connect_provider_arn`, with StringEquals <issuer>:aud =
# sts.amazonaws.com and one condition per operator and key, the values of the switches in
# `default_conditions` (default allow_main and deny_pull_request) merged with `conditions`:
#   allow_main         StringLike    <issuer>:sub = repo:<repo>:ref:refs/heads/<mainline>
#   allow_environment  StringLike    <issuer>:sub = repo:<repo>:environment:<e> per
#                                    `github_environments` (default ["*"]: every environment)
#   allow_all          StringLike    <issuer>:sub = repo:<repo>:*
#   deny_pull_request  StringNotLike <issuer>:sub = repo:<repo>:pull_request
# With allow_environment and no environments the module writes the value
# "ensurethereisnotmatch", which no token carries. The model writes it only when it is the
# only subject allowed (the role then admits nothing, which is what it says); beside other
# allowed subjects it changes nothing and is left out.
# The role name is `role_name`, or the repository with "/" made "-" and a random suffix.
# Attachments: each ARN of `role_policy_arns`.
# Left out: the random_string's value (unknown), input validation, role tags.

variable "repo" {
  type    = string
  default = null
}

variable "openid_connect_provider_arn" {
  type = string
}

variable "default_conditions" {
  type    = list(string)
  default = ["allow_main", "deny_pull_request"]
}

variable "conditions" {
  type = list(object({
    test     = string
    variable = string
    values   = list(string)
  }))
  default = []
}

variable "github_environments" {
  type    = list(string)
  default = ["*"]
}

variable "repo_mainline_branch" {
  type    = string
  default = "main"
}

variable "github_oidc_issuer" {
  type    = string
  default = "token.actions.githubusercontent.com"
}

variable "role_name" {
  type    = string
  default = null
}

variable "role_path" {
  type    = string
  default = "/github-actions/"
}

variable "role_permissions_boundary" {
  type    = string
  default = null
}

variable "role_policy_arns" {
  type    = list(string)
  default = []
}

variable "role_max_session_duration" {
  type    = number
  default = null
}

variable "account_ids" {
  type    = list(string)
  default = []
}

variable "custom_principal_arns" {
  type    = list(string)
  default = []
}

resource "random_string" "random" {
  count   = var.role_name == null ? 1 : 0
  length  = 8
  special = false
}

locals {
  with_role    = var.repo != null
  variable_sub = "${var.github_oidc_issuer}:sub"

  other_allowed = contains(var.default_conditions, "allow_main") || contains(var.default_conditions, "allow_all")
  environments = (length(var.github_environments) > 0 && var.repo != null) ? [
    for e in var.github_environments : "repo:${var.repo}:environment:${e}"
  ] : (local.other_allowed ? [] : ["ensurethereisnotmatch"])

  role_name = (var.repo != null && var.role_name != null) ? var.role_name : "${substr(replace(var.repo != null ? var.repo : "", "/", "-"), 0, 56)}-${random_string.random[0].id}"

  allow_main = contains(var.default_conditions, "allow_main") ? [{
    test     = "StringLike"
    variable = local.variable_sub
    values   = ["repo:${var.repo}:ref:refs/heads/${var.repo_mainline_branch}"]
  }] : []
  allow_environment = contains(var.default_conditions, "allow_environment") && length(local.environments) > 0 ? [{
    test     = "StringLike"
    variable = local.variable_sub
    values   = local.environments
  }] : []
  allow_all = contains(var.default_conditions, "allow_all") ? [{
    test     = "StringLike"
    variable = local.variable_sub
    values   = ["repo:${var.repo}:*"]
  }] : []
  deny_pull_request = contains(var.default_conditions, "deny_pull_request") ? [{
    test     = "StringNotLike"
    variable = local.variable_sub
    values   = ["repo:${var.repo}:pull_request"]
  }] : []

  # One condition per operator and key, the values of every entry for it.
  all_conditions = concat(local.allow_main, local.allow_environment, local.allow_all,
  local.deny_pull_request, var.conditions)
  grouped = { for c in local.all_conditions : "${c.test}|${c.variable}" => c.values... }

  account_principals = concat([for account in var.account_ids : "arn:aws:iam::${account}:root"],
  var.custom_principal_arns)
}

data "aws_iam_policy_document" "github_actions_assume_role_policy" {
  count = local.with_role ? 1 : 0

  dynamic "statement" {
    for_each = length(local.account_principals) > 0 ? [1] : []
    content {
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = local.account_principals
      }
    }
  }

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.openid_connect_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.github_oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    dynamic "condition" {
      for_each = local.grouped
      content {
        test     = split("|", condition.key)[0]
        variable = split("|", condition.key)[1]
        values   = flatten(condition.value)
      }
    }
  }
}

resource "aws_iam_role" "main" {
  count                = local.with_role ? 1 : 0
  name                 = local.role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  max_session_duration = var.role_max_session_duration
  assume_role_policy   = data.aws_iam_policy_document.github_actions_assume_role_policy[0].json
}

resource "aws_iam_role_policy_attachment" "custom" {
  count      = local.with_role ? length(var.role_policy_arns) : 0
  role       = aws_iam_role.main[0].name
  policy_arn = var.role_policy_arns[count.index]
}

output "role" {
  value = local.with_role ? aws_iam_role.main[0] : null
}

output "conditions" {
  value = [for key, values in local.grouped : {
    test   = key
    values = flatten(values)
  }]
}
