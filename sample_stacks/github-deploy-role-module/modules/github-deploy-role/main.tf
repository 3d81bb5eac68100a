variable "name" {
  description = "Name of the IAM role"
  type        = string
}

variable "provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider"
  type        = string
}

variable "repository" {
  description = "owner/name of the repository whose deployments assume the role"
  type        = string
}

variable "environment" {
  description = "GitHub environment the deploying job runs in"
  type        = string
}

variable "policy_arns" {
  description = "Managed policies attached to the role"
  type        = list(string)
  default     = []
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitHubActionsDeploy"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.repository}:environment:${var.environment}"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each   = toset(var.policy_arns)
  role       = aws_iam_role.this.name
  policy_arn = each.value
}

output "role_arn" {
  value = aws_iam_role.this.arn
}
