output "key_arns" {
  description = "Key ARN per purpose: data, artifacts, logs."
  value       = { for purpose, key in aws_kms_key.this : purpose => key.arn }
}

output "data_key_arn" {
  description = "Key for the data bucket and SageMaker volumes."
  value       = aws_kms_key.this["data"].arn
}

output "artifacts_key_arn" {
  description = "Key for the artifacts bucket, pipeline outputs and the ECR repository."
  value       = aws_kms_key.this["artifacts"].arn
}

output "logs_key_arn" {
  description = "Key for log groups, the alert topic and the access-log bucket."
  value       = aws_kms_key.this["logs"].arn
}

output "alias_names" {
  description = "Alias name per purpose."
  value       = { for purpose, alias in aws_kms_alias.this : purpose => alias.name }
}

output "key_administration_actions" {
  description = "The administration-only actions the key policies give the administrators (no key use), for keys created elsewhere (the replica and backup vault keys) to be administered alike."
  value       = local.administration_actions
}
