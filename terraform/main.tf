# Composes the modules into one environment of the ML platform. Names are derived once here
# (name_prefix, pipeline, endpoint, log groups) and handed to every module, so the IAM policies,
# alarms and outputs can never disagree about what they refer to.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name_prefix              = "${var.project}-${var.environment}"
  account_id               = data.aws_caller_identity.current.account_id
  partition                = data.aws_partition.current.partition
  pipeline_name            = "${local.name_prefix}-training"
  endpoint_name            = "${local.name_prefix}-endpoint"
  model_package_group_name = "${local.name_prefix}-models"
  ecr_repository_name      = "${var.project}/${var.environment}/ml-containers"

  # Lower-case `project` and `environment`: the keys the orchestrator sets on every SageMaker
  # resource it creates (jobs, models, endpoint configs, endpoints, transform jobs, the
  # pipeline), so one cost allocation tag (`project`) covers the whole bill and the budget
  # filters on it. IAM tag keys are case-insensitive, so `Project` and `project` cannot both
  # be set on the roles.
  tags = merge(var.tags, {
    project     = var.project
    environment = var.environment
    ManagedBy   = "terraform"
  })

  # SageMaker writes job logs to fixed, account-wide group names (shared by every stack in the
  # account, and created by SageMaker on a job's first run); the endpoint's group is per
  # endpoint and therefore this stack's own. The account-wide ones are managed here only when
  # manage_sagemaker_job_log_groups says this stack owns them.
  job_log_group_names = {
    processing_jobs = "/aws/sagemaker/ProcessingJobs"
    training_jobs   = "/aws/sagemaker/TrainingJobs"
  }
  serving_log_group_names = {
    transform_jobs = "/aws/sagemaker/TransformJobs"
    endpoint       = "/aws/sagemaker/Endpoints/${local.endpoint_name}"
  }
  account_wide_log_group_names = ["processing_jobs", "training_jobs", "transform_jobs"]
  sagemaker_log_group_names    = merge(local.job_log_group_names, local.serving_log_group_names)
  own_log_group_names = merge(
    { for purpose, name in local.sagemaker_log_group_names : purpose => name if var.manage_sagemaker_job_log_groups || !contains(local.account_wide_log_group_names, purpose) },
    { orchestrator = "/mlops/${local.name_prefix}/orchestrator" },
  )
  flow_log_group_name = "/mlops/${local.name_prefix}/vpc-flow-logs"
  all_log_group_names = merge(local.sagemaker_log_group_names, {
    orchestrator  = "/mlops/${local.name_prefix}/orchestrator"
    vpc_flow_logs = local.flow_log_group_name
  })
  log_group_arn_prefix = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:"

  # vCPUs per instance type, for the CPU alarm: SageMaker reports an endpoint's CPUUtilization
  # as the sum over its vCPUs (0-400% on 4 vCPUs; SageMaker developer guide, "Monitor Amazon
  # SageMaker with Amazon CloudWatch", endpoint instance metrics). An ml.* instance has the
  # vCPUs of its EC2 counterpart (Amazon EC2 User Guide / "Amazon EC2 instance types":
  # m5, m6i, r5, c6i: large 2, xlarge 4, 2xlarge 8, 4xlarge 16, 8xlarge 32, 12xlarge 48,
  # 16xlarge 64, 24xlarge 96; c5: 9xlarge 36, 18xlarge 72; t2: medium 2, large 2, xlarge 4,
  # 2xlarge 8). A type missing here is refused by var.endpoint_instance_type's validation.
  instance_vcpus = merge(
    { for pair in setproduct(["m5", "m5d"], ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"]) : "ml.${pair[0]}.${pair[1]}" => local.size_vcpus[pair[1]] },
    { for pair in setproduct(["m6i", "r5", "c6i"], ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]) : "ml.${pair[0]}.${pair[1]}" => local.size_vcpus[pair[1]] },
    { for size in ["large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"] : "ml.c5.${size}" => local.size_vcpus[size] },
    { "ml.t2.medium" = 2, "ml.t2.large" = 2, "ml.t2.xlarge" = 4, "ml.t2.2xlarge" = 8 },
  )
  # The buckets replicated to var.replication.region (empty without replication).
  replicated_buckets = var.replication.enabled ? var.replication.buckets : []

  size_vcpus = {
    large      = 2, xlarge = 4, "2xlarge" = 8, "4xlarge" = 16, "8xlarge" = 32, "9xlarge" = 36,
    "12xlarge" = 48, "16xlarge" = 64, "18xlarge" = 72, "24xlarge" = 96,
  }
}

