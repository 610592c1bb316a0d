variable "model_package_group_name" {
  type        = string
  description = "Name of the SageMaker model package group."

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "ecr_repository_name" {
  type        = string
  description = "Name of the ECR repository for the project's container image."

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.ecr_repository_name)) && length(var.ecr_repository_name) <= 256
    error_message = "ecr_repository_name must be lowercase letters, digits and . _ - / separators (ECR naming rules)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key ARN that encrypts the ECR repository."
}

variable "force_delete" {
  type        = bool
  description = "Let `terraform destroy` delete the repository while it still holds images."
  default     = false
}

variable "image_retention_count" {
  type        = number
  description = "How many images the lifecycle policy keeps."
  default     = 50

  validation {
    condition     = var.image_retention_count >= 1 && floor(var.image_retention_count) == var.image_retention_count
    error_message = "image_retention_count must be a whole number, at least 1."
  }
}

variable "untagged_image_days" {
  type        = number
  description = "Days after which untagged images are expired."
  default     = 7

  validation {
    condition     = var.untagged_image_days >= 1 && floor(var.untagged_image_days) == var.untagged_image_days
    error_message = "untagged_image_days must be a whole number of days, at least 1."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}

variable "protection_tag_prefix" {
  type        = string
  description = "Image tag prefix the orchestrator adds to images still referenced (keep-sha256-<digest>); the lifecycle policy never expires them. Must match orchestrator/images/repository.py."
  default     = "keep-"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,50}$", var.protection_tag_prefix))
    error_message = "protection_tag_prefix must be the start of a valid image tag (letters, digits, '_', '.', '-')."
  }
}
