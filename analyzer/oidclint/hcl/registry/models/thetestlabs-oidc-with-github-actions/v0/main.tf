# oidclint model of thetestlabs/oidc-with-github-actions/aws 0.1.3 to 0.1.5 (the newest
# release; 0.1.3, 0.1.4 and 0.1.5 have the same Terraform files).
# Written by oidclint from reading, not copied. Files read (main.tf, datasources.tf,
# variables.tf, outputs.tf):
#   https://github.com/thetestlabs/terraform-aws-oidc-with-github-actions/tree/7e0f0fa1a4018c738c430ea0d8051c6db5f31ff0 (v0.1.4)
# Creates the provider (`oidc_url`, `client_id_list`) and one role, `iam_role_name`
# (GitHubOIDCRole), whose trust has one statement: sts:AssumeRoleWithWebIdentity, Federated =
# the provider it creates, StringLike token.actions.githubusercontent.com:sub =
# "repo:<github_org>/<repository>:*" for each of `github_repositories` (every branch, tag,
# environment and pull request of each); no condition on `aud`. The AWS managed policy named
# by `iam_role_policy` (ReadOnlyAccess) is attached. Nothing is created unless `enabled`.
# 0.1.0 to 0.1.2 named the provider by the caller's account and a scheme-less URL: no model.
# The module has no outputs. Left out: thumbprint_list's use, the caller identity lookup.

variable "enabled" {
  type    = bool
  default = true
}

variable "oidc_url" {
  type    = string
  default = "https://token.actions.githubusercontent.com"
}

variable "client_id_list" {
  type    = list(string)
  default = ["sts.amazonaws.com"]
}

variable "thumbprint_list" {
  type    = list(string)
  default = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

variable "github_org" {
  type = string
}

variable "github_repositories" {
  type = list(string)
}

variable "iam_role_name" {
  type    = string
  default = "GitHubOIDCRole"
}

variable "iam_role_description" {
  type    = string
  default = "IAM role to enable GitHub OIDC access"
}

variable "iam_role_policy" {
  type    = string
  default = "ReadOnlyAccess"
}

variable "max_session_duration" {
  type    = number
  default = 3600
}

variable "iam_role_path" {
  type    = string
  default = "/"
}

resource "aws_iam_openid_connect_provider" "github" {
  count           = var.enabled ? 1 : 0
  url             = var.oidc_url
  client_id_list  = var.client_id_list
  thumbprint_list = var.thumbprint_list
}

data "aws_iam_policy_document" "assume_role" {
  count = var.enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github[0].arn]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [for repo in var.github_repositories : "repo:${var.github_org}/${repo}:*"]
    }
  }
}

resource "aws_iam_role" "github" {
  count                = var.enabled ? 1 : 0
  name                 = var.iam_role_name
  description          = var.iam_role_description
  assume_role_policy   = data.aws_iam_policy_document.assume_role[0].json
  max_session_duration = var.max_session_duration
  path                 = var.iam_role_path
}

resource "aws_iam_role_policy_attachment" "policy" {
  count      = var.enabled ? 1 : 0
  role       = aws_iam_role.github[0].id
  policy_arn = "arn:aws:iam::aws:policy/${var.iam_role_policy}"
}
