resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

variable "ci_roles" {
  description = "Role name => the repository and branch whose workflows assume it"
  type = map(object({
    repository = string
    branch     = string
  }))
}

resource "aws_iam_role" "ci" {
  for_each = var.ci_roles
  name     = "ci-${each.key}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
        }
        StringLike = {
          "token.actions.githubusercontent.com:sub" = "repo:${each.value.repository}:ref:refs/heads/${each.value.branch}"
        }
      }
    }]
  })
}
