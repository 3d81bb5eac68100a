# One deploy role per service, all made by the same local module.

module "payments_api_deploy" {
  source = "./modules/github-deploy-role"

  name         = "payments-api-deploy"
  provider_arn = aws_iam_openid_connect_provider.github.arn
  repository   = "acme/payments-api"
  environment  = "production"
  policy_arns  = ["arn:aws:iam::aws:policy/AmazonECS_FullAccess"]
}

module "ledger_deploy" {
  source = "./modules/github-deploy-role"

  name         = "ledger-deploy"
  provider_arn = aws_iam_openid_connect_provider.github.arn
  repository   = "acme/ledger"
  environment  = "production"
  policy_arns  = ["arn:aws:iam::aws:policy/AmazonECS_FullAccess"]
}

# "Every repo needs to publish docs", so the docs role was opened to the whole organisation.
module "docs_publish" {
  source = "./modules/github-deploy-role"

  name         = "docs-publish"
  provider_arn = aws_iam_openid_connect_provider.github.arn
  repository   = "acme/*"
  environment  = "docs"
  policy_arns  = ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]
}
