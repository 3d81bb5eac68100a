# oidclint model of unfunco/oidc-github/aws 2.x (2.0.1-2.0.2 behaviour).
# Written by oidclint from reading, not copied. Files read (stored copies of the 2.0-era
# main.tf, data.tf and variables.tf, SPDX/MIT headers; the tag tree is
# https://github.com/unfunco/terraform-aws-oidc-github/tree/v2.0.2) and CHANGELOG.md 2.0.0-2.0.2.
# Changes from 1.x that alter the result: `enabled` -> `create` (+ `create_iam_role`);
# the role is named "GitHubActions" by default; attach_read_only_policy now defaults to
# false; attach_admin_policy -> dangerously_attach_admin_policy; the audience is
# "sts.<partition DNS suffix>" (sts.amazonaws.com in the aws partition) for both the trust and
# the provider; role inputs are iam_role_* (iam_role_force_detach_policies,
# iam_role_max_session_duration, iam_role_description).
# Unchanged: StringLike sub "repo:<entry>" / "repo:<entry>:*", StringEquals aud, the
# enterprise_slug principal suffix and unqualified condition keys (issue #57).
# 2.0.0 itself attached AdministratorAccess once per entry of iam_role_policy_arns instead of
# those policies ("Fix custom policies", 2.0.1); the model follows 2.0.1.
# (unconfirmed) a later 2.x may have added `default_branch_name` (default "main": bare
# "org/repo" entries then admit only refs/heads/main); it is read when a call sets it, with the
# 2.0.x default ("*").
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

variable "github_repositories" {
  type    = list(string)
  default = []
}

variable "default_branch_name" {
  type    = string
  default = "*"
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

variable "iam_role_policy_arns" {
  type    = list(string)
  default = []
}

variable "iam_role_inline_policies" {
  type    = map(string)
  default = {}
}

variable "attach_read_only_policy" {
  type    = bool
  default = false
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

data "aws_partition" "this" {}

locals {
  create_iam_role      = var.create && var.create_iam_role
  create_oidc_provider = var.create && var.create_oidc_provider

  audience   = "sts.${data.aws_partition.this.dns_suffix}"
  partition  = data.aws_partition.this.partition
  audiences  = var.additional_audiences != null ? concat([local.audience], var.additional_audiences) : [local.audience]
  sub_suffix = trimspace(var.default_branch_name) == "*" ? ":*" : ":ref:refs/heads/${trimspace(var.default_branch_name)}"

  github_organizations = toset([for repo in var.github_repositories : split("/", repo)[0]])
  enterprise_path      = var.enterprise_slug != "" ? "/${var.enterprise_slug}" : ""

  oidc_provider_arn = (
    var.create_oidc_provider ?
    aws_iam_openid_connect_provider.github[0].arn :
    data.aws_iam_openid_connect_provider.github[0].arn
  )
}

data "aws_iam_policy_document" "assume_role" {
  count = local.create_iam_role ? 1 : 0

  version = "2012-10-17"

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    effect  = "Allow"

    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values = [
        for repo in var.github_repositories :
        length(regexall(":+", repo)) > 0 ? "repo:${repo}" : "repo:${repo}${local.sub_suffix}"
      ]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = local.audiences
    }

    principals {
      type        = "Federated"
      identifiers = ["${local.oidc_provider_arn}${local.enterprise_path}"]
    }
  }
}

data "aws_iam_openid_connect_provider" "github" {
  count = !var.create_oidc_provider ? 1 : 0

  url = "https://token.actions.githubusercontent.com${local.enterprise_path}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.create_oidc_provider ? 1 : 0

  url = "https://token.actions.githubusercontent.com${local.enterprise_path}"
  client_id_list = concat(
    [for org in local.github_organizations : "https://github.com/${org}"],
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

  policy_arn = "arn:${local.partition}:iam::aws:policy/AdministratorAccess"
  role       = aws_iam_role.github[0].id
}

resource "aws_iam_role_policy_attachment" "read_only" {
  count = local.create_iam_role && var.attach_read_only_policy ? 1 : 0

  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
  role       = aws_iam_role.github[0].id
}

resource "aws_iam_role_policy_attachment" "custom" {
  count = local.create_iam_role ? length(var.iam_role_policy_arns) : 0

  policy_arn = var.iam_role_policy_arns[count.index]
  role       = aws_iam_role.github[0].id
}

output "iam_role_arn" {
  value = try(aws_iam_role.github[0].arn, null)
}

output "iam_role_name" {
  value = try(aws_iam_role.github[0].name, null)
}

output "oidc_provider_arn" {
  value = local.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : null
}

output "oidc_provider_url" {
  value = local.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].url : null
}
