# The account's GitHub Actions identity provider. AWS verifies GitHub's signing keys itself,
# so no thumbprint is needed.
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  github_issuer = replace(aws_iam_openid_connect_provider.github.url, "https://", "")
}
