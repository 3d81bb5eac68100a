# 90 bytes of source, 800 MB of value: the width is checked before it is applied.
locals {
  subject = format("%0800000000d", 1)
}

resource "aws_iam_role" "hidden" {
  name = "hidden"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = local.subject }
      }
    }]
  })
}
