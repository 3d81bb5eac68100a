# A number squared forty times over would have 40 x 2^40 bits.
locals {
  n0 = 1000000000000
  n1 = local.n0 * local.n0
  n2 = local.n1 * local.n1
  n3 = local.n2 * local.n2
  n4 = local.n3 * local.n3
  n5 = local.n4 * local.n4
  n6 = local.n5 * local.n5
  n7 = local.n6 * local.n6
  n8 = local.n7 * local.n7
  n9 = local.n8 * local.n8
  n40 = local.n9 * local.n9
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
        StringLike   = { "token.actions.githubusercontent.com:sub" = local.n40 }
      }
    }]
  })
}
