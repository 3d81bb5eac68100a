# oidclint model of unfunco/oidc-github/aws 1.x (1.0.0 to 1.8.1; 1.8.1 behaviour).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/unfunco/terraform-aws-oidc-github/blob/c1d6cc13cfd7668784dec11e96f23061b346eae0/data.tf (1.5.0)
#   https://github.com/unfunco/terraform-aws-oidc-github/blob/5addc74995f167648921b7cae332edfb3cecfae4/main.tf (1.5.x)
#   https://github.com/unfunco/terraform-aws-oidc-github/blob/b5115f249ea17c327c4dfa50bbfa59a421209a6d/variables.tf (1.5.x-1.7.x)
#   CHANGELOG.md up to 2.0.2; issue #57 (enterprise_slug doubles the slug in the principal).
# Trust: one statement, action sts:AssumeRoleWithWebIdentity, Federated = the provider ARN;
# StringLike token.actions.githubusercontent.com:sub = "repo:<entry>" for each entry of
# `github_repositories` that contains a `:` (org/repo:ref:refs/heads/main), else
# "repo:<entry>:*" (every branch, tag, environment and pull request of that repository;
# "org/*" becomes "repo:org/*:*"); StringEquals ...:aud = sts.amazonaws.com plus
# `additional_audiences` (1.6.0+; before 1.2.1 there was no aud condition).
# The provider it creates registers "https://github.com/<org>" for each organisation and
# sts.amazonaws.com, but not `additional_audiences`.
# enterprise_slug (1.5.0+): the provider URL gets "/<slug>", the principal gets "/<slug>"
# appended to an ARN that already ends with it, and the condition keys keep the plain
# `token.actions.githubusercontent.com` prefix; IAM refuses that trust (issue #57).
# attach_read_only_policy defaults to TRUE in 1.x: ReadOnlyAccess is attached unless disabled.
# Left out: thumbprint_list (tls_certificate data source plus additional_thumbprints), tags.

variable "enabled" {
  type    = bool
  default = true
}

variable "create_oidc_provider" {
  type    = bool
  default = true
}

variable "github_repositories" {
  type = list(string)
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
  default = "github"
}

variable "iam_role_path" {
  type    = string
  default = "/"
}

variable "iam_role_permissions_boundary" {
  type    = string
  default = ""
}

variable "iam_role_policy_arns" {
  type    = list(string)
  default = []
}

variable "iam_role_inline_policies" {
  type    = map(string)
  default = {}
}

variable "attach_admin_policy" {
  type    = bool
  default = false
}

variable "attach_read_only_policy" {
  type    = bool
  default = true
}

variable "force_detach_policies" {
  type    = bool
  default = false
}

variable "max_session_duration" {
  type    = number
  default = 3600
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "additional_thumbprints" {
  type    = list(string)
  default = null
}

variable "tags" {
  type    = map(string)
  default = {}
}

data "aws_partition" "current" {}

locals {
  github_organizations = toset([for repo in var.github_repositories : split("/", repo)[0]])
  enterprise_path      = var.enterprise_slug != "" ? "/${var.enterprise_slug}" : ""
  oidc_provider_arn = var.enabled ? (
    var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  ) : ""
  partition = data.aws_partition.current.partition
}

data "aws_iam_policy_document" "assume_role" {
  count = var.enabled ? 1 : 0

  version = "2012-10-17"

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    effect  = "Allow"

    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values = [
        for repo in var.github_repositories :
        length(regexall(":+", repo)) > 0 ? "repo:${repo}" : "repo:${repo}:*"
      ]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values = var.additional_audiences != null ? concat(
        ["sts.amazonaws.com"], var.additional_audiences
      ) : ["sts.amazonaws.com"]
    }

    principals {
      type        = "Federated"
      identifiers = ["${local.oidc_provider_arn}${local.enterprise_path}"]
    }
  }
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.enabled && !var.create_oidc_provider ? 1 : 0

  url = "https://token.actions.githubusercontent.com${local.enterprise_path}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.enabled && var.create_oidc_provider ? 1 : 0

  url = "https://token.actions.githubusercontent.com${local.enterprise_path}"
  client_id_list = concat(
    [for org in local.github_organizations : "https://github.com/${org}"],
    ["sts.amazonaws.com"],
  )
}

resource "aws_iam_role" "github" {
  count = var.enabled ? 1 : 0

  name                  = var.iam_role_name
  path                  = var.iam_role_path
  description           = "Role assumed by the GitHub OIDC provider."
  assume_role_policy    = data.aws_iam_policy_document.assume_role[0].json
  force_detach_policies = var.force_detach_policies
  max_session_duration  = var.max_session_duration
  permissions_boundary  = var.iam_role_permissions_boundary
}

resource "aws_iam_role_policy" "inline_policies" {
  for_each = { for name, policy in var.iam_role_inline_policies : name => policy if var.enabled }

  name   = each.key
  policy = each.value
  role   = aws_iam_role.github[0].id
}

resource "aws_iam_role_policy_attachment" "admin" {
  count = var.enabled && var.attach_admin_policy ? 1 : 0

  policy_arn = "arn:${local.partition}:iam::aws:policy/AdministratorAccess"
  role       = aws_iam_role.github[0].id
}

resource "aws_iam_role_policy_attachment" "read_only" {
  count = var.enabled && var.attach_read_only_policy ? 1 : 0

  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
  role       = aws_iam_role.github[0].id
}

resource "aws_iam_role_policy_attachment" "custom" {
  count = var.enabled ? length(var.iam_role_policy_arns) : 0

  policy_arn = var.iam_role_policy_arns[count.index]
  role       = aws_iam_role.github[0].id
}

output "iam_role_arn" {
  value = var.enabled ? aws_iam_role.github[0].arn : ""
}

output "iam_role_name" {
  value = var.enabled ? aws_iam_role.github[0].name : ""
}

output "oidc_provider_arn" {
  value = var.enabled ? local.oidc_provider_arn : ""
}