# The endpoint instance's vCPUs, refused at plan when the table above lacks the type (a
# precondition rather than a variable validation, so variables.tf stays self-contained).
resource "terraform_data" "endpoint_instance" {
  input = lookup(local.instance_vcpus, var.endpoint_instance_type, 1)

  lifecycle {
    precondition {
      condition     = contains(keys(local.instance_vcpus), var.endpoint_instance_type)
      error_message = "endpoint_instance_type ${var.endpoint_instance_type} has no vCPU count in terraform/main.tf (local.instance_vcpus); add it with its vCPUs (Amazon EC2 instance types) so the CPU alarm threshold stays a percentage of the instance."
    }
  }
}

module "kms" {
  source = "./modules/kms"

  name_prefix = local.name_prefix
  account_id  = local.account_id
  partition   = local.partition
  region      = var.region
  sagemaker_role_arns = concat(
    [module.iam.execution_role_arn, module.iam.serving_role_arn, module.iam.pipeline_role_arn],
    module.iam.promotion_reader_role_arn == null ? [] : [module.iam.promotion_reader_role_arn],
  )
  orchestrator_principal_arns = var.orchestrator_principal_arns
  log_group_names             = values(local.all_log_group_names)
  deletion_window_days        = var.kms_deletion_window_days
  tags                        = local.tags

  replication_role_arn           = var.replication.enabled ? module.replication[0].replication_role_arn : null
  replication_source_bucket_arns = { for purpose in local.replicated_buckets : purpose => "arn:${local.partition}:s3:::${module.storage.bucket_names[purpose]}" }
}

module "storage" {
  source = "./modules/storage"

  name_prefix                       = local.name_prefix
  account_id                        = local.account_id
  data_kms_key_arn                  = module.kms.data_key_arn
  artifacts_kms_key_arn             = module.kms.artifacts_key_arn
  logs_kms_key_arn                  = module.kms.logs_key_arn
  force_destroy                     = var.force_destroy
  noncurrent_version_retention_days = var.noncurrent_version_retention_days
  access_log_retention_days         = var.access_log_retention_days
  object_lock                       = var.object_lock
  tags                              = local.tags
}

# Cross-region replication of the data and artifacts buckets (var.replication; on in prod).
module "replication" {
  source = "./modules/replication"
  count  = var.replication.enabled ? 1 : 0

  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  name_prefix                       = local.name_prefix
  account_id                        = local.account_id
  partition                         = local.partition
  source_region                     = var.region
  replica_region                    = coalesce(var.replication.region, var.region)
  source_bucket_names               = { for purpose in local.replicated_buckets : purpose => module.storage.versioned_bucket_names[purpose] }
  source_kms_key_arns               = { for purpose in local.replicated_buckets : purpose => module.kms.key_arns[purpose] }
  object_lock                       = var.object_lock
  time_control                      = var.replication.time_control
  key_user_arns                     = var.orchestrator_principal_arns
  key_administration_actions        = module.kms.key_administration_actions
  noncurrent_version_retention_days = var.noncurrent_version_retention_days
  deletion_window_days              = var.kms_deletion_window_days
  force_destroy                     = var.force_destroy
  permissions_boundary_arn          = var.permissions_boundary_arn
  tags                              = local.tags
}

