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

# Issue #19: the drift alarm watches the metric the monitor container publishes (docs/monitoring.md:
# drift_detected in /aws/sagemaker/Endpoints/data-metrics, dimensions Endpoint and
# MonitoringSchedule = <endpoint>-drift) and pages through the alert topic; the dashboard shows
# disk, the serving container's business metrics, drift and pipeline executions; three Logs
# Insights queries per environment.
run "drift_alarm_dashboard_and_queries" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.model_drift.namespace == "/aws/sagemaker/Endpoints/data-metrics" &&
      aws_cloudwatch_metric_alarm.model_drift.metric_name == "drift_detected" &&
      aws_cloudwatch_metric_alarm.model_drift.dimensions == tomap({ Endpoint = "mlops-demo-test-endpoint", MonitoringSchedule = "mlops-demo-test-endpoint-drift" }) &&
      aws_cloudwatch_metric_alarm.model_drift.threshold == 1 &&
      aws_cloudwatch_metric_alarm.model_drift.period == 3600 &&
      contains(aws_cloudwatch_metric_alarm.model_drift.alarm_actions, aws_sns_topic.alerts.arn)
    )
    error_message = "The drift alarm must watch drift_detected >= 1 of the endpoint's hourly schedule and notify the alert topic."
  }

  assert {
    condition     = !startswith(aws_cloudwatch_metric_alarm.model_drift.alarm_name, "${var.endpoint_name}-")
    error_message = "The drift alarm must not be named <endpoint>-*: a deploy without alarm_names rolls back on every alarm with that prefix."
  }

  assert {
    condition = length(setsubtract(
      ["DiskUtilization", "Requests", "Rows", "drift_detected", "ExecutionFailed", "Invocations", "ModelLatency", "CPUUtilization", "MemoryUtilization"],
      flatten([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for metric in try(widget.properties.metrics, []) : [for part in metric : part if can(tostring(part))]]])
    )) == 0
    error_message = "The dashboard must chart invocations, latency, CPU, memory, disk, the business metrics, drift and pipeline executions."
  }

  assert {
    condition = length([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget
      if can(regex("PredictedClass|ScoreBucket", jsonencode(widget)))
    ]) == 2
    error_message = "The dashboard must show the predicted classes and the score histogram."
  }

  # `orchestrator monitor run` publishes into MLOps/ModelMonitor (never the alarmed namespace):
  # charted per endpoint, with a SEARCH over the Feature dimension for the PSI.
  assert {
    condition = length([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget
      if contains([for metric in try(widget.properties.metrics, []) : jsonencode(slice(metric, 0, min(4, length(metric))))], jsonencode(["MLOps/ModelMonitor", "drift_detected", "EndpointName", "mlops-demo-test-endpoint"]))
      ]) == 1 && length([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget
      if can(regex("MLOps/ModelMonitor,EndpointName,Feature.*feature_psi", jsonencode(widget)))
    ]) == 1
    error_message = "The dashboard must chart monitor run's ad-hoc drift metrics (MLOps/ModelMonitor) and their PSI per feature."
  }

  assert {
    condition = (
      toset([for query in aws_cloudwatch_query_definition.this : query.name]) == toset(["mlops-demo-test/errors-by-endpoint", "mlops-demo-test/request-id", "mlops-demo-test/slowest-requests"]) &&
      contains(aws_cloudwatch_query_definition.this["request-id"].log_group_names, "/aws/sagemaker/ProcessingJobs") &&
      contains(aws_cloudwatch_query_definition.this["request-id"].log_group_names, var.log_group_names.endpoint) &&
      tolist(aws_cloudwatch_query_definition.this["slowest-requests"].log_group_names) == tolist([var.log_group_names.endpoint]) &&
      strcontains(aws_cloudwatch_query_definition.this["slowest-requests"].query_string, "sort Latency desc")
    )
    error_message = "Each environment needs the errors-by-endpoint, request-id (across the endpoint's and the jobs' groups) and slowest-requests queries."
  }
}

run "rejects_an_aws_namespace_for_the_serving_metrics" {
  command = plan

  variables {
    serving_metrics_namespace = "AWS/SageMaker"
  }

  expect_failures = [var.serving_metrics_namespace]
}

run "rejects_a_drift_alarm_longer_than_a_day" {
  command = plan

  variables {
    drift_alarm_evaluation_periods = 25
  }

  expect_failures = [var.drift_alarm_evaluation_periods]
}

run "rejects_a_query_group_outside_sagemaker" {
  command = plan

  variables {
    sagemaker_job_log_group_names = ["/other/app"]
  }

  expect_failures = [var.sagemaker_job_log_group_names]
}
