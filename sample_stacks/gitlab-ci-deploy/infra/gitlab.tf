# gitlab.com as an identity provider. The pipeline requests its ID token with
# `aud: https://gitlab.com`, so that is the registered client id.
resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}

# Deploys acme/payments-api from pipelines on its main branch.
data "aws_iam_policy_document" "gitlab_deploy_trust" {
  statement {
    sid     = "GitLabMainBranch"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.gitlab.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "gitlab.com:aud"
      values   = ["https://gitlab.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "gitlab.com:sub"
      values   = ["project_path:acme/payments-api:ref_type:branch:ref:main"]
    }
  }
}

resource "aws_iam_role" "gitlab_deploy" {
  name               = "payments-api-gitlab-deploy"
  description        = "GitLab CI deploys of acme/payments-api from main"
  assume_role_policy = data.aws_iam_policy_document.gitlab_deploy_trust.json
}

data "aws_iam_policy_document" "gitlab_deploy" {
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
}

resource "aws_iam_role_policy" "gitlab_deploy" {
  name   = "deploy"
  role   = aws_iam_role.gitlab_deploy.id
  policy = data.aws_iam_policy_document.gitlab_deploy.json
}
