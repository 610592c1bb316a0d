output "vault_name" {
  description = "The backup vault holding the recovery points."
  value       = aws_backup_vault.this.name
}

output "vault_arn" {
  description = "ARN of the backup vault."
  value       = aws_backup_vault.this.arn
}

output "vault_kms_key_arn" {
  description = "The key the vault encrypts recovery points with."
  value       = aws_kms_key.vault.arn
}

output "plan_id" {
  description = "The backup plan's id."
  value       = aws_backup_plan.this.id
}

output "role_arn" {
  description = "The service role AWS Backup runs the selection's backups and restores as."
  value       = aws_iam_role.backup.arn
}

output "protected_bucket_arns" {
  description = "The buckets the plan backs up."
  value       = aws_backup_selection.this.resources
}
