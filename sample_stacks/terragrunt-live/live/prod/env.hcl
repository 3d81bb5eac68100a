locals {
  account_id  = "444455556666"
  environment = "prod"
}
