# Every bucket the module creates is encrypted with SSE-KMS (bucket key on), versioned, blocked
# from public access, owner-enforced, TLS-only, cleaned up by lifecycle rules and logged.

mock_provider "aws" {}

variables {
  name_prefix           = "mlops-demo-test"
  account_id            = "123456789012"
  data_kms_key_arn      = "arn:aws:kms:eu-west-1:123456789012:key/data"
  artifacts_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/artifacts"
  logs_kms_key_arn      = "arn:aws:kms:eu-west-1:123456789012:key/logs"
}

run "buckets_are_secure_by_default" {
  command = apply

  assert {
    condition     = length(aws_s3_bucket.this) == 3
    error_message = "Expected the data, artifacts and access_logs buckets."
  }

  assert {
    condition = alltrue([
      for purpose, bucket in aws_s3_bucket.this :
      contains(keys(aws_s3_bucket_server_side_encryption_configuration.this), purpose)
    ])
    error_message = "Every bucket needs a server-side encryption configuration."
  }

  assert {
    condition = alltrue([
      for purpose, encryption in output.encryption :
      encryption.sse_algorithm == "aws:kms" && encryption.bucket_key_enabled == true
    ])
    error_message = "Every bucket must default to SSE-KMS (aws:kms) with the S3 bucket key enabled."
  }

  assert {
    condition = (
      output.encryption["data"].kms_master_key_id == var.data_kms_key_arn &&
      output.encryption["artifacts"].kms_master_key_id == var.artifacts_kms_key_arn &&
      output.encryption["access_logs"].kms_master_key_id == var.logs_kms_key_arn
    )
    error_message = "Each bucket must use its own purpose's customer-managed key."
  }

  assert {
    condition = alltrue([
      for versioning in aws_s3_bucket_versioning.this :
      one(versioning.versioning_configuration).status == "Enabled"
    ])
    error_message = "Versioning must be enabled on every bucket."
  }

  assert {
    condition = alltrue([
      for block in aws_s3_bucket_public_access_block.this :
      block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets
    ]) && length(aws_s3_bucket_public_access_block.this) == length(aws_s3_bucket.this)
    error_message = "All four public access block settings must be on for every bucket."
  }

  assert {
    condition = alltrue([
      for ownership in aws_s3_bucket_ownership_controls.this :
      one(ownership.rule).object_ownership == "BucketOwnerEnforced"
    ])
    error_message = "Object ownership must be BucketOwnerEnforced (ACLs disabled)."
  }

  assert {
    condition = alltrue([
      for policy in aws_s3_bucket_policy.this : anytrue([
        for statement in jsondecode(policy.policy).Statement :
        statement.Effect == "Deny" && try(statement.Condition.Bool["aws:SecureTransport"], "") == "false"
      ])
    ])
    error_message = "Every bucket policy must deny requests without TLS."
  }

  assert {
    condition = alltrue([
      for policy in aws_s3_bucket_policy.this : anytrue([
        for statement in jsondecode(policy.policy).Statement :
        statement.Effect == "Deny" && statement.Action == "s3:PutObject" &&
        try(statement.Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption"], "") == "aws:kms"
      ])
    ])
    error_message = "Every bucket policy must deny uploads that request an encryption other than aws:kms."
  }

  assert {
    condition = alltrue([
      for lifecycle in aws_s3_bucket_lifecycle_configuration.this :
      length([for rule in lifecycle.rule : rule if length(rule.noncurrent_version_expiration) > 0]) == 1 &&
      length([for rule in lifecycle.rule : rule if length(rule.abort_incomplete_multipart_upload) > 0]) == 1
    ])
    error_message = "Every bucket needs lifecycle rules for noncurrent versions and incomplete multipart uploads."
  }

  assert {
    condition = (
      aws_s3_bucket_logging.this["data"].target_bucket == aws_s3_bucket.this["access_logs"].bucket &&
      aws_s3_bucket_logging.this["artifacts"].target_bucket == aws_s3_bucket.this["access_logs"].bucket
    )
    error_message = "The data and artifacts buckets must log access to the access-log bucket."
  }

  assert {
    condition     = alltrue([for bucket in aws_s3_bucket.this : bucket.force_destroy == false])
    error_message = "force_destroy must default to false."
  }

  assert {
    condition     = length(aws_s3_bucket_object_lock_configuration.artifacts) == 0 && output.object_lock == null
    error_message = "Object Lock is off unless asked for (it can never be turned off again)."
  }
}

run "force_destroy_is_a_deliberate_switch" {
  command = plan

  variables {
    force_destroy = true
  }

  assert {
    condition     = alltrue([for bucket in aws_s3_bucket.this : bucket.force_destroy])
    error_message = "force_destroy = true must reach every bucket."
  }
}

run "rejects_a_name_prefix_that_makes_bucket_names_too_long" {
  command = plan

  variables {
    name_prefix = "a-very-long-project-name-for-staging-env"
  }

  expect_failures = [var.name_prefix]
}

# Object Lock: governance mode on the artifacts bucket only, enabled through the configuration
# resource (S3 accepts it on an existing versioned bucket) and never through the bucket's own
# object_lock_enabled, which would replace the bucket.
run "object_lock_locks_the_artifacts_bucket_in_governance_mode" {
  command = plan

  variables {
    object_lock = { enabled = true, retention_days = 30 }
  }

  assert {
    condition     = length(aws_s3_bucket_object_lock_configuration.artifacts) == 1 && aws_s3_bucket_object_lock_configuration.artifacts[0].bucket == "mlops-demo-test-artifacts-123456789012"
    error_message = "Exactly the artifacts bucket is locked."
  }

  assert {
    condition = (
      aws_s3_bucket_object_lock_configuration.artifacts[0].object_lock_enabled == "Enabled" &&
      one(one(aws_s3_bucket_object_lock_configuration.artifacts[0].rule).default_retention).mode == "GOVERNANCE" &&
      one(one(aws_s3_bucket_object_lock_configuration.artifacts[0].rule).default_retention).days == 30
    )
    error_message = "Governance mode with the environment's retention."
  }

  assert {
    condition     = output.object_lock == { mode = "GOVERNANCE", days = 30 }
    error_message = "The module reports the lock it applied."
  }
}

run "object_lock_is_refused_with_force_destroy" {
  command = plan

  variables {
    force_destroy = true
    object_lock   = { enabled = true }
  }

  expect_failures = [var.object_lock]
}
