# Deploy roles of the acme organisation, assumed only from the platform team's central
# deploy workflow (platform/.github/workflows/deploy.yml), whichever repository calls it.

data "aws_iam_policy_document" "deploy_staging_trust" {
  statement {
    sid     = "CentralDeployStaging"
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
      test     = "StringLike"
      variable = "${local.github_issuer}:sub"
      values   = ["repo:acme/*:environment:staging"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.github_issuer}:job_workflow_ref"
      values   = ["${local.central_deploy}@refs/tags/v2.*"]
    }
  }
}

resource "aws_iam_role" "deploy_staging" {
  name               = "acme-central-deploy-staging"
  description        = "Staging deploys through acme/platform's central workflow"
  assume_role_policy = data.aws_iam_policy_document.deploy_staging_trust.json
}

data "aws_iam_policy_document" "deploy_production_trust" {
  statement {
    sid     = "CentralDeployProduction"
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
      test     = "StringLike"
      variable = "${local.github_issuer}:sub"
      values   = ["repo:acme/*:environment:production"]
    }

    # Production only from the release the platform team signed off.
    condition {
      test     = "StringEquals"
      variable = "${local.github_issuer}:job_workflow_ref"
      values   = ["${local.central_deploy}@refs/tags/v2.3.0"]
    }
  }
}

resource "aws_iam_role" "deploy_production" {
  name               = "acme-central-deploy-production"
  description        = "Production deploys through acme/platform's central workflow"
  assume_role_policy = data.aws_iam_policy_document.deploy_production_trust.json
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "EcsRollout"
    actions   = ["ecs:UpdateService", "ecs:DescribeServices"]
    resources = ["arn:aws:ecs:eu-west-1:123456789012:service/acme/*"]
  }
}

resource "aws_iam_role_policy" "deploy_staging" {
  name   = "deploy"
  role   = aws_iam_role.deploy_staging.id
  policy = data.aws_iam_policy_document.deploy.json
}

resource "aws_iam_role_policy" "deploy_production" {
  name   = "deploy"
  role   = aws_iam_role.deploy_production.id
  policy = data.aws_iam_policy_document.deploy.json
}
