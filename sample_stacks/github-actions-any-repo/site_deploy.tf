# Publishes www.acme.example from acme/marketing-site: syncs the build to S3 and
# invalidates the CloudFront distribution.

resource "aws_iam_role" "site_deploy" {
  name        = "marketing-site-deploy"
  description = "GitHub Actions deploy role for acme/marketing-site"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "GitHubActions"
        Effect = "Allow"
        Principal = {
          Federated = aws_iam_openid_connect_provider.github.arn
        }
        Action = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy" "site_deploy" {
  name = "publish"
  role = aws_iam_role.site_deploy.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListSiteBucket"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = "arn:aws:s3:::www.acme.example"
      },
      {
        Sid    = "SyncSiteObjects"
        Effect = "Allow"
        Action = [
          "s3:DeleteObject",
          "s3:GetObject",
          "s3:PutObject",
        ]
        Resource = "arn:aws:s3:::www.acme.example/*"
      },
      {
        Sid      = "InvalidateCdn"
        Effect   = "Allow"
        Action   = "cloudfront:CreateInvalidation"
        Resource = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
      },
    ]
  })
}
