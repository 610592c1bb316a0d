# What tells the team that something is wrong: KMS-encrypted log groups with a retention per
# environment, one encrypted SNS alert topic, endpoint alarms (5XX and 4XX rates, p99 model
# latency, CPU and memory), an EventBridge rule for failed pipeline executions, a monthly cost
# budget with threshold notifications, and a dashboard of the same signals plus disk, the serving
# container's business metrics, drift and pipeline executions. Drift alarm and Logs Insights
# queries: observability.tf.

locals {
  topic_name                  = "${var.name_prefix}-alerts"
  pipeline_arn                = "arn:${var.partition}:sagemaker:${var.region}:${var.account_id}:pipeline/${lower(var.pipeline_name)}"
  rollback_period_seconds     = 60
  rollback_evaluation_periods = 3

  endpoint_dimensions = {
    EndpointName = var.endpoint_name
    VariantName  = var.variant_name
  }

  # Error rates in percent of invocations: a quiet endpoint with one failure is not an outage.
  error_rate_alarms = {
    "5xx" = { metric = "Invocation5XXErrors", threshold = var.alarm_thresholds.endpoint_5xx_rate_percent }
    "4xx" = { metric = "Invocation4XXErrors", threshold = var.alarm_thresholds.endpoint_4xx_rate_percent }
  }
  # Both in percent of the instance. SageMaker reports an endpoint's CPUUtilization as the sum
  # over its vCPUs (0-400% on 4 vCPUs) and MemoryUtilization as 0-100% (SageMaker developer
  # guide, "Monitor Amazon SageMaker with Amazon CloudWatch"), so CPU is divided by the
  # instance type's vCPU count (var.endpoint_vcpus) before it meets the threshold.
  utilization_alarms = {
    cpu    = { metric = "CPUUtilization", threshold = var.alarm_thresholds.cpu_utilization_percent, divisor = var.endpoint_vcpus }
    memory = { metric = "MemoryUtilization", threshold = var.alarm_thresholds.memory_utilization_percent, divisor = 1 }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.log_group_names

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = merge(var.tags, { Purpose = each.key })
}

resource "aws_sns_topic" "alerts" {
  name              = local.topic_name
  display_name      = "${var.name_prefix} alerts"
  kms_master_key_id = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AlarmsAndBudgetsPublish"
        Effect    = "Allow"
        Principal = { Service = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
      {
        Sid       = "PipelineFailureRulePublishes"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.pipeline_failed.arn } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "endpoint_error_rate" {
  for_each = local.error_rate_alarms

  alarm_name          = "${var.endpoint_name}-${each.key}-rate"
  alarm_description   = "More than ${each.value.threshold}% of ${var.endpoint_name} invocations returned ${upper(each.key)}"
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  metric_query {
    id          = "rate"
    expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
    label       = "${upper(each.key)} rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/SageMaker"
      metric_name = each.value.metric
      dimensions  = local.endpoint_dimensions
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "invocations"

    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      dimensions  = local.endpoint_dimensions
      period      = 300
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "model_latency_p99" {
  alarm_name          = "${var.endpoint_name}-model-latency-p99"
  alarm_description   = "p99 ModelLatency of ${var.endpoint_name} above ${var.alarm_thresholds.model_latency_p99_ms} ms"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  dimensions          = local.endpoint_dimensions
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  # ModelLatency is reported in microseconds.
  threshold          = var.alarm_thresholds.model_latency_p99_ms * 1000
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alerts.arn]
  ok_actions         = [aws_sns_topic.alerts.arn]
  tags               = var.tags
}

# Rollback alarms: what SageMaker watches while a blue/green deployment bakes (the endpoint's
# AutoRollbackConfiguration). On 60-second periods, 2 of 3 datapoints, so an alarm can trip
# within a bake of 180 s; the paging alarms above use 5-minute periods and would need 15 min.
# No actions: a rollback alarm rolls the deployment back, the alarms above page people.
resource "aws_cloudwatch_metric_alarm" "rollback_5xx_rate" {
  alarm_name          = "${var.endpoint_name}-rollback-5xx-rate"
  alarm_description   = "Roll a deployment of ${var.endpoint_name} back: more than ${var.alarm_thresholds.endpoint_5xx_rate_percent}% 5XX in a minute"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_thresholds.endpoint_5xx_rate_percent
  evaluation_periods  = local.rollback_evaluation_periods
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
    label       = "5XX rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocation5XXErrors"
      dimensions  = local.endpoint_dimensions
      period      = local.rollback_period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id = "invocations"

    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      dimensions  = local.endpoint_dimensions
      period      = local.rollback_period_seconds
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "rollback_model_latency_p99" {
  alarm_name          = "${var.endpoint_name}-rollback-model-latency-p99"
  alarm_description   = "Roll a deployment of ${var.endpoint_name} back: p99 ModelLatency above ${var.alarm_thresholds.model_latency_p99_ms} ms in a minute"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  dimensions          = local.endpoint_dimensions
  extended_statistic  = "p99"
  period              = local.rollback_period_seconds
  evaluation_periods  = local.rollback_evaluation_periods
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_thresholds.model_latency_p99_ms * 1000
  treat_missing_data  = "notBreaching"
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "endpoint_utilization" {
  for_each = local.utilization_alarms

  alarm_name          = "${var.endpoint_name}-${each.key}-utilization"
  alarm_description   = "${each.value.metric} of ${var.endpoint_name} above ${each.value.threshold}% of the instance"
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  metric_query {
    id          = "percent"
    expression  = "raw / ${each.value.divisor}"
    label       = "${each.value.metric} (% of the instance)"
    return_data = true
  }

  metric_query {
    id = "raw"

    metric {
      namespace   = "/aws/sagemaker/Endpoints"
      metric_name = each.value.metric
      dimensions  = local.endpoint_dimensions
      period      = 300
      stat        = "Average"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "pipeline_failed" {
  name        = "${var.name_prefix}-pipeline-failed"
  description = "A ${var.pipeline_name} pipeline execution failed"
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Building Pipeline Execution Status Change"]
    detail = {
      currentPipelineExecutionStatus = ["Failed"]
      pipelineArn                    = [local.pipeline_arn]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "pipeline_failed" {
  rule      = aws_cloudwatch_event_rule.pipeline_failed.name
  target_id = "alerts-topic"
  arn       = aws_sns_topic.alerts.arn

  input_transformer {
    input_paths = {
      execution = "$.detail.pipelineExecutionArn"
      status    = "$.detail.currentPipelineExecutionStatus"
    }
    input_template = "\"Pipeline ${var.pipeline_name}: execution <execution> is <status>.\""
  }
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  # `project` and `environment` are the tags the orchestrator sets on everything it creates in
  # SageMaker and the root module sets on every resource; both must match (Budgets API,
  # Expression: "And"), so environments sharing one account keep separate budgets. A tag counts
  # only once it is activated as a cost allocation tag in Billing (AWS Billing User Guide,
  # "Activating user-defined cost allocation tags"); costs before that are not tagged.
  filter_expression {
    and {
      tags {
        key    = "project"
        values = [var.project]
      }
    }
    and {
      tags {
        key    = "environment"
        values = [var.environment]
      }
    }
  }

  dynamic "notification" {
    for_each = toset(var.budget_alert_thresholds_percent)

    content {
      comparison_operator        = "GREATER_THAN"
      notification_type          = "ACTUAL"
      threshold                  = notification.value
      threshold_type             = "PERCENTAGE"
      subscriber_sns_topic_arns  = [aws_sns_topic.alerts.arn]
      subscriber_email_addresses = var.alert_email_addresses
    }
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    notification_type          = "FORECASTED"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    subscriber_sns_topic_arns  = [aws_sns_topic.alerts.arn]
    subscriber_email_addresses = var.alert_email_addresses
  }

  tags = var.tags
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Invocations and errors"
          region = var.region
          stat   = "Sum"
          period = 300
          metrics = [
            ["AWS/SageMaker", "Invocations", "EndpointName", var.endpoint_name, "VariantName", var.variant_name],
            ["AWS/SageMaker", "Invocation4XXErrors", "EndpointName", var.endpoint_name, "VariantName", var.variant_name],
            ["AWS/SageMaker", "Invocation5XXErrors", "EndpointName", var.endpoint_name, "VariantName", var.variant_name],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "ModelLatency p99 (microseconds)"
          region  = var.region
          stat    = "p99"
          period  = 300
          metrics = [["AWS/SageMaker", "ModelLatency", "EndpointName", var.endpoint_name, "VariantName", var.variant_name]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "CPU and memory (% of the instance)"
          region = var.region
          stat   = "Average"
          period = 300
          metrics = [
            [{ expression = "cpu / ${var.endpoint_vcpus}", label = "CPU (% of the instance)", id = "cpupct" }],
            ["/aws/sagemaker/Endpoints", "CPUUtilization", "EndpointName", var.endpoint_name, "VariantName", var.variant_name, { id = "cpu", visible = false }],
            ["/aws/sagemaker/Endpoints", "MemoryUtilization", "EndpointName", var.endpoint_name, "VariantName", var.variant_name],
          ]
        }
      },
      {
        type = "alarm", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "Alarms"
          alarms = concat(
            [for alarm in aws_cloudwatch_metric_alarm.endpoint_error_rate : alarm.arn],
            [aws_cloudwatch_metric_alarm.model_latency_p99.arn],
            [for alarm in aws_cloudwatch_metric_alarm.endpoint_utilization : alarm.arn],
            [aws_cloudwatch_metric_alarm.model_drift.arn],
          )
        }
      },
      {
        # SageMaker reports instance metrics per variant, averaged over its instances.
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title   = "Disk (% of the instance volume)"
          region  = var.region
          stat    = "Average"
          period  = 300
          metrics = [["/aws/sagemaker/Endpoints", "DiskUtilization", "EndpointName", var.endpoint_name, "VariantName", var.variant_name]]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "Requests and rows (serving container, EMF)"
          region = var.region
          stat   = "Sum"
          period = 300
          metrics = [
            [var.serving_metrics_namespace, "Requests", "EndpointName", var.endpoint_name, "VariantName", var.variant_name],
            [var.serving_metrics_namespace, "Rows", "EndpointName", var.endpoint_name, "VariantName", var.variant_name],
            [var.serving_metrics_namespace, "MaxRowsPerRequest", "EndpointName", var.endpoint_name, "VariantName", var.variant_name, { stat = "Maximum" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 12, height = 6
        properties = {
          title  = "Predicted classes"
          region = var.region
          period = 300
          metrics = [[{
            expression = "SEARCH('{${var.serving_metrics_namespace},EndpointName,VariantName,PredictedClass} MetricName=\"Predictions\" EndpointName=\"${var.endpoint_name}\"', 'Sum', 300)"
            id         = "classes"
          }]]
        }
      },
      {
        type = "metric", x = 12, y = 18, width = 12, height = 6
        properties = {
          title  = "Score histogram (predictions per bucket)"
          region = var.region
          period = 300
          metrics = [[{
            expression = "SEARCH('{${var.serving_metrics_namespace},EndpointName,VariantName,ScoreBucket} MetricName=\"ScoreCount\" EndpointName=\"${var.endpoint_name}\"', 'Sum', 300)"
            id         = "buckets"
          }]]
        }
      },
      {
        type = "metric", x = 0, y = 24, width = 12, height = 6
        properties = {
          title  = "Drift (hourly check)"
          region = var.region
          stat   = "Maximum"
          period = 3600
          metrics = [
            [local.drift_namespace, "drift_detected", "Endpoint", var.endpoint_name, "MonitoringSchedule", local.drift_schedule_name],
            [local.drift_namespace, "drifted_features", "Endpoint", var.endpoint_name, "MonitoringSchedule", local.drift_schedule_name],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 24, width = 12, height = 6
        properties = {
          title  = "Pipeline executions"
          region = var.region
          stat   = "Sum"
          period = 3600
          metrics = [
            for metric in ["ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionStopped"] :
            ["AWS/Sagemaker/ModelBuildingPipeline", metric, "PipelineName", var.pipeline_name]
          ]
        }
      },
      {
        type = "metric", x = 0, y = 30, width = 12, height = 6
        properties = {
          title  = "Drift, ad-hoc runs (orchestrator monitor run)"
          region = var.region
          stat   = "Maximum"
          period = 3600
          metrics = [
            [local.adhoc_drift_namespace, "drift_detected", "EndpointName", var.endpoint_name],
            [local.adhoc_drift_namespace, "drifted_features", "EndpointName", var.endpoint_name],
            [local.adhoc_drift_namespace, "rows_analyzed", "EndpointName", var.endpoint_name, { yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 30, width = 12, height = 6
        properties = {
          title  = "PSI per feature, ad-hoc runs"
          region = var.region
          period = 3600
          metrics = [[{
            expression = "SEARCH('{${local.adhoc_drift_namespace},EndpointName,Feature} MetricName=\"feature_psi\" EndpointName=\"${var.endpoint_name}\"', 'Maximum', 3600)"
            id         = "psi"
          }]]
        }
      },
      {
        type = "log", x = 0, y = 36, width = 24, height = 6
        properties = {
          title  = "Slowest requests (last period)"
          region = var.region
          view   = "table"
          query  = "SOURCE '${local.endpoint_log_group}' | ${replace(trimspace(local.log_queries["slowest-requests"].query), "\n", " ")}"
        }
      },
    ]
  })
}
