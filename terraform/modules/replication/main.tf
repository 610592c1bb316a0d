# Cross-region replication of the project's buckets (docs/dr.md): each source bucket replicates
# every new object version and delete marker to a replica bucket in var.replica_region,
# re-encrypted there with a key of that region.
#
# The replica key is a separate single-region key in the replica region, not a multi-region
# replica of the source keys: the stack's data and artifacts keys are single-region, and a key
# cannot become multi-region afterwards (a new multi-region key would mean re-encrypting every
# object), while S3 treats a multi-region key like a single-region one anyway (Amazon S3 User
# Guide, "Replicating encrypted objects": "Amazon S3 currently treats multi-Region keys as
# though they were single-Region keys"). A key of its own also keeps the replica readable when
# the source region, and with it the source keys, are unavailable, and its policy is separate.
#
# Replication role: the least-privilege policy of the Amazon S3 User Guide, "Replicating
# encrypted objects (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)", "Granting additional permissions for
# the IAM role" and its complete example policy (s3:GetObjectVersionForReplication rather than
# s3:GetObjectVersion; kms:Decrypt on the source keys and kms:Encrypt on the replica key, each
# through S3 of its region and for its bucket only), plus what delete-marker replication needs
# (s3:ReplicateDelete), tags (s3:GetObjectVersionTagging, s3:ReplicateTags) and, with Object
# Lock, s3:GetObjectRetention and s3:GetObjectLegalHold ("Object Lock considerations", "Using
# Object Lock with S3 Replication"). Both buckets use the S3 Bucket Key, so the encryption
# context is the bucket ARN ("S3 Bucket Keys and replication"), and the replica key's policy
# also grants the role kms:Decrypt, which S3 calls to verify the Bucket Key, and
# kms:GenerateDataKey, with which a replica bucket's S3 Bucket Key is made (AWS KMS's data-key
# call for SSE-KMS writes; beyond the guide's example, which predates Bucket Keys).

locals {
  replica_names = {
    for purpose in keys(var.source_bucket_names) : purpose => "${var.name_prefix}-${purpose}-replica-${var.account_id}"
  }
  replica_arns = {
    for purpose, name in local.replica_names : purpose => "arn:${var.partition}:s3:::${name}"
  }
  source_arns = {
    for purpose, name in var.source_bucket_names : purpose => "arn:${var.partition}:s3:::${name}"
  }
  locked       = { for purpose in keys(var.source_bucket_names) : purpose => purpose == "artifacts" && var.object_lock.enabled }
  account_root = "arn:${var.partition}:iam::${var.account_id}:root"
}

# -- replica key (replica region) --------------------------------------------------------------
resource "aws_kms_key" "replica" {
  provider = aws.replica

  description             = "${var.name_prefix}: replicas of the ${join(" and ", sort(keys(var.source_bucket_names)))} buckets"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "KeyAdministration"
          Effect    = "Allow"
          Principal = { AWS = local.account_root }
          Action    = var.key_administration_actions
          Resource  = "*"
        },
        {
          Sid       = "ReplicationRoleEncryptsReplicas"
          Effect    = "Allow"
          Principal = { AWS = aws_iam_role.replication.arn }
          Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
          Resource  = "*"
          Condition = {
            StringEquals = { "kms:ViaService" = "s3.${var.replica_region}.amazonaws.com" }
            StringLike = {
              "kms:EncryptionContext:aws:s3:arn" = flatten([for arn in values(local.replica_arns) : [arn, "${arn}/*"]])
            }
          }
        },
      ],
      length(var.key_user_arns) == 0 ? [] : [
        {
          # Read-only like the replicas' bucket policy: decrypt, never encrypt.
          Sid       = "KeyUseForRecovery"
          Effect    = "Allow"
          Principal = { AWS = var.key_user_arns }
          Action    = ["kms:Decrypt", "kms:DescribeKey"]
          Resource  = "*"
        },
      ],
    )
  })
  tags = merge(var.tags, { Purpose = "replica" })
}

