# Runs `terraform apply` for the whole account from acme/platform.

data "aws_iam_policy_document" "platform_apply_trust" {
  statement {
    sid     = "GitHubActionsPlatform"
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
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/platform:*"]
    }
  }
}

resource "aws_iam_role" "platform_apply" {
  name                 = "platform-terraform-apply"
  description          = "terraform apply for the acme platform account"
  assume_role_policy   = data.aws_iam_policy_document.platform_apply_trust.json
  max_session_duration = 7200
}

resource "aws_iam_role_policy_attachment" "platform_apply_admin" {
  role       = aws_iam_role.platform_apply.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
