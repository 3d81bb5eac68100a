variable "name" {
  description = "Name of the IAM role"
  type        = string
}

variable "provider_arn" {
  description = "ARN of the account's GitHub Actions OIDC provider"
  type        = string
}

variable "repository" {
  description = "owner/name of the repository that deploys"
  type        = string
}

variable "environment" {
  description = "GitHub environment the deploying job runs in"
  type        = string
}

data "aws_iam_policy_document" "trust" {
  statement {
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
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.repository}:environment:${var.environment}"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

output "role_arn" {
  value = aws_iam_role.this.arn
}