resource "aws_kms_alias" "replica" {
  provider = aws.replica

  name          = "alias/${var.name_prefix}-replica"
  target_key_id = aws_kms_key.replica.key_id
}

# -- replica buckets (replica region) ----------------------------------------------------------
resource "aws_s3_bucket" "replica" {
  #checkov:skip=CKV_AWS_144:This is the replica; replicating it again would add a third copy without a further region to protect against.
  #checkov:skip=CKV2_AWS_62:Event notifications have no consumer; the replica is read only in a recovery.
  #checkov:skip=CKV_AWS_18:S3 delivers access logs only to a bucket in the same region; the source buckets' accesses are logged, and replication writes here as S3 itself.
  provider = aws.replica
  for_each = local.replica_names

  bucket = each.value
  # A new bucket: Object Lock is enabled at creation where the source has it.
  object_lock_enabled = local.locked[each.key]
  force_destroy       = var.force_destroy
  tags                = merge(var.tags, { Purpose = "${each.key}-replica" })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "replica" {
  provider = aws.replica
  for_each = aws_s3_bucket.replica

  bucket = each.value.bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.replica.arn
    }
    bucket_key_enabled = true
  }
}

# Replication needs versioning on the destination as well as on the source.
resource "aws_s3_bucket_versioning" "replica" {
  provider = aws.replica
  for_each = aws_s3_bucket.replica

  bucket = each.value.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "replica" {
  provider = aws.replica
  for_each = { for purpose, bucket in aws_s3_bucket.replica : purpose => bucket if local.locked[purpose] }

  bucket              = each.value.bucket
  object_lock_enabled = "Enabled"

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.object_lock.retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.replica]
}

