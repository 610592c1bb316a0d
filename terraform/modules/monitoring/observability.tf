# Model drift and one place to read logs (issue #19).
#
# Drift: the orchestrator gives the endpoint an hourly SageMaker Model Monitor schedule,
# <endpoint_name>-drift, running the image's `monitor` program (docs/monitoring.md). Its
# CloudWatch metrics reach the namespace /aws/sagemaker/Endpoints/data-metrics with the
# dimensions Endpoint and MonitoringSchedule; drift_detected is 1 for an hour with drift.
# The alarm's name does not start with <endpoint_name>- so it is never one of the rollback
# alarms a deploy finds by that prefix: drift is judged on the served model, not on a rollout.
#
# Logs: Logs Insights query definitions per environment, saved under <name_prefix>/ in the
# console, over the endpoint's group, the stack's own groups and SageMaker's job groups; the
# serving container's lines are JSON (EMF) with RequestId, Status, Latency and Rows.

locals {
  drift_schedule_name = "${var.endpoint_name}-drift"
  drift_namespace     = "/aws/sagemaker/Endpoints/data-metrics"
  # Where `orchestrator monitor run` publishes (orchestrator/flows/monitor_metrics.py NAMESPACE):
  # charted, never alarmed, so a person's ad-hoc run cannot move the drift alarm above.
  adhoc_drift_namespace = "MLOps/ModelMonitor"
  drift_dimensions = {
    Endpoint           = var.endpoint_name
    MonitoringSchedule = local.drift_schedule_name
  }
  endpoint_log_group = lookup(var.log_group_names, "endpoint", "/aws/sagemaker/Endpoints/${var.endpoint_name}")
  all_log_groups     = distinct(concat([local.endpoint_log_group], [for group in aws_cloudwatch_log_group.this : group.name], var.sagemaker_job_log_group_names))

  log_queries = {
    "errors-by-endpoint" = {
      groups = [local.endpoint_log_group]
      query  = <<-EOT
        fields @timestamp, @logStream, Status, Error, RequestId
        | filter Status >= 400 or @message like /(?i)(traceback|exception|error)/
        | stats count(*) as errors by bin(5m) as window, @logGroup as endpoint, Status
        | sort window desc
      EOT
    }
    "request-id" = {
      groups = local.all_log_groups
      query  = <<-EOT
        fields @timestamp, @logGroup, @logStream, Status, Latency, @message
        | filter RequestId = "REQUEST-ID" or request_id = "REQUEST-ID" or @message like "REQUEST-ID"
        | sort @timestamp asc
      EOT
    }
    "slowest-requests" = {
      groups = [local.endpoint_log_group]
      query  = <<-EOT
        fields @timestamp, RequestId, Latency, InferenceLatency, Rows, Status, ModelVersion, @logStream
        | filter ispresent(Latency) and Path = "/invocations"
        | sort Latency desc
        | limit 50
      EOT
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "model_drift" {
  alarm_name          = "${var.name_prefix}-model-drift"
  alarm_description   = "The hourly drift check of ${var.endpoint_name} (${local.drift_schedule_name}) found features whose distribution moved from the served model's baseline; see its drift_report.html under the artifacts bucket's monitoring/ prefix"
  namespace           = local.drift_namespace
  metric_name         = "drift_detected"
  dimensions          = local.drift_dimensions
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = var.drift_alarm_evaluation_periods
  datapoints_to_alarm = var.drift_alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  # An hour without a check (no traffic, schedule stopped) is no evidence of drift.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alerts.arn]
  ok_actions         = [aws_sns_topic.alerts.arn]
  tags               = var.tags
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = local.log_queries

  name            = "${var.name_prefix}/${each.key}"
  log_group_names = each.value.groups
  query_string    = each.value.query
}
