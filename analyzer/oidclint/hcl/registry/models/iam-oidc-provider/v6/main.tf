# oidclint model of terraform-aws-modules/iam/aws//modules/iam-oidc-provider, 6.x
# (5.x called it iam-github-oidc-provider; 6.0 dropped additional_thumbprints).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/31b31d77fcd898118c1f0d6c24dc2609a893c523/modules/iam-oidc-provider/main.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/538a948222b3d006ffec7327c6fd8aa2614023ef/modules/iam-oidc-provider/variables.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/bccf1093832c6a0e5609fdbb53398370c5cec95d/modules/iam-oidc-provider/outputs.tf
# The audience list defaults to `sts.<partition DNS suffix>`.
# Left out: thumbprint_list (from a tls_certificate data source at plan time), tags.

variable "create" {
  type    = bool
  default = true
}

variable "url" {
  type    = string
  default = "https://token.actions.githubusercontent.com"
}

variable "client_id_list" {
  type    = list(string)
  default = []
}

variable "tags" {
  type    = map(any)
  default = {}
}

data "aws_partition" "current" {
  count = var.create ? 1 : 0
}

locals {
  dns_suffix = try(data.aws_partition.current[0].dns_suffix, "")
}

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create ? 1 : 0

  url            = var.url
  client_id_list = coalescelist(var.client_id_list, ["sts.${local.dns_suffix}"])
}

output "arn" {
  value = try(aws_iam_openid_connect_provider.this[0].arn, null)
}

output "url" {
  value = try(aws_iam_openid_connect_provider.this[0].url, null)
}
