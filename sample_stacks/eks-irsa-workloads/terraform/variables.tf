variable "cluster_name" {
  type    = string
  default = "payments-eu"
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the payments VPC"
}
