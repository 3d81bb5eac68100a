# oidclint model of terraform-aws-modules/eks/aws, 19.x to 21.x.
# Written by oidclint from reading, not copied. Files read:
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/4bb83e0165dc85d75899b6c107b2e42bb5157b55/variables.tf (19.0.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/8a0efdbbc84180a26e0bacfd2b6fcfceac53b3b6/main.tf (20.37.2)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/8a0efdbbc84180a26e0bacfd2b6fcfceac53b3b6/variables.tf (20.37.2)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/bef29c4d9523523e57fe898643fde2895106b339/main.tf (21.19.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/bef29c4d9523523e57fe898643fde2895106b339/variables.tf (21.19.0)
#   https://github.com/terraform-aws-modules/terraform-aws-eks/blob/bef29c4d9523523e57fe898643fde2895106b339/outputs.tf (21.19.0)
# The cluster (`aws_eks_cluster.this`), its IRSA OIDC provider (`enable_irsa`, true since 19.0;
# audiences sts.amazonaws.com plus `openid_connect_audiences`) and its add-ons: one
# `aws_eks_addon` per entry of the add-on map, named by the entry's `name` or its key, with the
# entry's `service_account_role_arn` and `pod_identity_association` list.
# 21.0 renamed `cluster_name` to `name` and `cluster_addons` to `addons` (a typed map, null by
# default). Terraform rejects a module argument the module does not declare, so a call sets only
# the names its release has: the model takes both, whatever the version constraint says.
# Left out: node groups, Fargate profiles, access entries, the cluster IAM role, KMS, security
# groups, outposts; outputs other than the cluster's name, ARN, issuer and the provider's.

variable "create" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = ""
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

variable "addons" {
  # null in 21.x: no add-ons, as an empty map.
  type    = any
  default = {}
}

variable "cluster_addons" {
  type    = any
  default = {}
}

locals {
  name   = var.name != "" ? var.name : var.cluster_name
  addons = merge(var.cluster_addons, var.addons)
}

resource "aws_eks_cluster" "this" {
  count = var.create ? 1 : 0

  name = local.name
}

resource "aws_iam_openid_connect_provider" "oidc_provider" {
  count = var.create && var.enable_irsa ? 1 : 0

  client_id_list = distinct(compact(concat(["sts.amazonaws.com"], var.openid_connect_audiences)))
  url            = aws_eks_cluster.this[0].identity[0].oidc[0].issuer
}

resource "aws_eks_addon" "this" {
  for_each = var.create ? local.addons : {}

  cluster_name             = aws_eks_cluster.this[0].name
  addon_name               = coalesce(try(each.value.name, null), each.key)
  service_account_role_arn = try(each.value.service_account_role_arn, null)

  dynamic "pod_identity_association" {
    for_each = try(each.value.pod_identity_association, [])

    content {
      role_arn        = pod_identity_association.value.role_arn
      service_account = pod_identity_association.value.service_account
    }
  }
}

output "cluster_name" {
  value = try(aws_eks_cluster.this[0].name, "")
}

output "cluster_arn" {
  value = try(aws_eks_cluster.this[0].arn, null)
}

output "cluster_oidc_issuer_url" {
  value = try(aws_eks_cluster.this[0].identity[0].oidc[0].issuer, null)
}

output "oidc_provider" {
  value = try(replace(aws_eks_cluster.this[0].identity[0].oidc[0].issuer, "https://", ""), null)
}

output "oidc_provider_arn" {
  value = try(aws_iam_openid_connect_provider.oidc_provider[0].arn, null)
}
