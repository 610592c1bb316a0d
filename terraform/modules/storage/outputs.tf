output "bucket_names" {
  description = "Bucket name per purpose: data, artifacts, access_logs."
  value       = { for purpose, bucket in aws_s3_bucket.this : purpose => bucket.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN per purpose: data, artifacts, access_logs."
  value       = { for purpose, bucket in aws_s3_bucket.this : purpose => bucket.arn }
}

output "data_bucket" {
  description = "Name of the data bucket (raw and prepared training data)."
  value       = aws_s3_bucket.this["data"].bucket
}

output "artifacts_bucket" {
  description = "Name of the artifacts bucket (pipeline outputs, model bundles, evaluation reports)."
  value       = aws_s3_bucket.this["artifacts"].bucket
}

output "access_logs_bucket" {
  description = "Name of the bucket receiving S3 server access logs."
  value       = aws_s3_bucket.this["access_logs"].bucket
}

output "encryption" {
  description = "Default encryption per bucket purpose (algorithm, key, bucket key), for tests and audits."
  value = {
    for purpose, config in aws_s3_bucket_server_side_encryption_configuration.this : purpose => {
      sse_algorithm      = one([for rule in config.rule : one(rule.apply_server_side_encryption_by_default).sse_algorithm])
      kms_master_key_id  = one([for rule in config.rule : one(rule.apply_server_side_encryption_by_default).kms_master_key_id])
      bucket_key_enabled = one([for rule in config.rule : rule.bucket_key_enabled])
    }
  }
}

output "versioned_bucket_names" {
  description = "Bucket name per purpose, known only once versioning is Enabled: for resources that need versioning first (replication)."
  value       = { for purpose, versioning in aws_s3_bucket_versioning.this : purpose => versioning.bucket }
}

output "object_lock" {
  description = "The artifacts bucket's Object Lock default retention (mode, days), or null when off."
  value = var.object_lock.enabled ? {
    mode = "GOVERNANCE"
    days = var.object_lock.retention_days
  } : null
}
