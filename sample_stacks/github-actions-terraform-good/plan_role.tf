# Read-only role for `terraform plan` on pull requests to acme/payments-api.

data "aws_iam_policy_document" "payments_api_plan_trust" {
  statement {
    sid     = "GitHubActionsPullRequestPlan"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/payments-api:pull_request"]
    }
  }
}

resource "aws_iam_role" "payments_api_plan" {
  name               = "payments-api-plan"
  description        = "Read-only terraform plan on pull requests to acme/payments-api"
  assume_role_policy = data.aws_iam_policy_document.payments_api_plan_trust.json
}

data "aws_iam_policy_document" "payments_api_plan" {
  statement {
    sid = "TerraformState"
    actions = [
      "s3:GetObject",
      "s3:ListBucket",
    ]
    resources = [
      "arn:aws:s3:::acme-terraform-state-123456789012",
      "arn:aws:s3:::acme-terraform-state-123456789012/payments-api/*",
    ]
  }

  statement {
    sid = "DescribeOnly"
    actions = [
      "ecr:DescribeRepositories",
      "ecs:DescribeServices",
      "ecs:DescribeTaskDefinition",
      "iam:GetRole",
      "iam:GetRolePolicy",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "payments_api_plan" {
  name   = "plan"
  role   = aws_iam_role.payments_api_plan.id
  policy = data.aws_iam_policy_document.payments_api_plan.json
}
