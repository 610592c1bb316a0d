# Encrypted log groups with retention, an encrypted alert topic, the endpoint alarms, the
# pipeline-failure rule and the budget all point at the alert topic.

mock_provider "aws" {}

variables {
  name_prefix        = "mlops-demo-test"
  project            = "mlops-demo"
  environment        = "dev"
  account_id         = "123456789012"
  partition          = "aws"
  region             = "eu-west-1"
  log_group_names    = { endpoint = "/aws/sagemaker/Endpoints/mlops-demo-test-endpoint" }
  endpoint_vcpus     = 4
  log_retention_days = 30
  logs_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/logs"
  endpoint_name      = "mlops-demo-test-endpoint"
  pipeline_name      = "mlops-demo-test-training"
  monthly_budget_usd = 100
}

run "alerts_are_wired" {
  command = apply

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.this : group.kms_key_id == var.logs_kms_key_arn && group.retention_in_days == 30])
    error_message = "Every log group must be KMS-encrypted with the environment's retention."
  }

  assert {
    condition     = aws_sns_topic.alerts.kms_master_key_id == var.logs_kms_key_arn
    error_message = "The alert topic must be KMS-encrypted."
  }

  assert {
    condition = alltrue(concat(
      [for alarm in aws_cloudwatch_metric_alarm.endpoint_error_rate : contains(alarm.alarm_actions, aws_sns_topic.alerts.arn)],
      [for alarm in aws_cloudwatch_metric_alarm.endpoint_utilization : contains(alarm.alarm_actions, aws_sns_topic.alerts.arn)],
      [contains(aws_cloudwatch_metric_alarm.model_latency_p99.alarm_actions, aws_sns_topic.alerts.arn)],
    ))
    error_message = "Every alarm must notify the alert topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.model_latency_p99.extended_statistic == "p99" && aws_cloudwatch_metric_alarm.model_latency_p99.threshold == 500000
    error_message = "ModelLatency alarm must watch p99 with the threshold converted from ms to microseconds."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.pipeline_failed.event_pattern).detail.currentPipelineExecutionStatus == ["Failed"] && aws_cloudwatch_event_target.pipeline_failed.arn == aws_sns_topic.alerts.arn
    error_message = "Failed pipeline executions must reach the alert topic."
  }

  assert {
    condition = (
      one([for query in aws_cloudwatch_metric_alarm.endpoint_utilization["cpu"].metric_query : query.expression if query.return_data == true]) == "raw / 4" &&
      one([for query in aws_cloudwatch_metric_alarm.endpoint_utilization["memory"].metric_query : query.expression if query.return_data == true]) == "raw / 1"
    )
    error_message = "CPUUtilization is summed over vCPUs: the CPU alarm must divide it by the vCPU count; MemoryUtilization is already 0-100%."
  }

  assert {
    condition = length(aws_budgets_budget.monthly.cost_filter) == 0 && toset(flatten([
      for expression in aws_budgets_budget.monthly.filter_expression : [
        for clause in expression.and : [for tag in clause.tags : "${tag.key}=${join(",", tag.values)}"]
      ]
    ])) == toset(["project=mlops-demo", "environment=dev"])
    error_message = "The budget must count only costs tagged with both the project and the environment the orchestrator sets, so environments sharing an account keep separate budgets."
  }

  assert {
    condition     = aws_budgets_budget.monthly.limit_amount == "100.00" && length(aws_budgets_budget.monthly.notification) == 4
    error_message = "The budget must carry the monthly limit and three actual plus one forecast notification."
  }
}

run "rejects_a_retention_cloudwatch_does_not_accept" {
  command = plan

  variables {
    log_retention_days = 42
  }

  expect_failures = [var.log_retention_days]
}
