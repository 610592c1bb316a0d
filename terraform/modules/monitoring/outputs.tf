output "alerts_topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic that receives every alert."
  value       = aws_sns_topic.alerts.arn
}

output "log_group_names" {
  description = "Log group name per purpose."
  value       = { for purpose, group in aws_cloudwatch_log_group.this : purpose => group.name }
}

output "log_group_arns" {
  description = "Log group ARN per purpose (without the trailing :*)."
  value       = { for purpose, group in aws_cloudwatch_log_group.this : purpose => group.arn }
}

output "alarm_names" {
  description = "Names of the endpoint's paging alarms (5-minute periods, SNS actions)."
  value = concat(
    [for alarm in aws_cloudwatch_metric_alarm.endpoint_error_rate : alarm.alarm_name],
    [aws_cloudwatch_metric_alarm.model_latency_p99.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.endpoint_utilization : alarm.alarm_name],
  )
}

output "rollback_alarm_names" {
  description = "Names of the alarms a blue/green deployment rolls back on (60-second periods, 3 evaluation periods: a bake of at least 180 s can see them fire)."
  value = [
    aws_cloudwatch_metric_alarm.rollback_5xx_rate.alarm_name,
    aws_cloudwatch_metric_alarm.rollback_model_latency_p99.alarm_name,
  ]
}

output "pipeline_failure_rule_name" {
  description = "EventBridge rule that forwards failed pipeline executions to the alert topic."
  value       = aws_cloudwatch_event_rule.pipeline_failed.name
}

output "budget_name" {
  description = "Name of the monthly cost budget."
  value       = aws_budgets_budget.monthly.name
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "drift_alarm_name" {
  description = "Name of the alarm on the drift schedule's drift_detected metric (notifies the alert topic)."
  value       = aws_cloudwatch_metric_alarm.model_drift.alarm_name
}

output "log_query_names" {
  description = "Names of the Logs Insights query definitions (errors by endpoint, a request id across logs, slowest requests)."
  value       = [for query in aws_cloudwatch_query_definition.this : query.name]
}
