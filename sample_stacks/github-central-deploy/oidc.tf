# The account's GitHub Actions identity provider. AWS verifies GitHub's signing keys itself,
# so no thumbprint is needed.
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  github_issuer = replace(aws_iam_openid_connect_provider.github.url, "https://", "")

  # Every deployment of the organisation goes through the platform team's reusable
  # workflow, at a released tag: any repository of acme may call it, nothing else may
  # assume the deploy roles.
  central_deploy = "acme/platform/.github/workflows/deploy.yml"
}
