# The whole stack for one environment, as a platform engineer would call it from another
# configuration. The values mirror terraform/tests/fixtures/dev.tfvars.json.

module "mlops_platform" {
  source = "../.."

  project                           = "mlops-demo"
  environment                       = "dev"
  region                            = "eu-west-1"
  availability_zones                = ["eu-west-1a", "eu-west-1b"]
  vpc_cidr                          = "10.10.0.0/16"
  log_retention_days                = 30
  force_destroy                     = true
  kms_deletion_window_days          = 7
  noncurrent_version_retention_days = 7
  access_log_retention_days         = 30
  monthly_budget_usd                = 200
  alert_email_addresses             = ["ml-dev@example.com"]
  ecr_image_retention_count         = 20
  endpoint_instance_type            = "ml.m5.large"
  sagemaker_peak_instance_count     = 7
  orchestrator_principal_arns       = ["arn:aws:iam::111122223333:role/mlops-ci-dev"]
  alarm_thresholds = {
    endpoint_5xx_rate_percent  = 5
    endpoint_4xx_rate_percent  = 20
    model_latency_p99_ms       = 1000
    cpu_utilization_percent    = 90
    memory_utilization_percent = 90
  }
}

output "stack" {
  description = "The orchestrator contract of the example stack."
  value = {
    data_bucket                  = module.mlops_platform.data_bucket
    sagemaker_execution_role_arn = module.mlops_platform.sagemaker_execution_role_arn
    private_subnet_ids           = module.mlops_platform.private_subnet_ids
  }
}
