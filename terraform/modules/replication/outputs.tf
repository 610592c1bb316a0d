output "replica_bucket_names" {
  description = "Replica bucket name per replicated purpose (data, artifacts)."
  value       = { for purpose, bucket in aws_s3_bucket.replica : purpose => bucket.bucket }
}

output "replica_bucket_arns" {
  description = "Replica bucket ARN per replicated purpose; known at plan (built from the names)."
  value       = local.replica_arns
}

output "replica_kms_key_arn" {
  description = "The replica region's key that encrypts every replica."
  value       = aws_kms_key.replica.arn
}

output "replication_role_arn" {
  description = "The role S3 assumes to replicate; the source keys' policies let it decrypt through S3."
  value       = aws_iam_role.replication.arn
}

output "replica_region" {
  description = "Region of the replica key and buckets."
  value       = var.replica_region
}
