# Deploys acme/payments-api: pushes images to ECR and rolls the ECS service.
# Only pushes to main and jobs that run in the "production" environment may assume it.

data "aws_iam_policy_document" "payments_api_deploy_trust" {
  statement {
    sid     = "GitHubActionsDeploy"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.github.url, "https://", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.github.url, "https://", "")}:sub"
      values = [
        "repo:acme/payments-api:ref:refs/heads/main",
        "repo:acme/payments-api:environment:production",
      ]
    }
  }
}

resource "aws_iam_role" "payments_api_deploy" {
  name                 = "payments-api-deploy"
  description          = "GitHub Actions deploy role for acme/payments-api"
  assume_role_policy   = data.aws_iam_policy_document.payments_api_deploy_trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "payments_api_deploy" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:CompleteLayerUpload",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = ["arn:aws:ecr:eu-west-1:123456789012:repository/payments-api"]
  }

  statement {
    sid = "EcsRollout"
    actions = [
      "ecs:DescribeServices",
      "ecs:UpdateService",
    ]
    resources = ["arn:aws:ecs:eu-west-1:123456789012:service/payments/payments-api"]
  }

  statement {
    sid = "EcsTaskDefinitions"
    actions = [
      "ecs:DescribeTaskDefinition",
      "ecs:RegisterTaskDefinition",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "PassTaskRoles"
    actions = ["iam:PassRole"]
    resources = [
      "arn:aws:iam::123456789012:role/payments-api-task",
      "arn:aws:iam::123456789012:role/payments-api-execution",
    ]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "payments_api_deploy" {
  name   = "deploy"
  role   = aws_iam_role.payments_api_deploy.id
  policy = data.aws_iam_policy_document.payments_api_deploy.json
}
