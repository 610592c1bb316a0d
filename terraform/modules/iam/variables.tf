variable "name_prefix" {
  type        = string
  description = "Prefix of role and policy names, usually <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits or hyphens (role names allow 64 characters)."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account id, used in ARNs and the trust policy's source-account condition."
}

variable "partition" {
  type        = string
  description = "AWS partition (aws, aws-cn, aws-us-gov) used to build ARNs."
}

variable "region" {
  type        = string
  description = "Region of the SageMaker resources named in the policies."
}

variable "data_bucket_arn" {
  type        = string
  description = "ARN of the data bucket (read by jobs, written by the orchestrator)."
}

variable "artifacts_bucket_arn" {
  type        = string
  description = "ARN of the artifacts bucket (written by jobs, read by the orchestrator)."
}

variable "data_kms_key_arn" {
  type        = string
  description = "ARN of the data key; also the required volume key of jobs and endpoint configs."
}

variable "artifacts_kms_key_arn" {
  type        = string
  description = "ARN of the artifacts key; also the required output key of jobs."
}

variable "job_log_group_arns" {
  type        = list(string)
  description = "ARNs of the log groups processing and training jobs write to (without the trailing :*)."
}

variable "serving_log_group_arns" {
  type        = list(string)
  description = "ARNs of the log groups the endpoint and batch transform jobs write to (without the trailing :*)."
}

variable "create_autoscaling_service_linked_role" {
  type        = bool
  description = "Create AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint (one per account; false when it already exists, then the orchestrator may create it on first use)."
  default     = true
}

variable "ecr_repository_arn" {
  type        = string
  description = "ARN of the project's ECR repository, the only image source of the execution role."
}

variable "model_package_group_name" {
  type        = string
  description = "Model package group the pipeline registers into and the orchestrator approves in."
}

variable "pipeline_name" {
  type        = string
  description = "Name of the SageMaker pipeline the orchestrator may create and run."
}

variable "endpoint_name" {
  type        = string
  description = "Name of the SageMaker endpoint the orchestrator may manage; endpoint configs and models must start with <endpoint_name>-."
}

variable "vpc_arn" {
  type        = string
  description = "ARN of the project VPC; network interfaces may only be managed inside it."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnet IDs jobs and models must use (sagemaker:VpcSubnets condition)."
}

variable "subnet_arns" {
  type        = list(string)
  description = "Private subnet ARNs in which the execution role may create network interfaces."
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security group IDs jobs and models must use (sagemaker:VpcSecurityGroupIds condition)."
}

variable "security_group_arns" {
  type        = list(string)
  description = "Security group ARNs the execution role may attach to network interfaces."
}

variable "orchestrator_role_names" {
  type        = list(string)
  description = "Existing IAM role names (CI, operators) to attach the three orchestrator policies and the image publisher policy to. Empty attaches nothing."
  default     = []
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Optional permissions boundary for the three roles, for organisations that require one."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every role and policy."
  default     = {}
}
