terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }

  # Partial configuration: bucket, key and region come from backends/<environment>.s3.tfbackend
  # (terraform init -backend-config=backends/dev.s3.tfbackend). State is locked with an S3 lock
  # file (use_lockfile), so no DynamoDB table is needed.
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
