# A template repeating a 900,000-character string 2,000 times.
locals {
  line   = format("%0900000d", 0)
  lines  = split("", format("%02000d", 0))
  policy = "%{for x in local.lines}${local.line}%{endfor}"
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
        StringLike   = { "token.actions.githubusercontent.com:sub" = local.policy }
      }
    }]
  })
}
