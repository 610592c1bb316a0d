variable "name_prefix" {
  type        = string
  description = "Prefix for aliases and descriptions, usually <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account id that owns the keys; used for the root principal and source-account conditions."
}

variable "partition" {
  type        = string
  description = "AWS partition (aws, aws-cn, aws-us-gov) used to build ARNs."
}

variable "region" {
  type        = string
  description = "Region of the keys; names the regional service principals (logs, ECR via-service)."
}

variable "sagemaker_role_arns" {
  type        = list(string)
  description = "Roles that encrypt and decrypt with the data and artifacts keys: the SageMaker jobs, serving and pipeline roles."
}

variable "orchestrator_principal_arns" {
  type        = list(string)
  description = "IAM principals (CI or operator roles) that run the orchestrator and read/write the data and artifacts buckets."
  default     = []

  validation {
    condition     = alltrue([for arn in var.orchestrator_principal_arns : can(regex("^arn:[^:]+:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "orchestrator_principal_arns must be IAM role or user ARNs with a 12-digit account id."
  }
}

variable "key_administrator_arns" {
  type        = list(string)
  description = "Principals allowed to administer (never use) the keys. Empty means the account root, which delegates to IAM."
  default     = []
}

variable "log_group_names" {
  type        = list(string)
  description = "CloudWatch log group names that may use the logs key (checked through the encryption context)."
}

variable "replication_role_arn" {
  type        = string
  description = "The S3 replication role (modules/replication); null when the buckets are not replicated. Named in the data and artifacts key policies for kms:Decrypt through S3 on the replicated buckets only."
  default     = null

  validation {
    condition     = var.replication_role_arn == null || trimspace(coalesce(var.replication_role_arn, "-")) != ""
    error_message = "replication_role_arn must be null or the replication role's ARN, not empty."
  }
}

variable "replication_source_bucket_arns" {
  type        = map(string)
  description = "Replicated buckets by key purpose (data, artifacts) => bucket ARN; their objects may be decrypted by replication_role_arn. Empty without replication."
  default     = {}

  validation {
    condition     = alltrue([for purpose in keys(var.replication_source_bucket_arns) : contains(["data", "artifacts"], purpose)])
    error_message = "replication_source_bucket_arns keys must be data or artifacts (the keys whose buckets can be replicated)."
  }

  validation {
    condition     = length(var.replication_source_bucket_arns) == 0 || var.replication_role_arn != null
    error_message = "replication_source_bucket_arns needs replication_role_arn: the role that decrypts their objects."
  }
}

variable "deletion_window_days" {
  type        = number
  description = "Waiting period before a scheduled key deletion completes."
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30
    error_message = "deletion_window_days must be between 7 and 30 (the range KMS accepts)."
  }
}

variable "rotation_period_days" {
  type        = number
  description = "Automatic key rotation period."
  default     = 365

  validation {
    condition     = var.rotation_period_days >= 90 && var.rotation_period_days <= 2560
    error_message = "rotation_period_days must be between 90 and 2560 (the range KMS accepts)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every key."
  default     = {}
}
