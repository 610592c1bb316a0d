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

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # SageMaker writes job logs to fixed, account-wide group names; the endpoint's group is per
  # endpoint. Creating them here gives them KMS encryption and a retention.
  sagemaker_log_group_names = {
    processing_jobs = "/aws/sagemaker/ProcessingJobs"
    training_jobs   = "/aws/sagemaker/TrainingJobs"
    transform_jobs  = "/aws/sagemaker/TransformJobs"
    endpoint        = "/aws/sagemaker/Endpoints/${local.endpoint_name}"
  }
  monitoring_log_group_names = merge(local.sagemaker_log_group_names, {
    orchestrator = "/mlops/${local.name_prefix}/orchestrator"
  })
  flow_log_group_name = "/mlops/${local.name_prefix}/vpc-flow-logs"
  all_log_group_names = merge(local.monitoring_log_group_names, { vpc_flow_logs = local.flow_log_group_name })
  sagemaker_log_group_arns = [
    for name in values(local.sagemaker_log_group_names) :
    "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:${name}"
  ]
}

module "kms" {
  source = "./modules/kms"

  name_prefix                 = local.name_prefix
  account_id                  = local.account_id
  partition                   = local.partition
  region                      = var.region
  sagemaker_role_arns         = [module.iam.execution_role_arn, module.iam.pipeline_role_arn]
  orchestrator_principal_arns = var.orchestrator_principal_arns
  log_group_names             = values(local.all_log_group_names)
  deletion_window_days        = var.kms_deletion_window_days
  tags                        = local.tags
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
  tags                              = local.tags
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
  log_group_arns           = local.sagemaker_log_group_arns
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
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix           = local.name_prefix
  project               = var.project
  account_id            = local.account_id
  partition             = local.partition
  region                = var.region
  log_group_names       = local.monitoring_log_group_names
  log_retention_days    = var.log_retention_days
  logs_kms_key_arn      = module.kms.logs_key_arn
  endpoint_name         = local.endpoint_name
  pipeline_name         = local.pipeline_name
  alarm_thresholds      = var.alarm_thresholds
  alert_email_addresses = var.alert_email_addresses
  monthly_budget_usd    = var.monthly_budget_usd
  tags                  = local.tags
}
