variable "name_prefix" {
  type        = string
  description = "Prefix of resource names and Name tags, usually <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account id, used in ARNs and the flow-log role's source-account condition."
}

variable "partition" {
  type        = string
  description = "AWS partition (aws, aws-cn, aws-us-gov) used to build ARNs."
}

variable "region" {
  type        = string
  description = "Region of the VPC; names the endpoint services (com.amazonaws.<region>.<service>)."
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR of the VPC, between /16 and /24."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block such as 10.20.0.0/16, with a prefix length between 16 and 24."
  }
}

variable "subnet_newbits" {
  type        = number
  description = "Bits added to the VPC prefix for each private subnet (a /16 VPC with 4 gives /20 subnets)."
  default     = 4

  validation {
    condition     = var.subnet_newbits >= 1 && var.subnet_newbits <= 8
    error_message = "subnet_newbits must be between 1 and 8."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones for the private subnets, one subnet each; at least two for resilient endpoints."

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones, e.g. [\"eu-west-1a\", \"eu-west-1b\"]."
  }
}

variable "interface_endpoint_services" {
  type        = list(string)
  description = "Service suffixes that get an interface endpoint with private DNS (com.amazonaws.<region>.<suffix>)."
  default     = ["sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr", "kms", "monitoring"]

  validation {
    condition     = alltrue([for service in var.interface_endpoint_services : can(regex("^[a-z0-9.-]+$", service))])
    error_message = "interface_endpoint_services entries are service suffixes such as \"sagemaker.api\" or \"ecr.dkr\"."
  }
}

variable "s3_bucket_arns" {
  type        = list(string)
  description = "Buckets reachable through the S3 gateway endpoint (the project's buckets)."
}

variable "flow_log_group_name" {
  type        = string
  description = "Name of the CloudWatch log group that receives the VPC flow logs."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the flow-log group in days (a value CloudWatch Logs accepts)."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "logs_kms_key_arn" {
  type        = string
  description = "KMS key ARN that encrypts the flow-log group."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
