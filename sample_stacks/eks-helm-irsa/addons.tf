# The add-ons, each installed with Helm and annotated with its IRSA role.

resource "helm_release" "aws_load_balancer_controller" {
  name       = "aws-load-balancer-controller"
  repository = "https://aws.github.io/eks-charts"
  chart      = "aws-load-balancer-controller"
  version    = "1.10.1"
  namespace  = "kube-system"

  set {
    name  = "clusterName"
    value = aws_eks_cluster.platform.name
  }

  set {
    name  = "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn"
    value = module.load_balancer_controller_irsa.iam_role_arn
  }
}

resource "helm_release" "karpenter" {
  name             = "karpenter"
  repository       = "oci://public.ecr.aws/karpenter"
  chart            = "karpenter"
  version          = "1.1.1"
  namespace        = "karpenter"
  create_namespace = true

  values = [templatefile("${path.module}/values/karpenter.yaml", {
    cluster_name = aws_eks_cluster.platform.name
    role_arn     = module.karpenter_irsa.iam_role_arn
  })]
}

resource "helm_release" "aws_ebs_csi_driver" {
  name       = "aws-ebs-csi-driver"
  repository = "https://kubernetes-sigs.github.io/aws-ebs-csi-driver"
  chart      = "aws-ebs-csi-driver"
  version    = "2.38.1"
  namespace  = "kube-system"

  values = [yamlencode({
    controller = {
      serviceAccount = {
        annotations = {
          "eks.amazonaws.com/role-arn" = module.ebs_csi_irsa.iam_role_arn
        }
      }
    }
  })]
}

resource "helm_release" "external_dns" {
  name             = "external-dns"
  repository       = "https://kubernetes-sigs.github.io/external-dns"
  chart            = "external-dns"
  version          = "1.15.0"
  namespace        = "external-dns"
  create_namespace = true

  values = [file("${path.module}/values/external-dns.yaml")]

  set {
    name  = "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn"
    value = module.external_dns_irsa.iam_role_arn
  }
}

# The chart's ServiceAccount is named <release>-aws-cluster-autoscaler.
resource "helm_release" "cluster_autoscaler" {
  name       = "cluster-autoscaler"
  repository = "https://kubernetes.github.io/autoscaler"
  chart      = "cluster-autoscaler"
  version    = "9.43.2"
  namespace  = "kube-system"

  set {
    name  = "autoDiscovery.clusterName"
    value = aws_eks_cluster.platform.name
  }

  set {
    name  = "rbac.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn"
    value = module.cluster_autoscaler_irsa.iam_role_arn
  }
}

resource "helm_release" "velero" {
  name             = "velero"
  repository       = "https://vmware-tanzu.github.io/helm-charts"
  chart            = "velero"
  version          = "8.1.0"
  namespace        = "velero"
  create_namespace = true

  values = [yamlencode({
    configuration = {
      backupStorageLocation = [{
        provider = "aws"
        bucket   = "acme-platform-prod-backups"
        config   = { region = "eu-west-1" }
      }]
    }
    serviceAccount = {
      server = {
        annotations = {
          "eks.amazonaws.com/role-arn" = module.velero_irsa.iam_role_arn
        }
      }
    }
  })]
}
