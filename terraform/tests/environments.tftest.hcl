# Security properties of the composed stack, once per environment's variables (the same
# tests/fixtures/<environment>.tfvars.json files the pytest plan checks use). The AWS provider is
# mocked, so plan and apply run offline; data sources that feed names and ARNs are overridden.

mock_provider "aws" {
  override_data {
    target = data.aws_caller_identity.current
    values = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:role/terraform"
      user_id    = "AROAEXAMPLE"
    }
  }

  override_data {
    target = data.aws_partition.current
    values = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }
}

run "load_dev" {
  module {
    source = "./tests/fixtures/loader"
  }

  variables {
    environment = "dev"
  }
}

run "dev" {
  command = apply

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    force_destroy                     = run.load_dev.vars.force_destroy
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    noncurrent_version_retention_days = run.load_dev.vars.noncurrent_version_retention_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    replication                       = run.load_dev.vars.replication
    object_lock                       = run.load_dev.vars.object_lock
    backup                            = run.load_dev.vars.backup
  }

  assert {
    condition = alltrue([
      for name in [
        output.region, output.account_id, output.environment, output.project, output.data_bucket,
        output.artifacts_bucket, output.access_logs_bucket, output.data_kms_key_arn,
        output.artifacts_kms_key_arn, output.logs_kms_key_arn, output.sagemaker_execution_role_arn,
        output.pipeline_role_arn, output.orchestrator_policy_arn, output.vpc_id,
        output.model_package_group_name, output.ecr_repository_url, output.alerts_topic_arn,
        output.pipeline_name, output.endpoint_name,
      ] : length(name) > 0
    ])
    error_message = "Every output of the orchestrator contract must be set."
  }

  assert {
    condition     = output.environment == "dev" && startswith(output.pipeline_name, "${var.project}-dev-")
    error_message = "Names must carry the environment."
  }

  assert {
    condition = alltrue([
      for purpose in ["data", "artifacts", "access_logs"] :
      module.storage.encryption[purpose].sse_algorithm == "aws:kms" && module.storage.encryption[purpose].bucket_key_enabled
    ]) && length(module.storage.encryption) == length(module.storage.bucket_names)
    error_message = "Every bucket must default to SSE-KMS with the bucket key."
  }

  assert {
    condition = (
      module.storage.encryption["data"].kms_master_key_id == output.data_kms_key_arn &&
      module.storage.encryption["artifacts"].kms_master_key_id == output.artifacts_kms_key_arn &&
      module.storage.encryption["access_logs"].kms_master_key_id == output.logs_kms_key_arn
    )
    error_message = "Buckets must be encrypted with the keys the outputs hand to the orchestrator."
  }

  assert {
    condition     = length(distinct([output.data_kms_key_arn, output.artifacts_kms_key_arn, output.logs_kms_key_arn])) == 3
    error_message = "Data, artifacts and logs must use three different keys."
  }

  assert {
    condition     = length(output.private_subnet_ids) == length(var.availability_zones) && length(output.private_subnet_ids) >= 2
    error_message = "One private subnet per availability zone, at least two."
  }

  assert {
    condition = alltrue([
      for purpose in ["processing_jobs", "training_jobs", "transform_jobs", "endpoint", "orchestrator", "vpc_flow_logs"] :
      contains(keys(output.log_group_names), purpose)
    ])
    error_message = "log_group_names must name every log group the platform writes to."
  }

  assert {
    condition     = output.log_group_names["endpoint"] == "/aws/sagemaker/Endpoints/${output.endpoint_name}"
    error_message = "The endpoint log group must be the one SageMaker writes to for this endpoint."
  }

  assert {
    condition     = length(module.monitoring.alarm_names) == 5
    error_message = "Expected alarms for 5XX rate, 4XX rate, p99 model latency, CPU and memory."
  }

  assert {
    condition     = alltrue([for name in keys(module.kms.key_arns) : contains(["data", "artifacts", "logs"], name)])
    error_message = "Only the three documented keys may exist."
  }
}

run "load_staging" {
  module {
    source = "./tests/fixtures/loader"
  }

  variables {
    environment = "staging"
  }
}

