# IRSA role of the payments API (namespace payments, service account api).
data "aws_iam_policy_document" "payments_api_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:payments:api"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "payments_api" {
  name               = "payments-eu-api"
  assume_role_policy = data.aws_iam_policy_document.payments_api_trust.json
}

resource "aws_iam_role_policy" "payments_api" {
  name = "queue-and-secrets"
  role = aws_iam_role.payments_api.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
        ]
        Resource = "arn:aws:sqs:eu-west-1:123456789012:payments-settlement"
      },
      {
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/api-*"
      },
    ]
  })
}

# IRSA role of the ledger exporter (namespace ledger, service account exporter).
data "aws_iam_policy_document" "ledger_exporter_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:ledger:exporter"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ledger_exporter" {
  name               = "payments-eu-ledger-exporter"
  assume_role_policy = data.aws_iam_policy_document.ledger_exporter_trust.json
}

resource "aws_iam_role_policy" "ledger_exporter" {
  name = "export"
  role = aws_iam_role.ledger_exporter.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "s3:PutObject"
        Resource = "arn:aws:s3:::acme-ledger-exports/payments-eu/*"
      },
    ]
  })
}
