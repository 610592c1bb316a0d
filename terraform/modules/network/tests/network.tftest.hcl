# Private subnets only, endpoints with private DNS, security groups whose egress reaches only
# the endpoints, S3 and the group itself, and encrypted flow logs.

mock_provider "aws" {}

variables {
  name_prefix         = "mlops-demo-test"
  account_id          = "123456789012"
  partition           = "aws"
  region              = "eu-west-1"
  vpc_cidr            = "10.40.0.0/16"
  availability_zones  = ["eu-west-1a", "eu-west-1b"]
  s3_bucket_arns      = ["arn:aws:s3:::mlops-demo-test-data-123456789012"]
  flow_log_group_name = "/mlops/mlops-demo-test/vpc-flow-logs"
  log_retention_days  = 30
  logs_kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/logs"
}

run "private_network_with_endpoints" {
  command = apply

  assert {
    condition     = length(aws_subnet.private) == 2 && alltrue([for subnet in aws_subnet.private : subnet.map_public_ip_on_launch == false])
    error_message = "One private subnet per zone, none mapping public IPs."
  }

  assert {
    condition = alltrue([
      for service in ["sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr", "kms", "monitoring"] :
      aws_vpc_endpoint.interface[service].private_dns_enabled && aws_vpc_endpoint.interface[service].vpc_endpoint_type == "Interface"
    ])
    error_message = "Every required service needs an interface endpoint with private DNS."
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "S3 must be reached through a gateway endpoint."
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.workloads_to_endpoints.referenced_security_group_id == aws_security_group.endpoints.id &&
      aws_vpc_security_group_egress_rule.workloads_to_s3.prefix_list_id == aws_vpc_endpoint.s3.prefix_list_id &&
      aws_vpc_security_group_egress_rule.workloads_to_self.referenced_security_group_id == aws_security_group.workloads.id
    )
    error_message = "Workload egress may reach only the endpoints, S3 and the group itself."
  }

  assert {
    condition = alltrue([
      for rule in [
        aws_vpc_security_group_egress_rule.workloads_to_endpoints,
        aws_vpc_security_group_egress_rule.workloads_to_s3,
        aws_vpc_security_group_egress_rule.workloads_to_self,
      ] : rule.cidr_ipv4 == null && rule.cidr_ipv6 == null
    ])
    error_message = "No egress rule may open a CIDR range."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no rules."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == var.logs_kms_key_arn && aws_flow_log.this.traffic_type == "ALL"
    error_message = "Flow logs must capture all traffic into a KMS-encrypted log group."
  }
}

run "rejects_a_single_zone" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a"]
  }

  expect_failures = [var.availability_zones]
}

run "rejects_an_invalid_cidr" {
  command = plan

  variables {
    vpc_cidr = "10.40.0.0/8"
  }

  expect_failures = [var.vpc_cidr]
}
