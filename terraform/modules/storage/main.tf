# The project's three buckets. Every bucket: SSE-KMS with a bucket key, versioning, all public
# access blocked, ACLs disabled (BucketOwnerEnforced), TLS-only, uploads that ask for another
# encryption or another key are denied, lifecycle clean-up of old versions and abandoned
# multipart uploads. Data and artifacts buckets log their access to the access-log bucket.

locals {
  bucket_names = {
    data        = "${var.name_prefix}-data-${var.account_id}"
    artifacts   = "${var.name_prefix}-artifacts-${var.account_id}"
    access_logs = "${var.name_prefix}-access-logs-${var.account_id}"
  }
  kms_key_arns = {
    data        = var.data_kms_key_arn
    artifacts   = var.artifacts_kms_key_arn
    access_logs = var.logs_kms_key_arn
  }
  logged_buckets = toset(["data", "artifacts"])
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is optional per environment (modules/replication, var.replication of the root module; on in prod).
  #checkov:skip=CKV2_AWS_62:Event notifications have no consumer in this platform; pipelines are started by the orchestrator.
  #checkov:skip=CKV_AWS_18:The access-log bucket cannot log to itself; the data and artifacts buckets log to it (aws_s3_bucket_logging.this).
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Purpose = each.key })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arns[each.key]
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

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

  dynamic "rule" {
    for_each = each.key == "access_logs" ? [var.access_log_retention_days] : []

    content {
      id     = "expire-access-logs"
      status = "Enabled"

      filter {}

      expiration {
        days = rule.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Object Lock in governance mode on the artifacts bucket: every new object version is retained
# for object_lock.retention_days; nobody can delete or overwrite a version before then unless
# they hold s3:BypassGovernanceRetention and send x-amz-bypass-governance-retention (no role of
# this stack has it). Delete markers are still allowed, so "deleting" an object stays an
# undoable delete marker and `orchestrator data restore` keeps working.
#
# Enabled through this resource (object_lock_enabled = "Enabled"), not aws_s3_bucket's
# object_lock_enabled: that argument forces a new bucket, i.e. the existing artifacts bucket
# would be destroyed and recreated. S3 accepts PutObjectLockConfiguration on an existing bucket
# whose versioning is Enabled (Amazon S3 API Reference, PutObjectLockConfiguration: "You can
# enable Object Lock for new or existing buckets"); it can never be disabled again.
resource "aws_s3_bucket_object_lock_configuration" "artifacts" {
  count = var.object_lock.enabled ? 1 : 0

  bucket              = aws_s3_bucket.this["artifacts"].bucket
  object_lock_enabled = "Enabled"

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.object_lock.retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.logged_buckets

  bucket        = aws_s3_bucket.this[each.key].bucket
  target_bucket = aws_s3_bucket.this["access_logs"].bucket
  target_prefix = "${each.key}/"

  target_object_key_format {
    partitioned_prefix {
      partition_date_source = "EventTime"
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = [each.value.arn, "${each.value.arn}/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
        {
          # Uploads without an encryption header get the bucket default (SSE-KMS with this
          # bucket's key); uploads that ask for anything else are refused.
          Sid       = "DenyOtherEncryption"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:PutObject"
          Resource  = "${each.value.arn}/*"
          Condition = {
            StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption" = "aws:kms" }
          }
        },
        {
          Sid       = "DenyOtherKmsKeys"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:PutObject"
          Resource  = "${each.value.arn}/*"
          Condition = {
            StringNotEqualsIfExists = {
              "s3:x-amz-server-side-encryption-aws-kms-key-id" = local.kms_key_arns[each.key]
            }
          }
        },
      ],
      each.key == "access_logs" ? [
        {
          Sid       = "S3ServerAccessLogDelivery"
          Effect    = "Allow"
          Principal = { Service = "logging.s3.amazonaws.com" }
          Action    = "s3:PutObject"
          Resource  = "${each.value.arn}/*"
          Condition = {
            StringEquals = { "aws:SourceAccount" = var.account_id }
            ArnLike = {
              "aws:SourceArn" = [for name in local.logged_buckets : aws_s3_bucket.this[name].arn]
            }
          }
        },
      ] : [],
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
