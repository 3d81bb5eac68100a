# oidclint model of unfunco/oidc-github/aws 3.x (3.1.0 seen in use with these inputs).
# Written by oidclint from reading, not copied. Files read (stored copies of the 3.x main.tf
# and variables.tf, and of the intermediate main.tf with default_branch_name; the tag tree is
# https://github.com/unfunco/terraform-aws-oidc-github/tree/v3.1.0) and
# https://github.com/unfunco/terraform-aws-oidc-github/pull/110 ("Rename GitHub subject
# inputs", breaking), https://github.com/unfunco/terraform-aws-oidc-github/issues/57.
# Changes from 2.x that alter the result:
# - `github_repositories` -> `github_subjects`; an entry without `:` gets ":<default_subject>"
#   and default_subject defaults to "ref:refs/heads/main": a bare "org/repo" now admits only
#   pushes to main (2.0.x admitted "repo:org/repo:*"). default_subject "*" restores ":*".
# - Nothing is created when github_subjects is empty.
# - iam_role_policy_arns -> iam_role_policy_names (AWS managed policy names, made into
#   arn:<partition>:iam::aws:policy/<name>); attach_read_only_policy is gone.
# - enterprise_slug also qualifies the condition keys
#   (token.actions.githubusercontent.com/<slug>:sub), per the variable's description.
#   (unconfirmed) 3.x data.tf was not read: the keys built from `local.oidc_issuer` and the
#   principal being the provider ARN without a second slug are inferred from main.tf, the
#   variable description and the fix announced in issue #57.
# (unconfirmed) whether a release between 2.0.2 and 3.1.0 used `github_repositories` with
# `default_branch_name` (default "main"); calls that still pass those names are read here.
# Left out: thumbprint_list, tags.

variable "create" {
  type    = bool
  default = true
}

variable "create_iam_role" {
  type    = bool
  default = true
}

variable "create_oidc_provider" {
  type    = bool
  default = true
}

variable "github_subjects" {
  type    = list(string)
  default = []
}

variable "default_subject" {
  type    = string
  default = "ref:refs/heads/main"
}

# Names of the intermediate release line, read when a call still passes them.
variable "github_repositories" {
  type    = list(string)
  default = null
}

variable "default_branch_name" {
  type    = string
  default = null
}

variable "additional_audiences" {
  type    = list(string)
  default = null
}

variable "enterprise_slug" {
  type    = string
  default = ""
}

variable "iam_role_name" {
  type    = string
  default = "GitHubActions"
}

variable "iam_role_description" {
  type    = string
  default = "Assumed by the GitHub OIDC provider."
}

variable "iam_role_path" {
  type    = string
  default = "/"
}

variable "iam_role_permissions_boundary" {
  type    = string
  default = ""
}

variable "iam_role_force_detach_policies" {
  type    = bool
  default = false
}

variable "iam_role_max_session_duration" {
  type    = number
  default = 3600
}

variable "iam_role_policy_names" {
  type    = list(string)
  default = []
}

variable "iam_role_inline_policies" {
  type    = map(string)
  default = {}
}

variable "dangerously_attach_admin_policy" {
  type    = bool
  default = false
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "additional_thumbprints" {
  type    = list(string)
  default = []
}

variable "iam_role_tags" {
  type    = map(string)
  default = {}
}

variable "oidc_provider_tags" {
  type    = map(string)
  default = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  subjects            = var.github_repositories != null ? var.github_repositories : var.github_subjects
  has_github_subjects = local.subjects != null && length(local.subjects) > 0

  create_iam_role      = var.create && var.create_iam_role && local.has_github_subjects
  create_oidc_provider = var.create && var.create_oidc_provider && local.has_github_subjects

  default_subject = (
    var.default_branch_name != null ?
    (trimspace(var.default_branch_name) == "*" ? "*" : "ref:refs/heads/${trimspace(var.default_branch_name)}") :
    trimspace(var.default_subject)
  )
  default_subject_suffix = local.default_subject == "*" ? ":*" : ":${local.default_subject}"

  enterprise_slug_path = var.enterprise_slug != "" ? "/${var.enterprise_slug}" : ""
  oidc_issuer          = "token.actions.githubusercontent.com${local.enterprise_slug_path}"

  github_repository_owners = toset([for subject in local.subjects : split("/", subject)[0]])

  audience  = "sts.${try(data.aws_partition.this[0].dns_suffix, "amazonaws.com")}"
  audiences = var.additional_audiences != null ? concat([local.audience], var.additional_audiences) : [local.audience]

  oidc_provider_arn = (
    local.create_oidc_provider ?
    aws_iam_openid_connect_provider.github[0].arn :
    data.aws_iam_openid_connect_provider.github[0].arn
  )

  custom_iam_role_policy_arns = local.create_iam_role ? toset([
    for name in var.iam_role_policy_names :
    "arn:${data.aws_partition.this[0].partition}:iam::aws:policy/${name}"
  ]) : toset([])
}

data "aws_partition" "this" {
  count = var.create ? 1 : 0
}

data "aws_iam_policy_document" "assume_role" {
  count = var.create ? 1 : 0

  version = "2012-10-17"

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    effect  = "Allow"

    condition {
      test     = "StringLike"
      variable = "${local.oidc_issuer}:sub"
      values = [
        for subject in local.subjects :
        length(regexall(":+", subject)) > 0 ? "repo:${subject}" : "repo:${subject}${local.default_subject_suffix}"
      ]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = local.audiences
    }

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
  }
}

data "aws_iam_openid_connect_provider" "github" {
  count = !local.create_oidc_provider ? 1 : 0

  url = "https://${local.oidc_issuer}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.create_oidc_provider ? 1 : 0

  url = "https://${local.oidc_issuer}"
  client_id_list = concat(
    [for owner in local.github_repository_owners : "https://github.com/${owner}"],
    [local.audience],
  )
}

resource "aws_iam_role" "github" {
  count = local.create_iam_role ? 1 : 0

  name                  = var.iam_role_name
  path                  = var.iam_role_path
  description           = var.iam_role_description
  assume_role_policy    = data.aws_iam_policy_document.assume_role[0].json
  force_detach_policies = var.iam_role_force_detach_policies
  max_session_duration  = var.iam_role_max_session_duration
  permissions_boundary  = var.iam_role_permissions_boundary
}

resource "aws_iam_role_policy" "inline_policies" {
  for_each = { for name, policy in var.iam_role_inline_policies : name => policy if local.create_iam_role }

  name   = each.key
  policy = each.value
  role   = aws_iam_role.github[0].id
}

resource "aws_iam_role_policy_attachment" "admin" {
  count = local.create_iam_role && var.dangerously_attach_admin_policy ? 1 : 0

  policy_arn = "arn:${data.aws_partition.this[0].partition}:iam::aws:policy/AdministratorAccess"
  role       = aws_iam_role.github[0].id
}

resource "aws_iam_role_policy_attachment" "custom" {
  for_each = local.custom_iam_role_policy_arns

  policy_arn = each.value
  role       = aws_iam_role.github[0].id
}

output "iam_role_arn" {
  value = try(aws_iam_role.github[0].arn, null)
}

output "iam_role_name" {
  value = try(aws_iam_role.github[0].name, null)
}

output "oidc_provider_arn" {
  value = local.has_github_subjects ? local.oidc_provider_arn : null
}

output "oidc_provider_url" {
  value = local.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].url : null
}

output "assume_role_policy" {
  value = try(data.aws_iam_policy_document.assume_role[0].json, null)
}
