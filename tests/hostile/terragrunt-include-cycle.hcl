include "self" {
  path = "terragrunt.hcl"
}

locals {
  again = read_terragrunt_config("terragrunt.hcl")
}

inputs = {
  again = local.again
}
