# A private-only VPC for SageMaker jobs and endpoints. There is no internet or NAT gateway:
# AWS APIs are reached through VPC endpoints (S3 through a gateway endpoint, everything else
# through interface endpoints with private DNS). Security groups only let workloads talk to
# those endpoints, to S3 and to each other (distributed training); the default security group
# is emptied. VPC flow logs go to a KMS-encrypted log group.

locals {
  interface_services = toset(var.interface_endpoint_services)
  subnets = {
    for index, zone in var.availability_zones : zone => cidrsubnet(var.vpc_cidr, var.subnet_newbits, index)
  }
  flow_log_group_arn = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:${var.flow_log_group_name}"

  # IAM prefix of each interface endpoint service. All of these support VPC endpoint policies
  # (AWS PrivateLink guide, "AWS services that integrate with AWS PrivateLink", column
  # "Full policy support"). The policy is a perimeter, not a grant: only principals of this
  # account may call the service through the project's VPC, so a stolen credential of another
  # account cannot be used from inside it (PrivateLink guide, "Control access to VPC endpoints
  # using endpoint policies"; aws:PrincipalAccount, IAM User Guide, global condition keys).
  endpoint_policy_prefixes = {
    "sagemaker.api"     = "sagemaker"
    "sagemaker.runtime" = "sagemaker"
    "sts"               = "sts"
    "logs"              = "logs"
    "ecr.api"           = "ecr"
    "ecr.dkr"           = "ecr"
    "kms"               = "kms"
    "monitoring"        = "cloudwatch"
  }
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = var.name_prefix })
}

resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-default-unused" })
}

resource "aws_subnet" "private" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false
  tags                    = merge(var.tags, { Name = "${var.name_prefix}-private-${each.key}", Tier = "private" })
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

resource "aws_security_group" "workloads" {
  #checkov:skip=CKV2_AWS_5:Attached by SageMaker jobs and endpoints the orchestrator creates (NetworkConfig/VpcConfig from the sagemaker_security_group_ids output), not by a Terraform resource.
  name        = "${var.name_prefix}-sagemaker"
  description = "SageMaker jobs and endpoints: egress only to VPC endpoints, S3 and each other"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-sagemaker" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-vpc-endpoints"
  description = "Interface VPC endpoints: HTTPS from the SageMaker security group only"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-vpc-endpoints" })
}

resource "aws_vpc_security_group_egress_rule" "workloads_to_endpoints" {
  security_group_id            = aws_security_group.workloads.id
  description                  = "HTTPS to the interface VPC endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id
}

resource "aws_vpc_security_group_egress_rule" "workloads_to_s3" {
  security_group_id = aws_security_group.workloads.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
}

resource "aws_vpc_security_group_egress_rule" "workloads_to_self" {
  security_group_id            = aws_security_group.workloads.id
  description                  = "Traffic between instances of one distributed training job"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.workloads.id
}

resource "aws_vpc_security_group_ingress_rule" "workloads_from_self" {
  security_group_id            = aws_security_group.workloads.id
  description                  = "Traffic between instances of one distributed training job"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.workloads.id
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_workloads" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from SageMaker jobs and endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.workloads.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  # Only the project's buckets and the bucket ECR serves image layers from are reachable
  # through this VPC: a compromised job cannot copy data to a bucket of its own.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ProjectBucketsOnly"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource  = concat(var.s3_bucket_arns, [for arn in var.s3_bucket_arns : "${arn}/*"])
      },
      {
        Sid       = "EcrImageLayers"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:GetObject"]
        Resource  = ["arn:${var.partition}:s3:::prod-${var.region}-starport-layer-bucket/*"]
      },
    ]
  })
  tags = merge(var.tags, { Name = "${var.name_prefix}-s3" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_services

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for subnet in aws_subnet.private : subnet.id]
  security_group_ids  = [aws_security_group.endpoints.id]
  # A service without a known IAM prefix keeps the default (full access) policy.
  policy = contains(keys(local.endpoint_policy_prefixes), each.key) ? jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ThisAccountsPrincipalsOnly"
        Effect    = "Allow"
        Principal = "*"
        Action    = "${local.endpoint_policy_prefixes[each.key]}:*"
        Resource  = "*"
        Condition = { StringEquals = { "aws:PrincipalAccount" = var.account_id } }
      },
    ]
  }) : null
  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = var.flow_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "flow_logs" {
  name        = "${var.name_prefix}-vpc-flow-logs"
  description = "Lets VPC Flow Logs write to the project's flow-log group"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "vpc-flow-logs.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnLike = {
            "aws:SourceArn" = "arn:${var.partition}:ec2:${var.region}:${var.account_id}:vpc-flow-log/*"
          }
        }
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "write-flow-logs"
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteFlowLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = [local.flow_log_group_arn, "${local.flow_log_group_arn}:log-stream:*"]
      },
    ]
  })
}

resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60
  tags                     = var.tags
}