resource "aws_s3_bucket_public_access_block" "replica" {
  provider = aws.replica
  for_each = aws_s3_bucket.replica

  bucket                  = each.value.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "replica" {
  provider = aws.replica
  for_each = aws_s3_bucket.replica

  bucket = each.value.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "replica" {
  provider = aws.replica
  for_each = aws_s3_bucket.replica

  bucket = each.value.bucket

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.incomplete_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.replica]
}

# Same-account access needs an Allow in either the identity or the resource policy: the
# orchestrator's principals read the replicas through this policy (and the replica key's),
# without any IAM grant, and nobody but S3 replication writes them.
resource "aws_s3_bucket_policy" "replica" {
  provider = aws.replica
  for_each = aws_s3_bucket.replica

  bucket = each.value.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(length(var.key_user_arns) == 0 ? [] : [
      {
        Sid       = "RecoveryListsReplicas"
        Effect    = "Allow"
        Principal = { AWS = var.key_user_arns }
        Action    = ["s3:GetBucketVersioning", "s3:ListBucket", "s3:ListBucketVersions"]
        Resource  = each.value.arn
      },
      {
        Sid       = "RecoveryReadsReplicas"
        Effect    = "Allow"
        Principal = { AWS = var.key_user_arns }
        Action    = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource  = "${each.value.arn}/*"
      },
      ], [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [each.value.arn, "${each.value.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # Replication writes with s3:ReplicateObject and the replica key; a direct upload (a
        # restore copying back) must use the replica key too.
        Sid       = "DenyOtherKmsKeys"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${each.value.arn}/*"
        Condition = {
          StringNotEqualsIfExists = {
            "s3:x-amz-server-side-encryption-aws-kms-key-id" = aws_kms_key.replica.arn
          }
        }
      },
    ])
  })

  depends_on = [aws_s3_bucket_public_access_block.replica]
}

# -- replication role (IAM is global) ----------------------------------------------------------
resource "aws_iam_role" "replication" {
  name                 = "${var.name_prefix}-s3-replication"
  description          = "S3 cross-region replication of ${join(", ", sort(keys(var.source_bucket_names)))} to ${var.replica_region}"
  permissions_boundary = var.permissions_boundary_arn
  # The trust policy AWS documents for replication roles (Amazon S3 User Guide, "Setting up
  # permissions", "Creating an IAM role"): S3 as the service principal, no condition keys,
  # because AWS documents none that S3 sets when it assumes the role for replication (a
  # condition S3 does not send would stop replication without an error at apply).
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "S3Replicates"
        Effect    = "Allow"
        Principal = { Service = "s3.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "replication" {
  name = "replicate"
  role = aws_iam_role.replication.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ReadReplicationConfiguration"
          Effect   = "Allow"
          Action   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
          Resource = values(local.source_arns)
        },
        {
          Sid      = "ReadSourceVersions"
          Effect   = "Allow"
          Action   = ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"]
          Resource = [for arn in values(local.source_arns) : "${arn}/*"]
        },
        {
          Sid      = "WriteReplicas"
          Effect   = "Allow"
          Action   = ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"]
          Resource = [for arn in values(local.replica_arns) : "${arn}/*"]
        },
        {
          Sid      = "DecryptSourceObjects"
          Effect   = "Allow"
          Action   = "kms:Decrypt"
          Resource = distinct([for purpose in keys(var.source_bucket_names) : var.source_kms_key_arns[purpose]])
          Condition = {
            StringEquals = { "kms:ViaService" = "s3.${var.source_region}.amazonaws.com" }
            StringLike = {
              "kms:EncryptionContext:aws:s3:arn" = flatten([for arn in values(local.source_arns) : [arn, "${arn}/*"]])
            }
          }
        },
        {
          Sid      = "EncryptReplicas"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
          Resource = aws_kms_key.replica.arn
          Condition = {
            StringEquals = { "kms:ViaService" = "s3.${var.replica_region}.amazonaws.com" }
            StringLike = {
              "kms:EncryptionContext:aws:s3:arn" = flatten([for arn in values(local.replica_arns) : [arn, "${arn}/*"]])
            }
          }
        },
      ],
      anytrue(values(local.locked)) ? [
        {
          Sid      = "ReadSourceObjectLock"
          Effect   = "Allow"
          Action   = ["s3:GetObjectLegalHold", "s3:GetObjectRetention"]
          Resource = [for purpose, arn in local.source_arns : "${arn}/*" if local.locked[purpose]]
        },
      ] : [],
    )
  })
}

# -- replication configuration (source region) -------------------------------------------------
resource "aws_s3_bucket_replication_configuration" "this" {
  for_each = var.source_bucket_names

  bucket = each.value
  role   = aws_iam_role.replication.arn

  rule {
    id       = "replicate-everything-to-${var.replica_region}"
    status   = "Enabled"
    priority = 1 # the only rule; explicit, as S3 reports one for filter-based (V2) rules

    # An empty filter selects every object; with a filter (the V2 schema) S3 requires an
    # explicit delete_marker_replication.
    filter {}

    # A delete marker in the source (the orchestrator's deletes, data restore) reaches the
    # replica, so both answer alike; deleting a specific version is never replicated, so a
    # version erased in the source survives in the replica.
    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = aws_s3_bucket.replica[each.key].arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = aws_kms_key.replica.arn
      }

      # Replication Time Control needs replication metrics with the same 15-minute threshold
      # (Amazon S3 User Guide, "Meeting compliance requirements with S3 Replication Time
      # Control").
      dynamic "replication_time" {
        for_each = var.time_control ? [15] : []

        content {
          status = "Enabled"

          time {
            minutes = replication_time.value
          }
        }
      }

      dynamic "metrics" {
        for_each = var.time_control ? [15] : []

        content {
          status = "Enabled"

          event_threshold {
            minutes = metrics.value
          }
        }
      }
    }
  }

  depends_on = [
    aws_s3_bucket_versioning.replica,
    aws_s3_bucket_object_lock_configuration.replica,
    aws_iam_role_policy.replication,
  ]
}
