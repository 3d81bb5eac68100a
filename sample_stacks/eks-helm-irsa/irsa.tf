# One IRSA role per add-on, from the community module. Each trusts exactly the
# ServiceAccount listed in namespace_service_accounts, with audience sts.amazonaws.com.

locals {
  oidc_providers = {
    provider_arn = aws_iam_openid_connect_provider.eks.arn
  }
}

module "load_balancer_controller_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name                              = "${var.cluster_name}-load-balancer-controller"
  attach_load_balancer_controller_policy = true

  oidc_providers = {
    main = merge(local.oidc_providers, {
      namespace_service_accounts = ["kube-system:aws-load-balancer-controller"]
    })
  }
}

module "karpenter_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name                          = "${var.cluster_name}-karpenter"
  attach_karpenter_controller_policy = true

  oidc_providers = {
    main = merge(local.oidc_providers, {
      namespace_service_accounts = ["karpenter:karpenter"]
    })
  }
}

module "ebs_csi_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name             = "${var.cluster_name}-ebs-csi"
  attach_ebs_csi_policy = true

  oidc_providers = {
    main = merge(local.oidc_providers, {
      namespace_service_accounts = ["kube-system:ebs-csi-controller-sa"]
    })
  }
}

module "external_dns_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name                  = "${var.cluster_name}-external-dns"
  attach_external_dns_policy = true

  oidc_providers = {
    main = merge(local.oidc_providers, {
      namespace_service_accounts = ["external-dns:external-dns"]
    })
  }
}

module "cluster_autoscaler_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name                        = "${var.cluster_name}-cluster-autoscaler"
  attach_cluster_autoscaler_policy = true
  cluster_autoscaler_cluster_names = [aws_eks_cluster.platform.name]

  oidc_providers = {
    main = merge(local.oidc_providers, {
      namespace_service_accounts = ["kube-system:cluster-autoscaler"]
    })
  }
}

module "velero_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name             = "${var.cluster_name}-velero"
  attach_velero_policy  = true
  velero_s3_bucket_arns = ["arn:aws:s3:::acme-platform-prod-backups"]

  oidc_providers = {
    main = merge(local.oidc_providers, {
      namespace_service_accounts = ["velero:velero"]
    })
  }
}
