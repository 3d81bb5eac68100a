# IRSA role for the payments-api pods (namespace payments, service account payments-api).
data "aws_iam_policy_document" "payments_api_irsa_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:sub"
      values   = ["system:serviceaccount:payments:payments-api"]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "payments_api" {
  name               = "${var.cluster_name}-payments-api"
  assume_role_policy = data.aws_iam_policy_document.payments_api_irsa_trust.json
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
        Resource = "arn:aws:sqs:eu-central-1:123456789012:payments-settlement"
      },
      {
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:payments/api-*"
      },
    ]
  })
}

# IRSA role for the ledger-exporter CronJob (namespace payments, service account
# ledger-exporter). The condition keys are built from the cluster's issuer, which still
# carries "https://": IAM's keys are "oidc.eks.<region>.amazonaws.com/id/<ID>:sub".
data "aws_iam_policy_document" "ledger_exporter_irsa_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${aws_eks_cluster.main.identity[0].oidc[0].issuer}:sub"
      values   = ["system:serviceaccount:payments:ledger-exporter"]
    }

    condition {
      test     = "StringEquals"
      variable = "${aws_eks_cluster.main.identity[0].oidc[0].issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ledger_exporter" {
  name               = "${var.cluster_name}-ledger-exporter"
  assume_role_policy = data.aws_iam_policy_document.ledger_exporter_irsa_trust.json
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
        Resource = "arn:aws:s3:::acme-ledger-exports/payments/*"
      },
    ]
  })
}
