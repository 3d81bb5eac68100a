# One deploy role per service. Which repositories and branches may assume each role is
# decided per environment, in environments/<env>.tfvars of the platform repository:
#
#   terraform plan -var-file=../../environments/prod.tfvars -out plan.out
#   terraform show -json plan.out > plan.json

variable "deploy_roles" {
  description = "Deploy roles by service: the GitHub subjects each admits and the policy it gets."
  type = map(object({
    subjects   = list(string)
    policy_arn = string
  }))
}

resource "aws_iam_role" "deploy" {
  for_each = var.deploy_roles

  name        = "${each.key}-deploy"
  description = "GitHub Actions deploy role (${each.key})"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          }
          StringLike = {
            "token.actions.githubusercontent.com:sub" = each.value.subjects
          }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = var.deploy_roles

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = each.value.policy_arn
}
