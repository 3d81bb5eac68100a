# Included by every unit: the organisation and the repository that deploys, and the state
# kept per unit.
locals {
  organisation = "acme"
  repository   = "${local.organisation}/payments-api"
}

remote_state {
  backend = "s3"
  config = {
    bucket = "acme-terraform-state"
    key    = "${path_relative_to_include()}/terraform.tfstate"
    region = "eu-west-1"
  }
}

inputs = {
  repository = local.repository
}