# AWS Backup of the Terraform state bucket (var.backup; off by default).
module "backup" {
  source = "./modules/backup"
  count  = var.backup.enabled ? 1 : 0

  name_prefix                = local.name_prefix
  account_id                 = local.account_id
  partition                  = local.partition
  region                     = var.region
  bucket_names               = [coalesce(var.backup.state_bucket_name, "${local.name_prefix}-tfstate-${local.account_id}")]
  schedule                   = var.backup.schedule
  retention_days             = var.backup.retention_days
  key_administration_actions = module.kms.key_administration_actions
  deletion_window_days       = var.kms_deletion_window_days
  permissions_boundary_arn   = var.permissions_boundary_arn
  tags                       = local.tags
}

module "network" {
  source = "./modules/network"

  name_prefix         = local.name_prefix
  account_id          = local.account_id
  partition           = local.partition
  region              = var.region
  vpc_cidr            = var.vpc_cidr
  availability_zones  = var.availability_zones
  s3_bucket_arns      = [for purpose in ["data", "artifacts"] : module.storage.bucket_arns[purpose]]
  flow_log_group_name = local.flow_log_group_name
  log_retention_days  = var.log_retention_days
  logs_kms_key_arn    = module.kms.logs_key_arn
  tags                = local.tags
}

module "registry" {
  source = "./modules/registry"

  model_package_group_name = local.model_package_group_name
  ecr_repository_name      = local.ecr_repository_name
  kms_key_arn              = module.kms.artifacts_key_arn
  force_delete             = var.force_destroy
  image_retention_count    = var.ecr_image_retention_count
  tags                     = local.tags
}

module "iam" {
  source = "./modules/iam"

  name_prefix              = local.name_prefix
  account_id               = local.account_id
  partition                = local.partition
  region                   = var.region
  data_bucket_arn          = module.storage.bucket_arns["data"]
  artifacts_bucket_arn     = module.storage.bucket_arns["artifacts"]
  data_kms_key_arn         = module.kms.data_key_arn
  artifacts_kms_key_arn    = module.kms.artifacts_key_arn
  job_log_group_arns       = [for name in values(local.job_log_group_names) : "${local.log_group_arn_prefix}${name}"]
  serving_log_group_arns   = [for name in values(local.serving_log_group_names) : "${local.log_group_arn_prefix}${name}"]
  ecr_repository_arn       = module.registry.ecr_repository_arn
  model_package_group_name = local.model_package_group_name
  pipeline_name            = local.pipeline_name
  endpoint_name            = local.endpoint_name
  vpc_arn                  = module.network.vpc_arn
  subnet_ids               = module.network.private_subnet_ids
  subnet_arns              = module.network.private_subnet_arns
  security_group_ids       = [module.network.sagemaker_security_group_id]
  security_group_arns      = [module.network.sagemaker_security_group_arn]
  orchestrator_role_names  = var.orchestrator_role_names
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags

  create_autoscaling_service_linked_role = var.create_autoscaling_service_linked_role
  promotion_reader_principal_arns        = var.promotion_reader_principal_arns
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix           = local.name_prefix
  project               = var.project
  environment           = var.environment
  account_id            = local.account_id
  partition             = local.partition
  region                = var.region
  log_group_names       = local.own_log_group_names
  log_retention_days    = var.log_retention_days
  logs_kms_key_arn      = module.kms.logs_key_arn
  endpoint_name         = local.endpoint_name
  pipeline_name         = local.pipeline_name
  alarm_thresholds      = var.alarm_thresholds
  alert_email_addresses = var.alert_email_addresses
  monthly_budget_usd    = var.monthly_budget_usd
  endpoint_vcpus        = lookup(local.instance_vcpus, var.endpoint_instance_type, 1)
  tags                  = local.tags
}