run "staging" {
  command = apply

  variables {
    project                           = run.load_staging.vars.project
    region                            = run.load_staging.vars.region
    availability_zones                = run.load_staging.vars.availability_zones
    environment                       = run.load_staging.vars.environment
    vpc_cidr                          = run.load_staging.vars.vpc_cidr
    log_retention_days                = run.load_staging.vars.log_retention_days
    force_destroy                     = run.load_staging.vars.force_destroy
    kms_deletion_window_days          = run.load_staging.vars.kms_deletion_window_days
    noncurrent_version_retention_days = run.load_staging.vars.noncurrent_version_retention_days
    access_log_retention_days         = run.load_staging.vars.access_log_retention_days
    monthly_budget_usd                = run.load_staging.vars.monthly_budget_usd
    alert_email_addresses             = run.load_staging.vars.alert_email_addresses
    alarm_thresholds                  = run.load_staging.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_staging.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_staging.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_staging.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_staging.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_staging.vars.orchestrator_role_names
    tags                              = run.load_staging.vars.tags
    replication                       = run.load_staging.vars.replication
    object_lock                       = run.load_staging.vars.object_lock
    backup                            = run.load_staging.vars.backup
  }

  assert {
    condition = alltrue([
      for name in [
        output.region, output.account_id, output.environment, output.project, output.data_bucket,
        output.artifacts_bucket, output.access_logs_bucket, output.data_kms_key_arn,
        output.artifacts_kms_key_arn, output.logs_kms_key_arn, output.sagemaker_execution_role_arn,
        output.pipeline_role_arn, output.orchestrator_policy_arn, output.vpc_id,
        output.model_package_group_name, output.ecr_repository_url, output.alerts_topic_arn,
        output.pipeline_name, output.endpoint_name,
      ] : length(name) > 0
    ])
    error_message = "Every output of the orchestrator contract must be set."
  }

  assert {
    condition     = output.environment == "staging" && startswith(output.pipeline_name, "${var.project}-staging-")
    error_message = "Names must carry the environment."
  }

  assert {
    condition = alltrue([
      for purpose in ["data", "artifacts", "access_logs"] :
      module.storage.encryption[purpose].sse_algorithm == "aws:kms" && module.storage.encryption[purpose].bucket_key_enabled
    ]) && length(module.storage.encryption) == length(module.storage.bucket_names)
    error_message = "Every bucket must default to SSE-KMS with the bucket key."
  }

  assert {
    condition = (
      module.storage.encryption["data"].kms_master_key_id == output.data_kms_key_arn &&
      module.storage.encryption["artifacts"].kms_master_key_id == output.artifacts_kms_key_arn &&
      module.storage.encryption["access_logs"].kms_master_key_id == output.logs_kms_key_arn
    )
    error_message = "Buckets must be encrypted with the keys the outputs hand to the orchestrator."
  }

  assert {
    condition     = length(distinct([output.data_kms_key_arn, output.artifacts_kms_key_arn, output.logs_kms_key_arn])) == 3
    error_message = "Data, artifacts and logs must use three different keys."
  }

  assert {
    condition     = length(output.private_subnet_ids) == length(var.availability_zones) && length(output.private_subnet_ids) >= 2
    error_message = "One private subnet per availability zone, at least two."
  }

  assert {
    condition = alltrue([
      for purpose in ["processing_jobs", "training_jobs", "transform_jobs", "endpoint", "orchestrator", "vpc_flow_logs"] :
      contains(keys(output.log_group_names), purpose)
    ])
    error_message = "log_group_names must name every log group the platform writes to."
  }

  assert {
    condition     = output.log_group_names["endpoint"] == "/aws/sagemaker/Endpoints/${output.endpoint_name}"
    error_message = "The endpoint log group must be the one SageMaker writes to for this endpoint."
  }

  assert {
    condition     = length(module.monitoring.alarm_names) == 5
    error_message = "Expected alarms for 5XX rate, 4XX rate, p99 model latency, CPU and memory."
  }

  assert {
    condition     = alltrue([for name in keys(module.kms.key_arns) : contains(["data", "artifacts", "logs"], name)])
    error_message = "Only the three documented keys may exist."
  }
}

run "load_prod" {
  module {
    source = "./tests/fixtures/loader"
  }

  variables {
    environment = "prod"
  }
}

