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
