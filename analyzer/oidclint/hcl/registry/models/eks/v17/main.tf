# oidclint model of terraform-aws-modules/eks/aws, 17.x.
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/1dc56fd5ab48481c922899d6903c2c786a7ce48b/irsa.tf (17.0.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/1dc56fd5ab48481c922899d6903c2c786a7ce48b/outputs.tf (17.0.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/e90c877a741ab3cc4215376a70f7bcc360b6a3d2/irsa.tf (17.24.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/e90c877a741ab3cc4215376a70f7bcc360b6a3d2/main.tf (17.24.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/e90c877a741ab3cc4215376a70f7bcc360b6a3d2/locals.tf (17.24.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/e90c877a741ab3cc4215376a70f7bcc360b6a3d2/variables.tf (17.24.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/e90c877a741ab3cc4215376a70f7bcc360b6a3d2/outputs.tf (17.24.0)
# The cluster (`aws_eks_cluster.this`, switched by `create_eks`) and its IRSA OIDC provider,
# created only with `enable_irsa = true` (false by default in every 17.x release); audiences
# sts.amazonaws.com plus `openid_connect_audiences` (a later 17.x input; 17.0 has sts alone,
# and Terraform refuses the input where the release lacks it). `oidc_provider_arn` is null
# without IRSA. 17.x has no add-on input.
# Left out: node groups, workers, Fargate profiles, aws-auth, the cluster IAM role.

variable "create_eks" {
  type    = bool
  default = true
}

variable "cluster_name" {
  type    = string
  default = ""
}

variable "enable_irsa" {
  type    = bool
  default = false
}

variable "openid_connect_audiences" {
  type    = list(string)
  default = []
}

resource "aws_eks_cluster" "this" {
  count = var.create_eks ? 1 : 0

  name = var.cluster_name
}

resource "aws_iam_openid_connect_provider" "oidc_provider" {
  count = var.enable_irsa && var.create_eks ? 1 : 0

  client_id_list = distinct(compact(concat(["sts.amazonaws.com"], var.openid_connect_audiences)))
  url            = aws_eks_cluster.this[0].identity[0].oidc[0].issuer
}

output "cluster_id" {
  value = try(aws_eks_cluster.this[0].name, "")
}

output "cluster_arn" {
  value = try(aws_eks_cluster.this[0].arn, "")
}

output "cluster_oidc_issuer_url" {
  value = try(aws_eks_cluster.this[0].identity[0].oidc[0].issuer, "")
}

output "oidc_provider_arn" {
  value = var.enable_irsa ? try(aws_iam_openid_connect_provider.oidc_provider[0].arn, "") : null
}
