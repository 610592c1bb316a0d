# AWS Backup for what it supports and the stack does not otherwise copy: the Terraform state
# bucket (docs/dr.md). A vault encrypted with a key of its own, a daily plan, and a selection
# of the buckets run by a service role with the AWS-managed S3 policies.
#
# - S3 in AWS Backup needs versioning on the bucket (AWS Backup Developer Guide, "Amazon S3
#   backups", prerequisites); orchestrator bootstrap enables it on the state bucket.
# - The selection names the bucket by ARN, so the account's per-region service opt-in for S3
#   (aws_backup_region_settings, one per account and region, not managed here) does not
#   matter: "If a resource type is explicitly assigned to a backup plan, such as Amazon S3 ...
#   it will be included in the backup even if the opt-in is not enabled" (AWS Backup API
#   Reference, UpdateRegionSettings).
# - The service role: AWS Backup documents the managed policies
#   AWSBackupServiceRolePolicyForS3Backup and AWSBackupServiceRolePolicyForS3Restore for S3
#   (AWS Backup Developer Guide, "Amazon S3 backups", "Permissions"; AWS Managed Policy
#   Reference, arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup and
#   .../AWSBackupServiceRolePolicyForS3Restore). They are attached rather than copied because
#   AWS extends them as S3 backup changes (the backup policy is at v4 since 2024-05) and their
#   S3 statements span every bucket. Their kms:Decrypt is conditioned on kms:ViaService
#   s3.*.amazonaws.com, which the state key's policy (docs/bootstrap.md: use delegated to IAM
#   through S3) accepts. This is the one place the stack attaches AWS-managed policies
#   (tests/terraform/test_terraform_plan.py names them).
# - The vault key: a customer-managed key like the stack's others (root administers only);
#   key use is delegated to the account's principals only through AWS Backup in this region
#   (kms:ViaService, kms:CallerAccount), the way the Terraform state key delegates through S3.

locals {
  account_root = "arn:${var.partition}:iam::${var.account_id}:root"
  managed_policy_arns = {
    s3_backup  = "arn:${var.partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup"
    s3_restore = "arn:${var.partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"
  }
}

resource "aws_kms_key" "vault" {
  description             = "${var.name_prefix}: AWS Backup vault (Terraform state backups)"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "KeyAdministration"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = var.key_administration_actions
        Resource  = "*"
      },
      {
        Sid       = "KeyUseThroughAwsBackup"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:ViaService"    = "backup.${var.region}.amazonaws.com"
            "kms:CallerAccount" = var.account_id
          }
        }
      },
      {
        Sid       = "GrantsThroughAwsBackup"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = ["kms:CreateGrant", "kms:RetireGrant"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:ViaService"    = "backup.${var.region}.amazonaws.com"
            "kms:CallerAccount" = var.account_id
          }
          Bool = { "kms:GrantIsForAWSResource" = "true" }
        }
      },
    ]
  })
  tags = merge(var.tags, { Purpose = "backup" })
}

resource "aws_kms_alias" "vault" {
  name          = "alias/${var.name_prefix}-backup"
  target_key_id = aws_kms_key.vault.key_id
}

resource "aws_backup_vault" "this" {
  name        = "${var.name_prefix}-vault"
  kms_key_arn = aws_kms_key.vault.arn
  tags        = var.tags
}

resource "aws_backup_plan" "this" {
  name = "${var.name_prefix}-state"

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this.name
    schedule          = var.schedule

    lifecycle {
      delete_after = var.retention_days
    }
  }

  tags = var.tags
}

resource "aws_iam_role" "backup" {
  name                 = "${var.name_prefix}-backup"
  description          = "AWS Backup of ${join(", ", var.bucket_names)}"
  permissions_boundary = var.permissions_boundary_arn
  # The trust of AWS Backup's own default service role (AWS Backup Developer Guide, "Default
  # service role for AWS Backup"): the service principal without condition keys, which AWS
  # Backup is not documented to send when it assumes the role.
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AwsBackup"
        Effect    = "Allow"
        Principal = { Service = "backup.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = local.managed_policy_arns

  role       = aws_iam_role.backup.name
  policy_arn = each.value
}

resource "aws_backup_selection" "this" {
  name         = "${var.name_prefix}-state"
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [for name in var.bucket_names : "arn:${var.partition}:s3:::${name}"]

  depends_on = [aws_iam_role_policy_attachment.backup]
}
