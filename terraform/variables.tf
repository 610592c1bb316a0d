variable "project" {
  type        = string
  description = "Project name: the first part of every resource name and the `project` tag the budget filters on."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "project must be 3-20 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (it becomes part of S3 bucket names)."
  }
}

variable "environment" {
  type        = string
  description = "Environment name; one state, one backend file and one variables file per environment."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the whole stack, e.g. eu-west-1."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-gov-west-1."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones of the private subnets (one subnet each, at least two). Pinned per environment so the subnets never move when AWS adds a zone."

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones, e.g. [\"eu-west-1a\", \"eu-west-1b\"]."
  }

  validation {
    condition     = alltrue([for zone in var.availability_zones : startswith(zone, var.region) && can(regex("^[a-z0-9-]+[a-z]$", zone))])
    error_message = "Every availability zone must belong to var.region: eu-west-1a, eu-west-1b, ... for region eu-west-1."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR of the VPC (/16 to /24); private subnets are carved from it."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-4])$", var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR block with a prefix length from /16 to /24, e.g. 10.20.0.0/16."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of every CloudWatch log group, in days. prod must keep at least a year."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }

  validation {
    condition     = var.environment != "prod" || var.log_retention_days >= 365
    error_message = "prod must keep logs at least 365 days; raise log_retention_days."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` remove non-empty buckets and the ECR repository with its images. Only for throw-away environments; refused for prod."

  validation {
    condition     = !(var.force_destroy && var.environment == "prod")
    error_message = "force_destroy must be false in prod: destroying the stack must never delete production data."
  }
}

variable "kms_deletion_window_days" {
  type        = number
  description = "Days between scheduling a KMS key deletion and the deletion (7-30)."

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days an overwritten or deleted S3 object version is kept before it expires: how far back `orchestrator data restore` can go. At least the recovery window docs/dr.md promises (7 days)."

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of days, at least 1."
  }

  # docs/dr.md, "Recovery window": data restore promises any point in time of the last 7 days
  # in every environment; a version expired sooner could not be restored. Mirrored by
  # orchestrator/settings/terraform.py (RECOVERY_WINDOW_DAYS); a test ties the three together.
  validation {
    condition     = var.noncurrent_version_retention_days >= 7
    error_message = "noncurrent_version_retention_days must be at least 7, the recovery window `orchestrator data restore` promises (docs/dr.md): an older version expired sooner could not be restored."
  }
}

variable "access_log_retention_days" {
  type        = number
  description = "Days S3 server access logs are kept in the access-log bucket."

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days, at least 1."
  }
}

variable "monthly_budget_usd" {
  type        = number
  description = "Monthly cost budget in US dollars for resources tagged project=<project> (activate `project` as a cost allocation tag in Billing)."

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be a positive amount of US dollars."
  }
}

variable "alert_email_addresses" {
  type        = list(string)
  description = "Addresses subscribed to alerts and budget notifications (each confirms its subscription by mail)."
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alert_email_addresses must be e-mail addresses such as ml-oncall@example.com."
  }
}

variable "alarm_thresholds" {
  type = object({
    endpoint_5xx_rate_percent  = number
    endpoint_4xx_rate_percent  = number
    model_latency_p99_ms       = number
    cpu_utilization_percent    = number
    memory_utilization_percent = number
  })
  description = "Endpoint alarm thresholds: 5XX and 4XX rates in percent of invocations, p99 model latency in milliseconds, CPU and memory utilisation in percent."

  validation {
    condition = alltrue([
      for value in [
        var.alarm_thresholds.endpoint_5xx_rate_percent,
        var.alarm_thresholds.endpoint_4xx_rate_percent,
        var.alarm_thresholds.cpu_utilization_percent,
        var.alarm_thresholds.memory_utilization_percent,
      ] : value > 0 && value <= 100
    ]) && var.alarm_thresholds.model_latency_p99_ms > 0
    error_message = "alarm_thresholds: percentages must be in (0, 100] and model_latency_p99_ms must be positive."
  }
}

variable "ecr_image_retention_count" {
  type        = number
  description = "How many images the ECR lifecycle policy keeps."

  validation {
    condition     = var.ecr_image_retention_count >= 1 && floor(var.ecr_image_retention_count) == var.ecr_image_retention_count
    error_message = "ecr_image_retention_count must be a whole number, at least 1."
  }
}

variable "orchestrator_principal_arns" {
  type        = list(string)
  description = "Existing IAM roles or users that run the orchestrator (CI, operators); the data and artifacts key policies name them, and only principals named there can use the keys. Attach the orchestrator_policy_arns to them too (or list them in orchestrator_role_names)."

  validation {
    condition     = length(var.orchestrator_principal_arns) > 0
    error_message = "orchestrator_principal_arns must name at least one IAM role or user (CI or an operator): the data and artifacts key policies grant key use only to the principals they name, so with none nobody could upload data to the SSE-KMS data bucket or run the orchestrator."
  }

  validation {
    condition     = alltrue([for arn in var.orchestrator_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "orchestrator_principal_arns must be IAM role or user ARNs such as arn:aws:iam::123456789012:role/ci-deployer."
  }
}

variable "orchestrator_role_names" {
  type        = list(string)
  description = "Names of existing IAM roles to which this stack attaches the orchestrator policy. Empty attaches nothing."
  default     = []

  validation {
    condition     = alltrue([for name in var.orchestrator_role_names : can(regex("^[\\w+=,.@-]{1,64}$", name))])
    error_message = "orchestrator_role_names must be IAM role names (1-64 characters of letters, digits and +=,.@_-), not ARNs."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Optional permissions boundary policy ARN for the roles this stack creates."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags on every resource (project, environment and ManagedBy are always set)."
  default     = {}
}

variable "endpoint_instance_type" {
  type        = string
  description = "Instance type of the endpoint (environment file: endpoint.instance_type); its vCPU count (local.instance_vcpus in main.tf) turns the endpoint's CPUUtilization, summed over vCPUs, into percent of the instance for the CPU alarm."

  validation {
    condition     = can(regex("^ml\\.[a-z0-9-]+\\.[a-z0-9]+$", var.endpoint_instance_type))
    error_message = "endpoint_instance_type must be a SageMaker instance type such as ml.m5.large."
  }
}

variable "sagemaker_peak_instance_count" {
  type        = number
  description = "Most SageMaker instances of this environment that can run at once in the VPC (a pipeline run, a blue/green endpoint update with both fleets up, a batch transform), rendered by the orchestrator. Each needs two private IPs in one subnet."

  validation {
    condition     = var.sagemaker_peak_instance_count >= 1 && floor(var.sagemaker_peak_instance_count) == var.sagemaker_peak_instance_count
    error_message = "sagemaker_peak_instance_count must be a whole number, at least 1."
  }

  # Worst case, SageMaker places every instance in one subnet. A subnet is the VPC prefix plus
  # 4 bits (modules/network subnet_newbits); AWS reserves 5 addresses in each (Amazon VPC User
  # Guide, "Subnet CIDR blocks"); each of the 8 interface endpoints takes one address per
  # subnet; SageMaker asks for at least two private IPs per instance in the VPC (SageMaker
  # developer guide, "Give SageMaker Training Jobs Access to Resources in Your Amazon VPC",
  # "Ensure That Subnets Have Enough IP Addresses").
  validation {
    condition     = 2 * var.sagemaker_peak_instance_count <= pow(2, 32 - (tonumber(split("/", var.vpc_cidr)[1]) + 4)) - 5 - 8
    error_message = "The private subnets are too small for sagemaker_peak_instance_count: each subnet (vpc_cidr prefix + 4 bits) must hold 2 IPs per instance after AWS's 5 reserved addresses and one per interface endpoint (8). Use a larger vpc_cidr or fewer instances."
  }
}

variable "create_autoscaling_service_linked_role" {
  type        = bool
  description = "Create the account's AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint. Only one can exist per account and creating an existing one fails: set false when it exists (another stack, or an endpoint was scaled before); the orchestrator may then create it on first use."
  default     = true
}

variable "manage_sagemaker_job_log_groups" {
  type        = bool
  description = "Manage the account-wide /aws/sagemaker/{Processing,Training,Transform}Jobs log groups (KMS, retention) in this stack. They are shared by every stack in the account and SageMaker creates them on first use, so only the one stack that owns the account's SageMaker logs sets true (import them if they exist)."
  default     = false
}

variable "account_id" {
  type        = string
  description = "The AWS account this environment's stack belongs to; the provider refuses credentials of any other account (allowed_account_ids). Null only for module tests without an environment."
  default     = null

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "promotion_reader_principal_arns" {
  type        = list(string)
  description = "The next environment's CI role(s) that may read this stack's Approved models to promote them (orchestrator promote --from-role-arn <promotion_reader_role_arn>). Empty: no reader role."
  default     = []
}

variable "replication" {
  type = object({
    enabled      = bool
    region       = optional(string)
    buckets      = optional(list(string), ["data", "artifacts"])
    time_control = optional(bool, false)
  })
  description = "Cross-region replication (modules/replication, docs/dr.md): every new object version and delete marker of the listed buckets (data, artifacts) is replicated to a replica bucket in `region`, encrypted with a key of that region; time_control adds S3 Replication Time Control (15-minute SLA, extra cost). Off by default; on in prod."
  default     = { enabled = false }

  validation {
    condition     = !var.replication.enabled || (var.replication.region != null && can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", coalesce(var.replication.region, "-"))))
    error_message = "replication.region must be an AWS region code such as eu-central-1 when replication.enabled is true."
  }

  validation {
    condition     = !var.replication.enabled || var.replication.region != var.region
    error_message = "replication.region must differ from region: a replica in the same region does not survive the loss of that region."
  }

  validation {
    condition     = length(var.replication.buckets) > 0 && length(distinct(var.replication.buckets)) == length(var.replication.buckets) && alltrue([for bucket in var.replication.buckets : contains(["data", "artifacts"], bucket)])
    error_message = "replication.buckets must list data and/or artifacts, each once (the access-log bucket is not replicated)."
  }
}

variable "object_lock" {
  type = object({
    enabled        = bool
    retention_days = optional(number, 30)
  })
  description = "S3 Object Lock in governance mode on the model artifacts bucket: every new object version is kept at least retention_days (delete markers stay possible). One-way: S3 never disables Object Lock on a bucket again (docs/dr.md). Off by default; on in prod."
  default     = { enabled = false }

  validation {
    condition     = var.object_lock.retention_days >= 1 && var.object_lock.retention_days <= 36500 && floor(var.object_lock.retention_days) == var.object_lock.retention_days
    error_message = "object_lock.retention_days must be a whole number of days from 1 to 36500."
  }

  validation {
    condition     = !(var.object_lock.enabled && var.force_destroy)
    error_message = "object_lock and force_destroy exclude each other: a destroy cannot delete locked versions without bypassing governance mode, which no role of this stack may do."
  }
}

variable "backup" {
  type = object({
    enabled           = bool
    schedule          = optional(string, "cron(0 3 * * ? *)")
    retention_days    = optional(number, 35)
    state_bucket_name = optional(string)
  })
  description = "AWS Backup of the Terraform state bucket (modules/backup): a vault with its own key, a plan on `schedule` (UTC cron) keeping recovery points retention_days. state_bucket_name defaults to orchestrator bootstrap's <project>-<environment>-tfstate-<account>. Off by default."
  default     = { enabled = false }

  validation {
    condition     = can(regex("^cron\\([^)]+\\)$", var.backup.schedule))
    error_message = "backup.schedule must be a cron(...) expression, e.g. cron(0 3 * * ? *)."
  }

  validation {
    condition     = var.backup.retention_days >= 1 && floor(var.backup.retention_days) == var.backup.retention_days
    error_message = "backup.retention_days must be a whole number of days, at least 1."
  }

  validation {
    condition     = var.backup.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.backup.state_bucket_name, "-")))
    error_message = "backup.state_bucket_name must be null (bootstrap's name) or an S3 bucket name."
  }
}