run "prod" {
  command = apply

  variables {
    project                           = run.load_prod.vars.project
    region                            = run.load_prod.vars.region
    availability_zones                = run.load_prod.vars.availability_zones
    environment                       = run.load_prod.vars.environment
    vpc_cidr                          = run.load_prod.vars.vpc_cidr
    log_retention_days                = run.load_prod.vars.log_retention_days
    force_destroy                     = run.load_prod.vars.force_destroy
    kms_deletion_window_days          = run.load_prod.vars.kms_deletion_window_days
    noncurrent_version_retention_days = run.load_prod.vars.noncurrent_version_retention_days
    access_log_retention_days         = run.load_prod.vars.access_log_retention_days
    monthly_budget_usd                = run.load_prod.vars.monthly_budget_usd
    alert_email_addresses             = run.load_prod.vars.alert_email_addresses
    alarm_thresholds                  = run.load_prod.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_prod.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_prod.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_prod.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_prod.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_prod.vars.orchestrator_role_names
    tags                              = run.load_prod.vars.tags
    replication                       = run.load_prod.vars.replication
    object_lock                       = run.load_prod.vars.object_lock
    backup                            = run.load_prod.vars.backup
  }

  assert {
    condition = alltrue([
      for name in [
        output.region, output.account_id, output.environment, output.project, output.data_bucket,
        output.artifacts_bucket, output.access_logs_bucket, output.data_kms_key_arn,
        output.artifacts_kms_key_arn, output.logs_kms_key_arn, output.sagemaker_execution_role_arn,
        output.pipeline_role_arn, output.orchestrator_policy_arn, output.vpc_id,
        output.model_package_group_name, output.ecr_repository_url, output.alerts_topic_arn,
        output.pipeline_name, output.endpoint_name,
      ] : length(name) > 0
    ])
    error_message = "Every output of the orchestrator contract must be set."
  }

  assert {
    condition     = output.environment == "prod" && startswith(output.pipeline_name, "${var.project}-prod-")
    error_message = "Names must carry the environment."
  }

  assert {
    condition = alltrue([
      for purpose in ["data", "artifacts", "access_logs"] :
      module.storage.encryption[purpose].sse_algorithm == "aws:kms" && module.storage.encryption[purpose].bucket_key_enabled
    ]) && length(module.storage.encryption) == length(module.storage.bucket_names)
    error_message = "Every bucket must default to SSE-KMS with the bucket key."
  }

  assert {
    condition = (
      module.storage.encryption["data"].kms_master_key_id == output.data_kms_key_arn &&
      module.storage.encryption["artifacts"].kms_master_key_id == output.artifacts_kms_key_arn &&
      module.storage.encryption["access_logs"].kms_master_key_id == output.logs_kms_key_arn
    )
    error_message = "Buckets must be encrypted with the keys the outputs hand to the orchestrator."
  }

  assert {
    condition     = length(distinct([output.data_kms_key_arn, output.artifacts_kms_key_arn, output.logs_kms_key_arn])) == 3
    error_message = "Data, artifacts and logs must use three different keys."
  }

  assert {
    condition     = length(output.private_subnet_ids) == length(var.availability_zones) && length(output.private_subnet_ids) >= 2
    error_message = "One private subnet per availability zone, at least two."
  }

  assert {
    condition = alltrue([
      for purpose in ["processing_jobs", "training_jobs", "transform_jobs", "endpoint", "orchestrator", "vpc_flow_logs"] :
      contains(keys(output.log_group_names), purpose)
    ])
    error_message = "log_group_names must name every log group the platform writes to."
  }

  assert {
    condition     = output.log_group_names["endpoint"] == "/aws/sagemaker/Endpoints/${output.endpoint_name}"
    error_message = "The endpoint log group must be the one SageMaker writes to for this endpoint."
  }

  assert {
    condition     = length(module.monitoring.alarm_names) == 5
    error_message = "Expected alarms for 5XX rate, 4XX rate, p99 model latency, CPU and memory."
  }

  assert {
    condition     = alltrue([for name in keys(module.kms.key_arns) : contains(["data", "artifacts", "logs"], name)])
    error_message = "Only the three documented keys may exist."
  }

  assert {
    condition     = length(module.replication) == 1 && module.replication[0].replica_region == var.replication.region && module.replication[0].replica_region != var.region
    error_message = "prod replicates to its replica region, another region than the stack's."
  }

  assert {
    condition     = keys(module.replication[0].replica_bucket_names) == ["artifacts", "data"]
    error_message = "prod replicates the data and artifacts buckets."
  }

  assert {
    condition     = module.storage.object_lock == { mode = "GOVERNANCE", days = var.object_lock.retention_days }
    error_message = "prod locks its artifacts bucket in governance mode for the environment's retention."
  }

  assert {
    condition     = length(module.backup) == 1 && module.backup[0].protected_bucket_arns == toset(["arn:aws:s3:::${var.project}-prod-tfstate-123456789012"])
    error_message = "prod backs up bootstrap's Terraform state bucket."
  }
}

