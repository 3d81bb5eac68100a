# oidclint model of philips-labs/github-oidc/aws//modules/provider 0.x (0.2.0 to 0.8.1).
# Written by oidclint from reading, not copied. Files read (modules/provider/main.tf,
# variables.tf, outputs.tf) at
#   https://github.com/philips-labs/terraform-aws-github-oidc/tree/b707fe2 (v0.8.1)
# The provider: https://token.actions.githubusercontent.com, client id sts.amazonaws.com; the
# output `openid_connect_provider` is the provider resource itself.
# Left out: thumbprint_list's values, tags (0.8.0).

variable "thumbprint_list" {
  type    = list(string)
  default = []
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_iam_openid_connect_provider" "github_actions" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.thumbprint_list
}

output "openid_connect_provider" {
  value = aws_iam_openid_connect_provider.github_actions
}
