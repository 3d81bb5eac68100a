variable "tfc_hostname" {
  type        = string
  default     = "app.terraform.io"
  description = "HCP Terraform host (the issuer without https://)"
}

variable "tfc_aws_audience" {
  type        = string
  default     = "aws.workload.identity"
  description = "Audience HCP Terraform requests (TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE)"
}

variable "tfc_organization_name" {
  type    = string
  default = "acme"
}

variable "tfc_project_name" {
  type    = string
  default = "platform"
}

variable "tfc_workspace_name" {
  type    = string
  default = "network-prod"
}
