output "execution_role_arn" {
  description = "ARN of the SageMaker jobs role (processing, training and tuning jobs run as it)."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "Name of the SageMaker jobs role."
  value       = aws_iam_role.execution.name
}

output "serving_role_arn" {
  description = "ARN of the SageMaker serving role (models of the endpoint and of batch transform jobs run as it)."
  value       = aws_iam_role.serving.arn
}

output "pipeline_role_arn" {
  description = "ARN of the role SageMaker Pipelines assumes (RoleArn of the pipeline)."
  value       = aws_iam_role.pipeline.arn
}

output "orchestrator_policy_arn" {
  description = "ARN of the orchestrator's pipeline policy (one of the three orchestrator policies)."
  value       = aws_iam_policy.orchestrator.arn
}

output "orchestrator_serving_policy_arn" {
  description = "ARN of the orchestrator's endpoint and batch transform policy."
  value       = aws_iam_policy.orchestrator_serving.arn
}

output "orchestrator_data_policy_arn" {
  description = "ARN of the orchestrator's model registry, buckets, keys and logs policy."
  value       = aws_iam_policy.orchestrator_data.arn
}

output "image_publisher_policy_arn" {
  description = "ARN of the customer-managed policy that lets CI / the orchestrator push and resolve the project image."
  value       = aws_iam_policy.image_publisher.arn
}
