# Cross-region replication on its own: two existing versioned, SSE-KMS buckets replicated from
# eu-west-1 to eu-central-1. Also how `terraform validate` checks the module: a module with
# configuration_aliases cannot be validated on its own (Terraform asks for the aliased
# provider's configuration), only through a caller that passes it.

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "replica"
  region = "eu-central-1"
}

data "aws_caller_identity" "current" {}

module "replication" {
  source = "../../modules/replication"

  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  name_prefix    = "replication-example"
  account_id     = data.aws_caller_identity.current.account_id
  source_region  = "eu-west-1"
  replica_region = "eu-central-1"
  source_bucket_names = {
    data = "replication-example-data-${data.aws_caller_identity.current.account_id}"
  }
  source_kms_key_arns = {
    data = "arn:aws:kms:eu-west-1:${data.aws_caller_identity.current.account_id}:key/00000000-0000-0000-0000-000000000000"
  }
  key_administration_actions        = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
  noncurrent_version_retention_days = 30
  force_destroy                     = true
}

output "replica_bucket_names" {
  description = "Replica bucket name per purpose."
  value       = module.replication.replica_bucket_names
}
