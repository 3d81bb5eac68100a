variable "cluster_name" {
  type    = string
  default = "platform-prod"
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the platform VPC"
}

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

resource "aws_eks_cluster" "platform" {
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

# IAM OIDC provider for IRSA (IAM roles for service accounts).
resource "aws_iam_openid_connect_provider" "eks" {
  url            = aws_eks_cluster.platform.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}
