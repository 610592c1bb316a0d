# The contract the orchestrator reads (`terraform output -json`). Documented in README.md;
# renaming or removing one is a breaking change for orchestrator/.

output "region" {
  description = "AWS region of the stack."
  value       = var.region
}

output "account_id" {
  description = "AWS account id the stack lives in."
  value       = local.account_id
}

output "environment" {
  description = "Environment name (dev, staging, prod)."
  value       = var.environment
}

output "project" {
  description = "Project name."
  value       = var.project
}

output "data_bucket" {
  description = "Bucket for input data; the orchestrator uploads here, jobs read."
  value       = module.storage.data_bucket
}

output "artifacts_bucket" {
  description = "Bucket for pipeline outputs, model bundles and evaluation reports."
  value       = module.storage.artifacts_bucket
}

output "access_logs_bucket" {
  description = "Bucket receiving S3 server access logs of the data and artifacts buckets."
  value       = module.storage.access_logs_bucket
}

output "data_kms_key_arn" {
  description = "KMS key of the data bucket; also the VolumeKmsKeyId of every job and endpoint config."
  value       = module.kms.data_key_arn
}

output "artifacts_kms_key_arn" {
  description = "KMS key of the artifacts bucket and ECR; also the output KmsKeyId of every job."
  value       = module.kms.artifacts_key_arn
}

output "logs_kms_key_arn" {
  description = "KMS key of the log groups, the alert topic and the access-log bucket."
  value       = module.kms.logs_key_arn
}

output "sagemaker_execution_role_arn" {
  description = "Role that processing, training and tuning jobs run as (the jobs role)."
  value       = module.iam.execution_role_arn
}

output "serving_role_arn" {
  description = "Role that models run as: ExecutionRoleArn of the endpoint's and batch transform jobs' models."
  value       = module.iam.serving_role_arn
}

output "pipeline_role_arn" {
  description = "Role ARN to give the SageMaker pipeline (RoleArn in CreatePipeline)."
  value       = module.iam.pipeline_role_arn
}

output "orchestrator_policy_arn" {
  description = "The orchestrator's pipeline policy; attach it with orchestrator_policy_arns to the CI / orchestrator principal."
  value       = module.iam.orchestrator_policy_arn
}

output "orchestrator_serving_policy_arn" {
  description = "The orchestrator's endpoint and batch transform policy."
  value       = module.iam.orchestrator_serving_policy_arn
}

output "orchestrator_data_policy_arn" {
  description = "The orchestrator's model registry, buckets, keys and logs policy."
  value       = module.iam.orchestrator_data_policy_arn
}

output "orchestrator_policy_arns" {
  description = "Every policy the CI / orchestrator principal needs (pipeline, serving, data, recovery, image publisher)."
  value = [
    module.iam.orchestrator_policy_arn,
    module.iam.orchestrator_serving_policy_arn,
    module.iam.orchestrator_data_policy_arn,
    module.iam.orchestrator_recovery_policy_arn,
    module.iam.image_publisher_policy_arn,
  ]
}

output "image_publisher_policy_arn" {
  description = "Policy to attach to the principal that pushes the image (CI / the orchestrator)."
  value       = module.iam.image_publisher_policy_arn
}

output "vpc_id" {
  description = "VPC of the SageMaker workloads."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Subnets for NetworkConfig / VpcConfig of every job and model."
  value       = module.network.private_subnet_ids
}

output "sagemaker_security_group_ids" {
  description = "Security groups for NetworkConfig / VpcConfig of every job and model."
  value       = [module.network.sagemaker_security_group_id]
}

output "model_package_group_name" {
  description = "Model package group the pipeline registers models in."
  value       = module.registry.model_package_group_name
}

output "ecr_repository_url" {
  description = "ECR repository of the project's container image (push with an immutable tag)."
  value       = module.registry.ecr_repository_url
}

output "alerts_topic_arn" {
  description = "SNS topic that receives alarms, pipeline failures and budget notifications."
  value       = module.monitoring.alerts_topic_arn
}

output "log_group_names" {
  description = "Log group name per purpose: processing_jobs, training_jobs, transform_jobs, endpoint, orchestrator, vpc_flow_logs."
  # Names, not resources: the account-wide job groups are SageMaker's unless
  # manage_sagemaker_job_log_groups makes this stack manage them.
  value = local.all_log_group_names
}

output "pipeline_name" {
  description = "Name the orchestrator must give the SageMaker pipeline (the IAM policies allow only it)."
  value       = local.pipeline_name
}

output "endpoint_name" {
  description = "Name the orchestrator must give the endpoint; endpoint configs and models must start with <endpoint_name>-."
  value       = local.endpoint_name
}

output "alarm_names" {
  description = "The alarms a blue/green deployment rolls back on (5XX rate and p99 latency on 60-second periods); the orchestrator passes them as AutoRollbackConfiguration."
  value       = module.monitoring.rollback_alarm_names
}

output "paging_alarm_names" {
  description = "Endpoint alarms that notify the alert topic (5XX/4XX rate, p99 latency, CPU, memory; 5-minute periods)."
  value       = module.monitoring.alarm_names
}

output "observability" {
  description = "Where to look (docs/monitoring.md): the dashboard, the alarm on the drift schedule's drift_detected metric, the schedule the orchestrator gives the endpoint, and the Logs Insights query definitions. Read by people; not part of the orchestrator's required contract."
  value = {
    dashboard_name      = module.monitoring.dashboard_name
    drift_alarm_name    = module.monitoring.drift_alarm_name
    drift_schedule_name = "${local.endpoint_name}-drift"
    log_query_names     = module.monitoring.log_query_names
  }
}

output "promotion_reader_role_arn" {
  description = "The role the next environment assumes to promote this stack's models (orchestrator promote --from-role-arn); null when promotion_reader_principal_arns is empty."
  value       = module.iam.promotion_reader_role_arn
}

output "disaster_recovery" {
  description = "What the stack keeps for a recovery (docs/dr.md): the replica region, replica bucket per replicated purpose and their key (null without replication), the artifacts bucket's Object Lock retention (null when off) and the AWS Backup vault (null when off). Read by people and runbooks, e.g. for restore --artifacts-map; not part of the orchestrator's required contract."
  value = {
    replica_region      = var.replication.enabled ? module.replication[0].replica_region : null
    replica_buckets     = var.replication.enabled ? module.replication[0].replica_bucket_names : null
    replica_kms_key_arn = var.replication.enabled ? module.replication[0].replica_kms_key_arn : null
    object_lock         = module.storage.object_lock
    backup_vault_name   = var.backup.enabled ? module.backup[0].vault_name : null
  }
}
