output "execution_role_arn" {
  description = "ARN of the SageMaker execution role (jobs, models, endpoints run as it)."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "Name of the SageMaker execution role."
  value       = aws_iam_role.execution.name
}

output "pipeline_role_arn" {
  description = "ARN of the role SageMaker Pipelines assumes (RoleArn of the pipeline)."
  value       = aws_iam_role.pipeline.arn
}

output "orchestrator_policy_arn" {
  description = "ARN of the customer-managed policy to attach to the CI / orchestrator principal."
  value       = aws_iam_policy.orchestrator.arn
}

output "image_publisher_policy_arn" {
  description = "ARN of the customer-managed policy that lets CI / the orchestrator push and resolve the project image."
  value       = aws_iam_policy.image_publisher.arn
}
