# oidclint model of terraform-aws-modules/eks/aws, 18.4.0 to 18.x.
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/ef22c7988c3b28db341771f700813fb29553a5c1/variables.tf (18.4.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/ef22c7988c3b28db341771f700813fb29553a5c1/main.tf (18.4.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/efbe9526322cef7443734c6c8b1e2c166f1cd428/variables.tf (18.31.2)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/efbe9526322cef7443734c6c8b1e2c166f1cd428/main.tf (18.31.2)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/efbe9526322cef7443734c6c8b1e2c166f1cd428/outputs.tf (18.31.2)
# The cluster (`aws_eks_cluster.this`), its IRSA OIDC provider (`enable_irsa`, true from 18.4.0,
# false in 18.0 to 18.3, which no model stands for; audiences sts.amazonaws.com plus
# `openid_connect_audiences`) and its add-ons: one `aws_eks_addon` per `cluster_addons` entry,
# named by the entry's `name` or its key, with its `service_account_role_arn`.
# 18.x names the cluster `cluster_name` and gives it back as `cluster_id` (the provider's id of
# an aws_eks_cluster is its name); `oidc_provider` appears in 18.20, `cluster_name` in 18.31:
# a call reads only the outputs its release has.
# Left out: node groups, Fargate profiles, aws-auth, the cluster IAM role, KMS, security groups.

variable "create" {
  type    = bool
  default = true
}

variable "cluster_name" {
  type    = string
  default = ""
}

variable "enable_irsa" {
  type    = bool
  default = true
}

variable "openid_connect_audiences" {
  type    = list(string)
  default = []
}

variable "cluster_addons" {
  type    = any
  default = {}
}

resource "aws_eks_cluster" "this" {
  count = var.create ? 1 : 0

  name = var.cluster_name
}

resource "aws_iam_openid_connect_provider" "oidc_provider" {
  count = var.create && var.enable_irsa ? 1 : 0

  client_id_list = distinct(compact(concat(["sts.amazonaws.com"], var.openid_connect_audiences)))
  url            = aws_eks_cluster.this[0].identity[0].oidc[0].issuer
}

resource "aws_eks_addon" "this" {
  for_each = { for k, v in var.cluster_addons : k => v if var.create }

  cluster_name             = aws_eks_cluster.this[0].name
  addon_name               = try(each.value.name, each.key)
  service_account_role_arn = lookup(each.value, "service_account_role_arn", null)
}

output "cluster_id" {
  value = try(aws_eks_cluster.this[0].name, "")
}

output "cluster_name" {
  value = try(aws_eks_cluster.this[0].name, "")
}

output "cluster_arn" {
  value = try(aws_eks_cluster.this[0].arn, "")
}

output "cluster_oidc_issuer_url" {
  value = try(aws_eks_cluster.this[0].identity[0].oidc[0].issuer, "")
}

output "oidc_provider" {
  value = try(replace(aws_eks_cluster.this[0].identity[0].oidc[0].issuer, "https://", ""), "")
}

output "oidc_provider_arn" {
  value = try(aws_iam_openid_connect_provider.oidc_provider[0].arn, "")
}
