include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))
}

terraform {
  source = "../../../modules//github-deploy-role"
}

dependency "oidc_provider" {
  config_path = "../github-oidc-provider"

  mock_outputs = {
    arn = "arn:aws:iam::${local.env.locals.account_id}:oidc-provider/token.actions.githubusercontent.com"
  }
}

inputs = {
  name         = "payments-api-deploy-${local.env.locals.environment}"
  provider_arn = dependency.oidc_provider.outputs.arn
  environment  = local.env.locals.environment
}
