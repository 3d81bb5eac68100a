resource "aws_iam_role" "cluster" {
  name = "${var.cluster_name}-cluster"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "eks.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_eks_cluster" "payments" {
  name     = var.cluster_name
  role_arn = aws_iam_role.cluster.arn
  version  = "1.31"

  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = false
  }

  depends_on = [aws_iam_role_policy_attachment.cluster]
}

# IAM OIDC provider for IRSA, from the cluster's issuer
# (https://oidc.eks.eu-west-1.amazonaws.com/id/<ID>).
resource "aws_iam_openid_connect_provider" "eks" {
  url            = aws_eks_cluster.payments.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  # IAM condition keys name the issuer without its scheme: oidc.eks.<region>.amazonaws.com/id/<ID>
  oidc_issuer = replace(aws_iam_openid_connect_provider.eks.url, "https://", "")
}
