variable "name_prefix" {
  type        = string
  description = "Prefix of the bucket names, usually <project>-<environment>; the account id is appended for global uniqueness."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,34}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-36 lowercase letters, digits or hyphens so that bucket names stay within 63 characters."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account id, appended to bucket names and used in the access-log delivery condition."
}

variable "data_kms_key_arn" {
  type        = string
  description = "KMS key ARN for the data bucket."
}

variable "artifacts_kms_key_arn" {
  type        = string
  description = "KMS key ARN for the artifacts bucket."
}

variable "logs_kms_key_arn" {
  type        = string
  description = "KMS key ARN for the access-log bucket (its key policy must allow logging.s3.amazonaws.com)."
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete non-empty buckets. Keep false wherever the data matters (staging, prod)."
  default     = false
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days a noncurrent object version is kept before it expires."
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of days, at least 1."
  }
}

variable "object_lock" {
  type = object({
    enabled        = bool
    retention_days = optional(number, 30)
  })
  description = "S3 Object Lock on the artifacts bucket: governance mode, every new object version retained retention_days. Cannot be turned off once applied."
  default     = { enabled = false }

  validation {
    condition     = var.object_lock.retention_days >= 1 && var.object_lock.retention_days <= 36500 && floor(var.object_lock.retention_days) == var.object_lock.retention_days
    error_message = "object_lock.retention_days must be a whole number of days from 1 to 36500."
  }

  validation {
    condition     = !(var.object_lock.enabled && var.force_destroy)
    error_message = "object_lock and force_destroy exclude each other: locked versions cannot be deleted by a destroy without bypassing governance mode."
  }
}

variable "incomplete_upload_days" {
  type        = number
  description = "Days after which an unfinished multipart upload is aborted."
  default     = 7

  validation {
    condition     = var.incomplete_upload_days >= 1 && floor(var.incomplete_upload_days) == var.incomplete_upload_days
    error_message = "incomplete_upload_days must be a whole number of days, at least 1."
  }
}

variable "access_log_retention_days" {
  type        = number
  description = "Days S3 access logs are kept."
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days, at least 1."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every bucket."
  default     = {}
}
