terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}

provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = {
      team       = "platform"
      managed-by = "terraform"
      repository = "acme/platform"
    }
  }
}
