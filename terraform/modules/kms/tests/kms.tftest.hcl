# Keys rotate, and the account root may only administer them: no kms:* and no cryptographic
# use for the root; users and services are named.

mock_provider "aws" {}

variables {
  name_prefix                 = "mlops-demo-test"
  account_id                  = "123456789012"
  partition                   = "aws"
  region                      = "eu-west-1"
  sagemaker_role_arns         = ["arn:aws:iam::123456789012:role/execution", "arn:aws:iam::123456789012:role/pipeline"]
  orchestrator_principal_arns = ["arn:aws:iam::123456789012:role/ci"]
  log_group_names             = ["/aws/sagemaker/TrainingJobs"]
}

run "keys_rotate_and_name_their_principals" {
  command = apply

  assert {
    condition     = length(aws_kms_key.this) == 3 && alltrue([for key in aws_kms_key.this : key.enable_key_rotation])
    error_message = "Three keys (data, artifacts, logs), each with rotation on."
  }

  assert {
    condition = alltrue(flatten([
      for key in aws_kms_key.this : [
        for statement in jsondecode(key.policy).Statement : [
          for action in flatten([statement.Action]) : action != "*" && action != "kms:*"
        ]
      ]
    ]))
    error_message = "No key policy statement may allow kms:* or *."
  }

  assert {
    condition = alltrue(flatten([
      for key in aws_kms_key.this : [
        for statement in jsondecode(key.policy).Statement : [
          for action in flatten([statement.Action]) :
          !contains(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], action)
        ] if contains(flatten([try(statement.Principal.AWS, [])]), "arn:aws:iam::123456789012:root") && try(statement.Condition, null) == null
      ]
    ]))
    error_message = "The account root may administer the keys but not encrypt or decrypt with them."
  }

  assert {
    condition = alltrue([
      for purpose in ["data", "artifacts"] : anytrue([
        for statement in jsondecode(aws_kms_key.this[purpose].policy).Statement :
        contains(flatten([try(statement.Principal.AWS, [])]), "arn:aws:iam::123456789012:role/execution") &&
        contains(flatten([statement.Action]), "kms:Decrypt")
      ])
    ])
    error_message = "The execution role must be named as a user of the data and artifacts keys."
  }

  assert {
    condition = anytrue([
      for statement in jsondecode(aws_kms_key.this["logs"].policy).Statement :
      try(statement.Principal.Service, "") == "logs.eu-west-1.amazonaws.com"
    ])
    error_message = "The logs key must allow the regional CloudWatch Logs service."
  }
}

run "rejects_out_of_range_deletion_window" {
  command = plan

  variables {
    deletion_window_days = 3
  }

  expect_failures = [var.deletion_window_days]
}

# Replication: the role may decrypt only the replicated buckets' objects, only through S3 in
# this region; a key whose bucket is not replicated (logs, or data when only artifacts is)
# gets no such statement.
run "the_replication_role_decrypts_only_its_buckets_objects_through_s3" {
  command = plan

  variables {
    replication_role_arn           = "arn:aws:iam::123456789012:role/mlops-demo-test-s3-replication"
    replication_source_bucket_arns = { artifacts = "arn:aws:s3:::mlops-demo-test-artifacts-123456789012" }
  }

  assert {
    condition = one([
      for statement in jsondecode(aws_kms_key.this["artifacts"].policy).Statement : statement
      if statement.Sid == "ReplicationRoleDecryptsSourceObjects"
      ]) == {
      Sid       = "ReplicationRoleDecryptsSourceObjects"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:role/mlops-demo-test-s3-replication" }
      Action    = "kms:Decrypt"
      Resource  = "*"
      Condition = {
        StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" }
        StringLike   = { "kms:EncryptionContext:aws:s3:arn" = ["arn:aws:s3:::mlops-demo-test-artifacts-123456789012", "arn:aws:s3:::mlops-demo-test-artifacts-123456789012/*"] }
      }
    }
    error_message = "The artifacts key lets the replication role decrypt its bucket's objects through S3 only."
  }

  assert {
    condition = alltrue([
      for purpose in ["data", "logs"] : !contains([for s in jsondecode(aws_kms_key.this[purpose].policy).Statement : s.Sid], "ReplicationRoleDecryptsSourceObjects")
    ])
    error_message = "Keys of buckets that are not replicated name no replication role."
  }
}

run "rejects_replicated_buckets_without_a_role" {
  command = plan

  variables {
    replication_source_bucket_arns = { data = "arn:aws:s3:::mlops-demo-test-data-123456789012" }
  }

  expect_failures = [var.replication_source_bucket_arns]
}
