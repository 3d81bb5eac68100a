resource "aws_iam_openid_connect_provider" "eks" {
  url            = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C6D1A2B3C4D5E6F7A8B9C0D1E2F3A4B"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C6D1A2B3C4D5E6F7A8B9C0D1E2F3A4B:sub"
      values   = ["system:serviceaccount:payments:api"]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api" {
  name               = "payments-api"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
