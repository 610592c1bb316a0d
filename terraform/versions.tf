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
  # A plan or apply with credentials of another account fails before touching anything
  # (`orchestrator render` always sets account_id from the environment file).
  allowed_account_ids = var.account_id == null ? null : [var.account_id]

  default_tags {
    tags = local.tags
  }
}

# The replica region of cross-region replication (modules/replication; docs/dr.md). Always
# configured, so turning replication on or off never adds or removes a provider; without
# replication it points at var.region and nothing uses it.
provider "aws" {
  alias               = "replica"
  region              = coalesce(var.replication.region, var.region)
  allowed_account_ids = var.account_id == null ? null : [var.account_id]

  default_tags {
    tags = local.tags
  }
}
