# Customer-managed KMS keys, one per purpose, so a leaked grant or a wrong policy on one purpose
# (say, logs) never exposes another (training data). Every key policy names who may use it:
# the account root only administers the key (no encrypt/decrypt), the project's roles use it,
# and each AWS service that needs it is listed with a source-account condition.
#
# Consequence (AWS KMS developer guide, "Default key policy" / "Allows access to the AWS account
# and enables IAM policies"): the root statement delegates to IAM only the actions it lists, so
# an IAM policy can grant key *administration* to a principal of the account but never key
# *use*. Key use is therefore only what the KeyUseByProjectPrincipals statement names: the
# SageMaker jobs, serving and pipeline roles and orchestrator_principal_arns (CI / operators
# that upload data and run the orchestrator). An environment without any orchestrator principal
# is refused by the root module and by the environment validation, because nobody could then
# upload to the SSE-KMS data bucket. Operators keep the administration path: an account
# principal with IAM rights to kms:PutKeyPolicy can add a key user.

locals {
  account_root = "arn:${var.partition}:iam::${var.account_id}:root"
  administrators = length(var.key_administrator_arns) > 0 ? var.key_administrator_arns : [
    local.account_root,
  ]

  # Key administration without any cryptographic use (kms:* is deliberately not granted).
  administration_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  usage_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]

  # SageMaker encrypts training/processing volumes and endpoint storage through grants it
  # creates with the caller's identity; the condition keeps grants tied to AWS resources.
  grant_actions = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]

  key_users = distinct(concat(var.sagemaker_role_arns, var.orchestrator_principal_arns))

  log_group_arns = [
    for name in var.log_group_names :
    "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:${name}"
  ]

  common_statements = [
    {
      Sid       = "KeyAdministration"
      Effect    = "Allow"
      Principal = { AWS = local.administrators }
      Action    = local.administration_actions
      # In a key policy "*" means "this key".
      Resource = "*"
    },
  ]

  user_statements = [
    {
      Sid       = "KeyUseByProjectPrincipals"
      Effect    = "Allow"
      Principal = { AWS = local.key_users }
      Action    = local.usage_actions
      Resource  = "*"
    },
    {
      Sid       = "GrantsForAwsResourcesOnly"
      Effect    = "Allow"
      Principal = { AWS = local.key_users }
      Action    = local.grant_actions
      Resource  = "*"
      Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
    },
  ]

  ecr_statements = [
    {
      Sid       = "EcrRepositoryEncryption"
      Effect    = "Allow"
      Principal = { AWS = local.account_root }
      Action    = ["kms:CreateGrant", "kms:DescribeKey"]
      Resource  = "*"
      Condition = {
        StringEquals = {
          "kms:ViaService"    = "ecr.${var.region}.amazonaws.com"
          "kms:CallerAccount" = var.account_id
        }
        Bool = { "kms:GrantIsForAWSResource" = "true" }
      }
    },
  ]

  logs_statements = [
    {
      Sid       = "CloudWatchLogsEncryption"
      Effect    = "Allow"
      Principal = { Service = "logs.${var.region}.amazonaws.com" }
      Action = [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ]
      Resource  = "*"
      Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = local.log_group_arns } }
    },
    {
      Sid    = "AlertPublishersToEncryptedTopic"
      Effect = "Allow"
      Principal = {
        Service = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]
      }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    },
    {
      Sid       = "S3ServerAccessLogDelivery"
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    },
  ]

  # Cross-region replication (modules/replication): S3, acting as the replication role, reads
  # the source objects of this key's bucket and so must decrypt them. Only through S3 in this
  # region, and only for that bucket: with the S3 Bucket Key on, the encryption context is the
  # bucket ARN, not the object ARN (Amazon S3 User Guide, "Replicating encrypted objects",
  # "S3 Bucket Keys and replication").
  replication_statements = {
    for purpose, bucket_arn in var.replication_source_bucket_arns : purpose => [
      {
        Sid       = "ReplicationRoleDecryptsSourceObjects"
        Effect    = "Allow"
        Principal = { AWS = var.replication_role_arn }
        Action    = "kms:Decrypt"
        Resource  = "*"
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${var.region}.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:aws:s3:arn" = [bucket_arn, "${bucket_arn}/*"] }
        }
      },
    ]
  }

  keys = {
    data = {
      description = "${var.name_prefix}: training data and SageMaker volumes"
      statements  = concat(local.common_statements, local.user_statements, lookup(local.replication_statements, "data", []))
    }
    artifacts = {
      description = "${var.name_prefix}: model artifacts, pipeline outputs and container images"
      statements  = concat(local.common_statements, local.user_statements, local.ecr_statements, lookup(local.replication_statements, "artifacts", []))
    }
    logs = {
      description = "${var.name_prefix}: log groups, alert topic and S3 access logs"
      statements  = concat(local.common_statements, local.logs_statements)
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.keys

  description             = each.value.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_days
  deletion_window_in_days = var.deletion_window_days
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = each.value.statements
  })
  tags = merge(var.tags, { Purpose = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = local.keys

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
