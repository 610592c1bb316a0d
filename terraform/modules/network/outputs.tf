output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_arn" {
  description = "ARN of the VPC (used in IAM conditions on network interfaces)."
  value       = aws_vpc.this.arn
}

output "private_subnet_ids" {
  description = "Private subnet IDs, in the order of var.availability_zones."
  value       = [for zone in var.availability_zones : aws_subnet.private[zone].id]
}

output "private_subnet_arns" {
  description = "Private subnet ARNs, in the order of var.availability_zones."
  value       = [for zone in var.availability_zones : aws_subnet.private[zone].arn]
}

output "sagemaker_security_group_id" {
  description = "Security group for SageMaker jobs and endpoints."
  value       = aws_security_group.workloads.id
}

output "sagemaker_security_group_arn" {
  description = "ARN of the SageMaker security group."
  value       = aws_security_group.workloads.arn
}

output "endpoints_security_group_id" {
  description = "Security group of the interface VPC endpoints."
  value       = aws_security_group.endpoints.id
}

output "interface_endpoint_ids" {
  description = "Interface endpoint ID per service suffix."
  value       = { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id }
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "flow_log_group_name" {
  description = "Name of the flow-log group."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