# The key policies grant key use only to the principals they name: with no orchestrator principal
# nobody could upload data to the SSE-KMS bucket, so the plan is refused.
run "refuses_an_environment_without_orchestrator_principals" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    force_destroy                     = run.load_dev.vars.force_destroy
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    noncurrent_version_retention_days = run.load_dev.vars.noncurrent_version_retention_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    orchestrator_principal_arns       = []
  }

  expect_failures = [var.orchestrator_principal_arns]
}

# A /24 VPC gives /28 subnets: 16 addresses - 5 reserved - 8 interface endpoints = 3, fewer
# than 2 IPs for each of 7 instances.
run "refuses_subnets_too_small_for_the_instances" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    log_retention_days                = run.load_dev.vars.log_retention_days
    force_destroy                     = run.load_dev.vars.force_destroy
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    noncurrent_version_retention_days = run.load_dev.vars.noncurrent_version_retention_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    vpc_cidr                          = "10.10.0.0/24"
    sagemaker_peak_instance_count     = 7
  }

  expect_failures = [var.sagemaker_peak_instance_count]
}

# The CPU alarm needs the endpoint instance's vCPU count.
run "refuses_an_instance_type_without_a_vcpu_count" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    force_destroy                     = run.load_dev.vars.force_destroy
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    noncurrent_version_retention_days = run.load_dev.vars.noncurrent_version_retention_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    endpoint_instance_type            = "ml.x99.huge"
  }

  expect_failures = [terraform_data.endpoint_instance]
}

# Cross-region replication must leave the region: a replica region equal to the stack's, or none
# at all while replication is on, is refused; so is an access-log bucket to replicate.
run "refuses_a_replica_in_the_stacks_own_region" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    force_destroy                     = false
    noncurrent_version_retention_days = 7
    replication                       = { enabled = true, region = run.load_dev.vars.region }
  }

  expect_failures = [var.replication]
}

# Replication on without a region, and a bucket that cannot be replicated.
run "refuses_replication_without_a_region_or_of_other_buckets" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    force_destroy                     = false
    noncurrent_version_retention_days = 7
    replication                       = { enabled = true, buckets = ["data", "access_logs"] }
  }

  expect_failures = [var.replication]
}

# Noncurrent versions must outlive the recovery window data restore promises (docs/dr.md): 0 and
# 6 days are refused.
run "refuses_noncurrent_versions_shorter_than_the_recovery_window" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    force_destroy                     = false
    noncurrent_version_retention_days = 6
  }

  expect_failures = [var.noncurrent_version_retention_days]
}

# Zero days: neither a whole positive number nor the recovery window.
run "refuses_zero_noncurrent_version_retention" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    force_destroy                     = false
    noncurrent_version_retention_days = 0
  }

  expect_failures = [var.noncurrent_version_retention_days]
}

# Object Lock excludes force_destroy (a destroy cannot delete locked versions), and its
# retention must be at least a day.
run "refuses_object_lock_with_force_destroy_or_without_retention" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    force_destroy                     = true
    noncurrent_version_retention_days = 7
    object_lock                       = { enabled = true, retention_days = 0 }
  }

  expect_failures = [var.object_lock]
}

# AWS Backup needs a cron schedule and recovery points kept at least a day.
run "refuses_a_backup_plan_without_retention_or_schedule" {
  command = plan

  variables {
    project                           = run.load_dev.vars.project
    region                            = run.load_dev.vars.region
    availability_zones                = run.load_dev.vars.availability_zones
    environment                       = run.load_dev.vars.environment
    vpc_cidr                          = run.load_dev.vars.vpc_cidr
    log_retention_days                = run.load_dev.vars.log_retention_days
    kms_deletion_window_days          = run.load_dev.vars.kms_deletion_window_days
    access_log_retention_days         = run.load_dev.vars.access_log_retention_days
    monthly_budget_usd                = run.load_dev.vars.monthly_budget_usd
    alert_email_addresses             = run.load_dev.vars.alert_email_addresses
    alarm_thresholds                  = run.load_dev.vars.alarm_thresholds
    ecr_image_retention_count         = run.load_dev.vars.ecr_image_retention_count
    endpoint_instance_type            = run.load_dev.vars.endpoint_instance_type
    sagemaker_peak_instance_count     = run.load_dev.vars.sagemaker_peak_instance_count
    orchestrator_principal_arns       = run.load_dev.vars.orchestrator_principal_arns
    orchestrator_role_names           = run.load_dev.vars.orchestrator_role_names
    tags                              = run.load_dev.vars.tags
    force_destroy                     = false
    noncurrent_version_retention_days = 7
    backup                            = { enabled = true, schedule = "daily", retention_days = 0 }
  }

  expect_failures = [var.backup]
}
