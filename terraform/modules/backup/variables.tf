variable "name_prefix" {
  type        = string
  description = "Prefix of the vault, plan, role and key alias names, usually <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account id: the key's root principal and the source-account conditions."

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

variable "region" {
  type        = string
  description = "Region of the vault and the backed-up buckets; names AWS Backup in the vault key's kms:ViaService condition."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "bucket_names" {
  type        = list(string)
  description = "S3 buckets AWS Backup protects, e.g. the Terraform state bucket (<project>-<env>-tfstate-<account>, created by orchestrator bootstrap). AWS Backup backs up only buckets whose versioning is Enabled."

  validation {
    condition     = length(var.bucket_names) > 0 && alltrue([for name in var.bucket_names : length(name) >= 3 && length(name) <= 63 && !strcontains(name, "/") && !strcontains(name, ":")])
    error_message = "bucket_names must list at least one S3 bucket name (3-63 characters; a name, not an ARN or s3:// URI)."
  }
}

variable "schedule" {
  type        = string
  description = "When the plan backs up: an AWS Backup cron expression in UTC, e.g. cron(0 3 * * ? *) for 03:00 daily."
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^cron\\([^)]+\\)$", var.schedule))
    error_message = "schedule must be a cron(...) expression, e.g. cron(0 3 * * ? *)."
  }
}

variable "retention_days" {
  type        = number
  description = "Days each recovery point is kept before AWS Backup deletes it."
  default     = 35

  validation {
    condition     = var.retention_days >= 1 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days, at least 1."
  }
}

variable "key_administration_actions" {
  type        = list(string)
  description = "KMS actions the account root may perform on the vault key (administration only, never use): modules/kms's key_administration_actions output."

  validation {
    condition     = length(var.key_administration_actions) > 0 && alltrue([for action in var.key_administration_actions : startswith(action, "kms:") && action != "kms:*"])
    error_message = "key_administration_actions must list kms: actions, never kms:*."
  }
}

variable "deletion_window_days" {
  type        = number
  description = "Waiting period before a scheduled deletion of the vault key completes."
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30
    error_message = "deletion_window_days must be between 7 and 30 (the range KMS accepts)."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Optional permissions boundary of the backup service role."
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
