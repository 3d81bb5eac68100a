# oidclint model of terraform-aws-modules/iam/aws//modules/iam-github-oidc-provider, 5.x
# (5.6.0 to the last 5.x; renamed modules/iam-oidc-provider in 6.0).
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/4f56ba9c82911335f22162eea17ca1b005d5a2ad/modules/iam-github-oidc-provider/main.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/560c9c1abe24208fb534436106bb5471917c326a/modules/iam-github-oidc-provider/variables.tf
#   https://github.com/terraform-aws-modules/terraform-aws-iam/blob/d1946a6f236376ba5f51610678b8c6549ab5b801/modules/iam-github-oidc-provider/outputs.tf
# The audience list defaults to `sts.<partition DNS suffix>` (sts.amazonaws.com in the aws
# partition; left partly unknown here, as the partition is).
# Left out: thumbprint_list (read from a tls_certificate data source at plan time, plus
# additional_thumbprints; IAM no longer needs it for GitHub), tags.

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

# Accepted so that calls passing them stay valid; they do not change the provider's trust.
variable "additional_thumbprints" {
  type    = list(string)
  default = []
}

variable "tags" {
  type    = map(any)
  default = {}
}

data "aws_partition" "current" {}

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create ? 1 : 0

  url            = var.url
  client_id_list = coalescelist(var.client_id_list, ["sts.${data.aws_partition.current.dns_suffix}"])
}

output "arn" {
  value = try(aws_iam_openid_connect_provider.this[0].arn, null)
}

output "url" {
  value = try(aws_iam_openid_connect_provider.this[0].url, null)
}
