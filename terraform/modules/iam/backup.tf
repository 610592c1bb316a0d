# Disaster recovery (docs/dr.md): what `orchestrator backup`, `orchestrator restore` and
# `orchestrator data restore` need beyond the orchestrator's other policies, in a policy of its
# own attached to the same principals (orchestrator_role_names).
#
# - data restore: read a bucket's versioning and list its versions (ListObjectVersions is
#   authorised as s3:ListBucketVersions), copy an old version back (CopyObject with a VersionId
#   reads it as s3:GetObjectVersion and writes s3:PutObject) and add delete markers
#   (DeleteObjects without version ids: s3:DeleteObject; never s3:DeleteObjectVersion, so no
#   version is ever erased), in the project's buckets, with their keys (main.tf: UseProjectKeys).
# - restore: re-register versions (CreateModelPackage/UpdateModelPackage are granted in main.tf)
#   and put back deployment-history events and backed-up artifacts in the artifacts bucket.
# - backup/restore to and from dr_backup_bucket_arns (empty: only the project's buckets and
#   folders on the machine running the orchestrator).

variable "dr_backup_bucket_arns" {
  type        = list(string)
  description = "S3 buckets (ARNs) `orchestrator backup --to s3://...` writes backups to and `orchestrator restore --from` reads them from, e.g. a bucket in another region or account. Empty: backups go to the project's buckets or to a folder."
  default     = []

  validation {
    condition     = alltrue([for arn in var.dr_backup_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", arn))])
    error_message = "dr_backup_bucket_arns must be S3 bucket ARNs such as arn:aws:s3:::mlops-dr-backups."
  }
}

variable "dr_backup_kms_key_arns" {
  type        = list(string)
  description = "KMS keys (ARNs) that encrypt the dr_backup_bucket_arns buckets' objects. Empty: those buckets use S3-managed keys."
  default     = []

  validation {
    condition     = alltrue([for arn in var.dr_backup_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", arn))])
    error_message = "dr_backup_kms_key_arns must be KMS key ARNs such as arn:aws:kms:eu-west-1:111122223333:key/...."
  }
}

locals {
  recovery_statements = concat(
    [
      {
        Sid      = "ReadProjectBucketVersions"
        Effect   = "Allow"
        Action   = ["s3:GetBucketVersioning", "s3:ListBucket", "s3:ListBucketVersions"]
        Resource = local.project_buckets
      },
      {
        Sid      = "RestoreProjectObjectVersions"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
        Resource = [for bucket in local.project_buckets : "${bucket}/*"]
      },
      {
        Sid      = "UseProjectKeysForRecovery"
        Effect   = "Allow"
        Action   = local.key_use_actions
        Resource = local.project_keys
      },
    ],
    length(var.dr_backup_bucket_arns) == 0 ? [] : [
      {
        Sid      = "ListBackupBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = var.dr_backup_bucket_arns
      },
      {
        Sid      = "WriteAndReadBackups"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
        Resource = [for bucket in var.dr_backup_bucket_arns : "${bucket}/*"]
      },
    ],
    length(var.dr_backup_kms_key_arns) == 0 ? [] : [
      {
        Sid      = "UseBackupKeys"
        Effect   = "Allow"
        Action   = local.key_use_actions
        Resource = var.dr_backup_kms_key_arns
      },
    ],
  )
}

resource "aws_iam_policy" "orchestrator_recovery" {
  name        = "${var.name_prefix}-orchestrator-recovery"
  description = "CI / orchestrator: back up and restore ${var.name_prefix}'s model registry and restore its buckets' objects to a point in time, nothing else"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.recovery_statements
  })
  tags = var.tags
}

# Attached with the other orchestrator policies (main.tf's orchestrator_policy_arns), so the
# root output of that name lists it too.

output "orchestrator_recovery_policy_arn" {
  description = "ARN of the orchestrator's disaster-recovery policy (backup, restore, point-in-time restore of the project's buckets): attach it where the other orchestrator policies go."
  value       = aws_iam_policy.orchestrator_recovery.arn
}
