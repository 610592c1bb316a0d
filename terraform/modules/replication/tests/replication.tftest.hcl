# Cross-region replication on its own: replica buckets hardened like the source buckets, in the
# replica region with a key of their own; SSE-KMS objects and delete markers replicated; the
# artifacts replica locked when the source is; a replica region equal to the source's refused.

mock_provider "aws" {}

mock_provider "aws" {
  alias = "replica"
}

variables {
  name_prefix    = "mlops-demo-test"
  account_id     = "123456789012"
  source_region  = "eu-west-1"
  replica_region = "eu-central-1"
  source_bucket_names = {
    data      = "mlops-demo-test-data-123456789012"
    artifacts = "mlops-demo-test-artifacts-123456789012"
  }
  source_kms_key_arns = {
    data      = "arn:aws:kms:eu-west-1:123456789012:key/data"
    artifacts = "arn:aws:kms:eu-west-1:123456789012:key/artifacts"
  }
  key_user_arns                     = ["arn:aws:iam::123456789012:role/ci"]
  key_administration_actions        = ["kms:DescribeKey", "kms:PutKeyPolicy"]
  noncurrent_version_retention_days = 30
  object_lock                       = { enabled = true, retention_days = 10 }
}

run "replicas_are_hardened_and_replication_covers_kms_objects_and_delete_markers" {
  command = apply

  assert {
    condition     = keys(aws_s3_bucket.replica) == ["artifacts", "data"] && output.replica_bucket_names["data"] == "mlops-demo-test-data-replica-123456789012"
    error_message = "One replica bucket per source bucket, named <prefix>-<purpose>-replica-<account>."
  }

  assert {
    condition = alltrue([
      for sse in aws_s3_bucket_server_side_encryption_configuration.replica :
      one(one(sse.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" && one(sse.rule).bucket_key_enabled
    ])
    error_message = "Every replica is SSE-KMS with the bucket key."
  }

  assert {
    condition     = alltrue([for v in aws_s3_bucket_versioning.replica : one(v.versioning_configuration).status == "Enabled"]) && length(aws_s3_bucket_versioning.replica) == 2
    error_message = "Replication needs versioning on every replica."
  }

  assert {
    condition     = alltrue([for b in aws_s3_bucket_public_access_block.replica : b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "Replicas block all public access."
  }

  assert {
    condition = alltrue([
      for config in aws_s3_bucket_replication_configuration.this :
      one(config.rule).status == "Enabled" &&
      one(one(config.rule).delete_marker_replication).status == "Enabled" &&
      one(one(one(config.rule).source_selection_criteria).sse_kms_encrypted_objects).status == "Enabled" &&
      one(one(one(config.rule).destination).encryption_configuration).replica_kms_key_id == aws_kms_key.replica.arn
    ]) && length(aws_s3_bucket_replication_configuration.this) == 2
    error_message = "Each source bucket replicates SSE-KMS objects and delete markers, re-encrypted with the replica key."
  }

  assert {
    condition     = aws_s3_bucket.replica["artifacts"].object_lock_enabled && !aws_s3_bucket.replica["data"].object_lock_enabled && keys(aws_s3_bucket_object_lock_configuration.replica) == ["artifacts"]
    error_message = "Only the artifacts replica is locked, like its source."
  }

  assert {
    condition     = one(one(aws_s3_bucket_object_lock_configuration.replica["artifacts"].rule).default_retention).mode == "GOVERNANCE" && one(one(aws_s3_bucket_object_lock_configuration.replica["artifacts"].rule).default_retention).days == 10
    error_message = "The artifacts replica keeps the source's governance-mode retention."
  }

  assert {
    condition     = alltrue([for config in aws_s3_bucket_replication_configuration.this : length(one(one(config.rule).destination).replication_time) == 0])
    error_message = "No Replication Time Control unless asked for (it costs extra)."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_iam_role_policy.replication.policy).Statement : s.Sid], "ReadSourceObjectLock")
    error_message = "With Object Lock the role reads the source's retention and legal hold."
  }
}

run "time_control_adds_the_15_minute_sla_and_its_metrics" {
  command = plan

  variables {
    time_control = true
  }

  assert {
    condition = alltrue([
      for config in aws_s3_bucket_replication_configuration.this :
      one(one(one(config.rule).destination).replication_time).status == "Enabled" &&
      one(one(one(one(config.rule).destination).replication_time).time).minutes == 15 &&
      one(one(one(config.rule).destination).metrics).status == "Enabled"
    ])
    error_message = "Replication Time Control: 15 minutes, with replication metrics enabled."
  }
}

run "refuses_a_replica_region_equal_to_the_source_region" {
  command = plan

  variables {
    replica_region = "eu-west-1"
  }

  expect_failures = [var.replica_region]
}
