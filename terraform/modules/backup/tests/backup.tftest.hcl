# AWS Backup of the state bucket: a vault encrypted with its own key, a plan on the schedule
# keeping recovery points retention_days, the bucket selected, and a role with exactly the two
# AWS-managed S3 policies AWS Backup documents.

mock_provider "aws" {}

variables {
  name_prefix                = "mlops-demo-test"
  account_id                 = "123456789012"
  region                     = "eu-west-1"
  bucket_names               = ["mlops-demo-test-tfstate-123456789012"]
  key_administration_actions = ["kms:DescribeKey", "kms:PutKeyPolicy"]
  retention_days             = 14
}

run "the_state_bucket_is_backed_up_into_an_encrypted_vault" {
  command = apply

  assert {
    condition     = aws_backup_vault.this.kms_key_arn == aws_kms_key.vault.arn && aws_kms_key.vault.enable_key_rotation
    error_message = "The vault is encrypted with its own rotating key."
  }

  assert {
    condition     = one(aws_backup_plan.this.rule).schedule == "cron(0 3 * * ? *)" && one(one(aws_backup_plan.this.rule).lifecycle).delete_after == 14
    error_message = "The plan runs on the schedule and keeps recovery points retention_days."
  }

  assert {
    condition     = aws_backup_selection.this.resources == toset(["arn:aws:s3:::mlops-demo-test-tfstate-123456789012"]) && aws_backup_selection.this.iam_role_arn == aws_iam_role.backup.arn
    error_message = "The selection names the state bucket and runs as the backup role."
  }

  assert {
    condition     = toset([for a in aws_iam_role_policy_attachment.backup : a.policy_arn]) == toset(["arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"])
    error_message = "The role has exactly the AWS-managed S3 backup and restore policies."
  }
}

run "refuses_a_schedule_that_is_not_cron" {
  command = plan

  variables {
    schedule = "daily"
  }

  expect_failures = [var.schedule]
}
