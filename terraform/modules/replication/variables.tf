variable "name_prefix" {
  type        = string
  description = "Prefix of the replica bucket names and the role, usually <project>-<environment>; `-<purpose>-replica-<account>` is appended."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 lowercase letters, digits or hyphens so that <prefix>-artifacts-replica-<account> stays within S3's 63 characters."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account id of the source and replica buckets (same-account replication)."

  validation {
    condition     = length(var.account_id) > 0
    error_message = "account_id must be the account's id (12 digits)."
  }
}

variable "partition" {
  type        = string
  description = "AWS partition (aws, aws-cn, aws-us-gov) used to build ARNs."
  default     = "aws"

  validation {
    condition     = length(var.partition) > 0 && !strcontains(var.partition, ":")
    error_message = "partition must be a partition name such as aws, aws-cn or aws-us-gov."
  }
}

variable "source_region" {
  type        = string
  description = "Region of the source buckets (the default aws provider's region); names the S3 service in the source keys' kms:ViaService condition."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.source_region))
    error_message = "source_region must be an AWS region code such as eu-west-1."
  }
}

variable "replica_region" {
  type        = string
  description = "Region of the replica key and buckets (the aws.replica provider's region). Must differ from source_region: a replica in the same region does not survive the loss of that region."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.replica_region))
    error_message = "replica_region must be an AWS region code such as eu-central-1."
  }

  validation {
    condition     = var.replica_region != var.source_region
    error_message = "replica_region must differ from source_region: cross-region replication protects against the loss of a region."
  }
}

variable "source_bucket_names" {
  type        = map(string)
  description = "The buckets to replicate by purpose (data, artifacts) => name. Their versioning must already be Enabled: pass the storage module's versioned_bucket_names."

  validation {
    condition     = length(var.source_bucket_names) > 0 && alltrue([for purpose in keys(var.source_bucket_names) : contains(["data", "artifacts"], purpose)])
    error_message = "source_bucket_names must name at least one of data, artifacts."
  }
}

variable "source_kms_key_arns" {
  type        = map(string)
  description = "By purpose, the KMS key the source bucket's objects are encrypted with (the replication role decrypts them through S3). A separate map from the names so the role's trust policy does not wait for the keys, whose policies name the role."

  validation {
    condition     = alltrue([for purpose in keys(var.source_bucket_names) : contains(keys(var.source_kms_key_arns), purpose)])
    error_message = "source_kms_key_arns must name the key of every bucket in source_bucket_names."
  }
}

variable "object_lock" {
  type = object({
    enabled        = bool
    retention_days = optional(number, 30)
  })
  description = "The source artifacts bucket's Object Lock. S3 replicates locked objects only to a destination with Object Lock enabled, so the artifacts replica gets the same governance-mode default retention, and the role may read the source's retention and legal hold."
  default     = { enabled = false }

  validation {
    condition     = var.object_lock.retention_days >= 1 && var.object_lock.retention_days <= 36500 && floor(var.object_lock.retention_days) == var.object_lock.retention_days
    error_message = "object_lock.retention_days must be a whole number of days from 1 to 36500."
  }
}

variable "time_control" {
  type        = bool
  description = "S3 Replication Time Control: S3 replicates 99.99% of new objects within 15 minutes (its SLA) and publishes replication metrics with a 15-minute threshold; costs extra per GB. Off: most objects replicate within minutes, without a guarantee."
  default     = false

  validation {
    condition     = var.time_control == true || var.time_control == false
    error_message = "time_control must be true or false."
  }
}

variable "key_user_arns" {
  type        = list(string)
  description = "Principals that may read the replica buckets and use the replica key (their bucket and key policies name them): the orchestrator's principals, which read the replicas in a recovery (orchestrator restore --artifacts-map, data copies)."
  default     = []

  validation {
    condition     = alltrue([for arn in var.key_user_arns : can(regex("^arn:[^:]+:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "key_user_arns must be IAM role or user ARNs."
  }
}

variable "key_administration_actions" {
  type        = list(string)
  description = "KMS actions the account root may perform on the replica key (administration only, never use): modules/kms's key_administration_actions output, so every key of the stack is administered alike."

  validation {
    condition     = length(var.key_administration_actions) > 0 && alltrue([for action in var.key_administration_actions : startswith(action, "kms:") && action != "kms:*"])
    error_message = "key_administration_actions must list kms: actions, never kms:*."
  }
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days a noncurrent replica version is kept before it expires (the source buckets' value, so the replica reaches back as far)."

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of days, at least 1."
  }
}

variable "incomplete_upload_days" {
  type        = number
  description = "Days after which an unfinished multipart upload into a replica bucket is aborted."
  default     = 7

  validation {
    condition     = var.incomplete_upload_days >= 1 && floor(var.incomplete_upload_days) == var.incomplete_upload_days
    error_message = "incomplete_upload_days must be a whole number of days, at least 1."
  }
}

variable "deletion_window_days" {
  type        = number
  description = "Waiting period before a scheduled deletion of the replica key completes."
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30
    error_message = "deletion_window_days must be between 7 and 30 (the range KMS accepts)."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete non-empty replica buckets (the source buckets' setting)."
  default     = false
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Optional permissions boundary of the replication role."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
