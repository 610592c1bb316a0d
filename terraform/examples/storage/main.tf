# The storage module on its own: three hardened buckets encrypted with keys you already have.

provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "buckets" {
  #checkov:skip=CKV2_AWS_64:Example only; the kms module writes explicit key policies for the real stack.
  description             = "storage example: bucket encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

module "storage" {
  source = "../../modules/storage"

  name_prefix           = "storage-example"
  account_id            = data.aws_caller_identity.current.account_id
  data_kms_key_arn      = aws_kms_key.buckets.arn
  artifacts_kms_key_arn = aws_kms_key.buckets.arn
  logs_kms_key_arn      = aws_kms_key.buckets.arn
  force_destroy         = true
}

output "bucket_names" {
  description = "Bucket name per purpose."
  value       = module.storage.bucket_names
}
