# Dynamic provider credentials for HCP Terraform workspaces.
resource "aws_iam_openid_connect_provider" "tfc" {
  url            = "https://${var.tfc_hostname}"
  client_id_list = [var.tfc_aws_audience]
}

# Role for the network-prod workspace of project "platform" (plan and apply).
resource "aws_iam_role" "network_prod" {
  name = "tfc-network-prod"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Federated = aws_iam_openid_connect_provider.tfc.arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${var.tfc_hostname}:aud" = var.tfc_aws_audience
          }
          StringLike = {
            "${var.tfc_hostname}:sub" = "organization:${var.tfc_organization_name}:project:${var.tfc_project_name}:workspace:${var.tfc_workspace_name}:run_phase:*"
          }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy" "network_prod" {
  name = "network"
  role = aws_iam_role.network_prod.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ec2:*VpcEndpoint*", "ec2:*Route*", "ec2:*TransitGateway*", "ec2:Describe*"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::acme-network-flow-logs", "arn:aws:s3:::acme-network-flow-logs/*"]
      },
    ]
  })
}

# "Read-only role any workspace can use for plans", written with wildcards in every segment.
resource "aws_iam_role" "shared_plan" {
  name = "tfc-shared-plan"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Federated = aws_iam_openid_connect_provider.tfc.arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${var.tfc_hostname}:aud" = var.tfc_aws_audience
          }
          StringLike = {
            "${var.tfc_hostname}:sub" = "organization:*:project:*:workspace:*:run_phase:*"
          }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "shared_plan" {
  role       = aws_iam_role.shared_plan.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
