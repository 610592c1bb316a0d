variable "name_prefix" {
  type        = string
  description = "Prefix of topic, rule, budget and dashboard names, usually <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "project" {
  type        = string
  description = "Project name; the budget counts costs tagged project=<project> and environment=<environment> (activate both as cost allocation tags)."
}

variable "environment" {
  type        = string
  description = "Environment name (dev, staging, prod); with project, the tags the budget counts, so environments sharing an account keep separate budgets."
}

variable "account_id" {
  type        = string
  description = "AWS account id, used in ARNs and the topic policy's source-account condition."
}

variable "partition" {
  type        = string
  description = "AWS partition (aws, aws-cn, aws-us-gov) used to build ARNs."
}

variable "region" {
  type        = string
  description = "Region shown on the dashboard widgets."
}

variable "log_group_names" {
  type        = map(string)
  description = "Log groups this stack owns and creates, by purpose (endpoint, orchestrator; the account-wide SageMaker job groups only when the stack owns them)."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of every log group in days (a value CloudWatch Logs accepts)."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "logs_kms_key_arn" {
  type        = string
  description = "KMS key ARN that encrypts the log groups and the alert topic."
}

variable "endpoint_name" {
  type        = string
  description = "SageMaker endpoint the alarms and dashboard watch."
}

variable "endpoint_vcpus" {
  type        = number
  description = "vCPUs of the endpoint's instance type; CPUUtilization (summed over vCPUs) is divided by it so the CPU threshold is percent of the instance."
  default     = 2

  validation {
    condition     = var.endpoint_vcpus >= 1 && floor(var.endpoint_vcpus) == var.endpoint_vcpus
    error_message = "endpoint_vcpus must be a whole number of vCPUs, at least 1."
  }
}

variable "variant_name" {
  type        = string
  description = "Production variant of the endpoint the alarms watch."
  default     = "AllTraffic"
}

variable "pipeline_name" {
  type        = string
  description = "SageMaker pipeline whose failed executions raise an alert."
}

variable "alarm_thresholds" {
  type = object({
    endpoint_5xx_rate_percent  = number
    endpoint_4xx_rate_percent  = number
    model_latency_p99_ms       = number
    cpu_utilization_percent    = number
    memory_utilization_percent = number
  })
  description = "Alarm thresholds: 5XX and 4XX rates in percent of invocations, p99 model latency in milliseconds, CPU and memory in percent."
  default = {
    endpoint_5xx_rate_percent  = 1
    endpoint_4xx_rate_percent  = 5
    model_latency_p99_ms       = 500
    cpu_utilization_percent    = 80
    memory_utilization_percent = 80
  }

  validation {
    condition = alltrue([
      for value in [
        var.alarm_thresholds.endpoint_5xx_rate_percent,
        var.alarm_thresholds.endpoint_4xx_rate_percent,
        var.alarm_thresholds.cpu_utilization_percent,
        var.alarm_thresholds.memory_utilization_percent,
      ] : value > 0 && value <= 100
    ]) && var.alarm_thresholds.model_latency_p99_ms > 0
    error_message = "alarm_thresholds: percentages must be in (0, 100] and model_latency_p99_ms must be positive."
  }
}

variable "alert_email_addresses" {
  type        = list(string)
  description = "Addresses subscribed to the alert topic and the budget notifications (each must confirm by mail)."
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alert_email_addresses must be e-mail addresses such as ml-oncall@example.com."
  }
}

variable "monthly_budget_usd" {
  type        = number
  description = "Monthly cost budget in US dollars for resources tagged with the project."

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be a positive amount of US dollars."
  }
}

variable "budget_alert_thresholds_percent" {
  type        = list(number)
  description = "Percentages of the budget at which actual spend notifies the alert topic."
  default     = [50, 80, 100]

  validation {
    condition     = length(var.budget_alert_thresholds_percent) > 0 && alltrue([for value in var.budget_alert_thresholds_percent : value > 0 && value <= 1000])
    error_message = "budget_alert_thresholds_percent must list at least one percentage between 0 (exclusive) and 1000."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}

variable "serving_metrics_namespace" {
  type        = string
  description = "CloudWatch namespace of the serving container's EMF metrics (SERVE_METRICS_NAMESPACE; the container's default is MLOps/Serving): latency and errors per request, prediction class counts, score buckets, rows per request."
  default     = "MLOps/Serving"

  validation {
    condition     = length(var.serving_metrics_namespace) >= 1 && length(var.serving_metrics_namespace) <= 255 && !startswith(var.serving_metrics_namespace, "AWS/")
    error_message = "serving_metrics_namespace must be 1-255 characters and must not start with AWS/ (reserved for AWS services)."
  }
}

variable "drift_alarm_evaluation_periods" {
  type        = number
  description = "Hourly drift checks in a row that must report drift_detected >= 1 before the drift alarm notifies the alert topic."
  default     = 1

  validation {
    condition     = var.drift_alarm_evaluation_periods >= 1 && var.drift_alarm_evaluation_periods <= 24 && floor(var.drift_alarm_evaluation_periods) == var.drift_alarm_evaluation_periods
    error_message = "drift_alarm_evaluation_periods must be a whole number of hourly checks from 1 to 24."
  }
}

variable "sagemaker_job_log_group_names" {
  type        = list(string)
  description = "SageMaker's account-wide job log groups the Logs Insights queries also search (a request id or an error across the pipeline's jobs), whether or not this stack owns them."
  default     = ["/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TrainingJobs", "/aws/sagemaker/TransformJobs"]

  validation {
    condition     = alltrue([for name in var.sagemaker_job_log_group_names : startswith(name, "/aws/sagemaker/")])
    error_message = "sagemaker_job_log_group_names must name SageMaker log groups (/aws/sagemaker/...)."
  }
}
