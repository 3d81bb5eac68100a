# Roles the workflows in .github/workflows/ of acme/payments-api assume.

# Deploy: pushes images to ECR and rolls the ECS service. Admits pushes to main and jobs that
# run in the protected "production" environment. The maximum session duration is the
# default (one hour).
data "aws_iam_policy_document" "ci_deploy_trust" {
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
      variable = "${local.github_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_issuer}:sub"
      values = [
        "repo:acme/payments-api:ref:refs/heads/main",
        "repo:acme/payments-api:environment:production",
      ]
    }
  }
}

resource "aws_iam_role" "ci_deploy" {
  name               = "payments-api-ci-deploy"
  description        = "GitHub Actions deploys of acme/payments-api (main, production)"
  assume_role_policy = data.aws_iam_policy_document.ci_deploy_trust.json
}

data "aws_iam_policy_document" "ci_deploy" {
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
      "ecs:RunTask",
      "ecs:DescribeTasks",
    ]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = ["arn:aws:ecs:eu-west-1:123456789012:cluster/payments"]
    }
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

resource "aws_iam_role_policy" "ci_deploy" {
  name   = "deploy"
  role   = aws_iam_role.ci_deploy.id
  policy = data.aws_iam_policy_document.ci_deploy.json
}

# Plan: read-only `terraform plan` for pull requests.
data "aws_iam_policy_document" "ci_plan_trust" {
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
      variable = "${local.github_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_issuer}:sub"
      values   = ["repo:acme/payments-api:pull_request"]
    }
  }
}

resource "aws_iam_role" "ci_plan" {
  name               = "payments-api-ci-plan"
  description        = "Read-only terraform plan on pull requests to acme/payments-api"
  assume_role_policy = data.aws_iam_policy_document.ci_plan_trust.json
}

data "aws_iam_policy_document" "ci_plan" {
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

resource "aws_iam_role_policy" "ci_plan" {
  name   = "plan"
  role   = aws_iam_role.ci_plan.id
  policy = data.aws_iam_policy_document.ci_plan.json
}
