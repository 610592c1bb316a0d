# Three identities, each limited to this project's resources:
# - the SageMaker execution role that jobs and endpoints run as,
# - the pipeline role that SageMaker Pipelines uses to start those jobs,
# - a customer-managed policy for CI / the orchestrator (submit pipelines, manage the endpoint).
# No AWS managed *FullAccess policy is attached and no statement allows a "*" action. Where an
# action supports no resource-level permission AWS requires Resource "*"; those are listed in
# terraform/README.md ("Resource * allowlist") and checked by tests/terraform.

locals {
  arn_prefix       = "arn:${var.partition}"
  sagemaker_arn    = "${local.arn_prefix}:sagemaker:${var.region}:${var.account_id}"
  pipeline_arn     = "${local.sagemaker_arn}:pipeline/${lower(var.pipeline_name)}"
  endpoint_arn     = "${local.sagemaker_arn}:endpoint/${lower(var.endpoint_name)}"
  group_arn        = "${local.sagemaker_arn}:model-package-group/${lower(var.model_package_group_name)}"
  packages_arn     = "${local.sagemaker_arn}:model-package/${lower(var.model_package_group_name)}/*"
  network_if_arn   = "${local.arn_prefix}:ec2:${var.region}:${var.account_id}:network-interface/*"
  project_buckets  = [var.data_bucket_arn, var.artifacts_bucket_arn]
  project_keys     = [var.data_kms_key_arn, var.artifacts_kms_key_arn]
  log_stream_arns  = [for arn in var.log_group_arns : "${arn}:log-stream:*"]
  sagemaker_domain = "sagemaker.amazonaws.com"
  transform_arn    = "${local.sagemaker_arn}:transform-job/${lower(var.name_prefix)}-transform-*"
  alarm_arn        = "${local.arn_prefix}:cloudwatch:${var.region}:${var.account_id}:alarm"
  # Target-tracking alarms Application Auto Scaling creates for the endpoint's variant.
  scaling_alarms_arn = "${local.alarm_arn}:TargetTracking-endpoint/${var.endpoint_name}/*"
  scalable_targets   = "${local.arn_prefix}:application-autoscaling:${var.region}:${var.account_id}:scalable-target/*"
  autoscaling_domain = "sagemaker.application-autoscaling.amazonaws.com"

  key_use_actions = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]

  # Jobs must run in the project's subnets and security groups and encrypt with its keys.
  job_network_condition = {
    "ForAllValues:StringEquals" = {
      "sagemaker:VpcSubnets"          = var.subnet_ids
      "sagemaker:VpcSecurityGroupIds" = var.security_group_ids
    }
    Null = { "sagemaker:VpcSubnets" = "false" }
  }
  job_encryption_condition = {
    StringEquals = {
      "sagemaker:VolumeKmsKey" = var.data_kms_key_arn
      "sagemaker:OutputKmsKey" = var.artifacts_kms_key_arn
    }
  }

  sagemaker_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = local.sagemaker_domain }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
    ]
  })

  pass_execution_role = {
    Sid       = "PassExecutionRoleToSageMakerOnly"
    Effect    = "Allow"
    Action    = "iam:PassRole"
    Resource  = aws_iam_role.execution.arn
    Condition = { StringEquals = { "iam:PassedToService" = local.sagemaker_domain } }
  }
}

resource "aws_iam_role" "execution" {
  name                 = "${var.name_prefix}-sagemaker-execution"
  description          = "Runs ${var.name_prefix} SageMaker processing, training, transform jobs and endpoints"
  assume_role_policy   = local.sagemaker_trust_policy
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "project-resources"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListProjectBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = local.project_buckets
      },
      {
        Sid      = "ReadData"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${var.data_bucket_arn}/*"]
      },
      {
        Sid      = "ReadWriteArtifacts"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
        Resource = ["${var.artifacts_bucket_arn}/*"]
      },
      {
        Sid      = "UseProjectKeys"
        Effect   = "Allow"
        Action   = local.key_use_actions
        Resource = local.project_keys
      },
      {
        Sid       = "GrantProjectKeysToAwsResources"
        Effect    = "Allow"
        Action    = ["kms:CreateGrant"]
        Resource  = local.project_keys
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        Sid      = "PullProjectImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = [var.ecr_repository_arn]
      },
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid      = "WriteProjectLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = concat(var.log_group_arns, local.log_stream_arns)
      },
      {
        Sid       = "PublishSageMakerMetrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = "*"
        Condition = { StringLike = { "cloudwatch:namespace" = ["/aws/sagemaker/*", "aws/sagemaker/*"] } }
      },
      {
        Sid    = "DescribeNetwork"
        Effect = "Allow"
        Action = [
          "ec2:DescribeDhcpOptions",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSubnets",
          "ec2:DescribeVpcs",
        ]
        Resource = "*"
      },
      {
        Sid      = "CreateInterfacesInProjectSubnets"
        Effect   = "Allow"
        Action   = ["ec2:CreateNetworkInterface"]
        Resource = concat(var.subnet_arns, var.security_group_arns, [local.network_if_arn])
      },
      {
        Sid    = "ManageInterfacesInProjectVpc"
        Effect = "Allow"
        Action = [
          "ec2:CreateNetworkInterfacePermission",
          "ec2:DeleteNetworkInterface",
          "ec2:DeleteNetworkInterfacePermission",
        ]
        Resource  = [local.network_if_arn]
        Condition = { ArnEquals = { "ec2:Vpc" = var.vpc_arn } }
      },
    ]
  })
}

resource "aws_iam_role" "pipeline" {
  name                 = "${var.name_prefix}-sagemaker-pipeline"
  description          = "Lets SageMaker Pipelines start the ${var.name_prefix} jobs and register models"
  assume_role_policy   = local.sagemaker_trust_policy
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "pipeline" {
  name = "run-project-pipeline"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "StartJobsInProjectVpcWithProjectKeys"
        Effect = "Allow"
        Action = ["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob"]
        Resource = [
          "${local.sagemaker_arn}:processing-job/*",
          "${local.sagemaker_arn}:training-job/*",
        ]
        Condition = merge(local.job_network_condition, local.job_encryption_condition)
      },
      {
        Sid       = "StartTransformJobsWithProjectKeys"
        Effect    = "Allow"
        Action    = ["sagemaker:CreateTransformJob"]
        Resource  = ["${local.sagemaker_arn}:transform-job/*"]
        Condition = local.job_encryption_condition
      },
      {
        Sid       = "CreateModelsInProjectVpc"
        Effect    = "Allow"
        Action    = ["sagemaker:CreateModel"]
        Resource  = ["${local.sagemaker_arn}:model/*"]
        Condition = local.job_network_condition
      },
      {
        Sid    = "FollowJobs"
        Effect = "Allow"
        Action = [
          "sagemaker:AddTags",
          "sagemaker:DescribeModel",
          "sagemaker:DescribeProcessingJob",
          "sagemaker:DescribeTrainingJob",
          "sagemaker:DescribeTransformJob",
          "sagemaker:StopProcessingJob",
          "sagemaker:StopTrainingJob",
          "sagemaker:StopTransformJob",
        ]
        Resource = [
          "${local.sagemaker_arn}:model/*",
          "${local.sagemaker_arn}:processing-job/*",
          "${local.sagemaker_arn}:training-job/*",
          "${local.sagemaker_arn}:transform-job/*",
        ]
      },
      {
        Sid    = "RegisterModelsInProjectGroup"
        Effect = "Allow"
        Action = [
          "sagemaker:CreateModelPackage",
          "sagemaker:DescribeModelPackage",
          "sagemaker:DescribeModelPackageGroup",
        ]
        Resource = [local.group_arn, local.packages_arn]
      },
      local.pass_execution_role,
      {
        Sid      = "ListProjectBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = local.project_buckets
      },
      {
        Sid      = "ReadData"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${var.data_bucket_arn}/*"]
      },
      {
        Sid      = "ReadWriteArtifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${var.artifacts_bucket_arn}/*"]
      },
      {
        Sid      = "UseProjectKeys"
        Effect   = "Allow"
        Action   = local.key_use_actions
        Resource = local.project_keys
      },
    ]
  })
}

resource "aws_iam_policy" "orchestrator" {
  name        = "${var.name_prefix}-orchestrator"
  description = "CI / orchestrator: submit the ${var.name_prefix} pipeline and manage its endpoint, nothing else"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "ManageProjectPipeline"
        Effect = "Allow"
        Action = [
          "sagemaker:AddTags",
          "sagemaker:CreatePipeline",
          "sagemaker:DescribePipeline",
          "sagemaker:DescribePipelineDefinitionForExecution",
          "sagemaker:DescribePipelineExecution",
          "sagemaker:ListPipelineExecutionSteps",
          "sagemaker:ListPipelineExecutions",
          "sagemaker:ListTags",
          "sagemaker:StartPipelineExecution",
          "sagemaker:StopPipelineExecution",
          "sagemaker:UpdatePipeline",
        ]
        Resource = [local.pipeline_arn, "${local.pipeline_arn}/execution/*"]
      },
      {
        Sid    = "ManageProjectEndpoint"
        Effect = "Allow"
        Action = [
          "sagemaker:AddTags",
          "sagemaker:CreateEndpoint",
          "sagemaker:DeleteEndpoint",
          "sagemaker:DeleteEndpointConfig",
          "sagemaker:DeleteModel",
          "sagemaker:DescribeEndpoint",
          "sagemaker:DescribeEndpointConfig",
          "sagemaker:DescribeModel",
          "sagemaker:InvokeEndpoint",
          "sagemaker:ListTags",
          "sagemaker:UpdateEndpoint",
          "sagemaker:UpdateEndpointWeightsAndCapacities",
        ]
        Resource = [
          local.endpoint_arn,
          "${local.sagemaker_arn}:endpoint-config/${lower(var.endpoint_name)}-*",
          "${local.sagemaker_arn}:model/${lower(var.endpoint_name)}-*",
        ]
      },
      {
        Sid       = "CreateEndpointConfigsWithProjectKey"
        Effect    = "Allow"
        Action    = ["sagemaker:CreateEndpointConfig"]
        Resource  = ["${local.sagemaker_arn}:endpoint-config/${lower(var.endpoint_name)}-*"]
        Condition = { StringEquals = { "sagemaker:VolumeKmsKey" = var.data_kms_key_arn } }
      },
      {
        Sid       = "CreateEndpointModelsInProjectVpc"
        Effect    = "Allow"
        Action    = ["sagemaker:CreateModel"]
        Resource  = ["${local.sagemaker_arn}:model/${lower(var.endpoint_name)}-*"]
        Condition = local.job_network_condition
      },
      {
        Sid      = "FindEndpointConfigs"
        Effect   = "Allow"
        Action   = ["sagemaker:ListEndpointConfigs"]
        Resource = "*"
      },
      {
        Sid       = "RunProjectTransformJobsWithProjectKeys"
        Effect    = "Allow"
        Action    = ["sagemaker:CreateTransformJob"]
        Resource  = [local.transform_arn]
        Condition = local.job_encryption_condition
      },
      {
        Sid      = "FollowProjectTransformJobs"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob"]
        Resource = [local.transform_arn]
      },
      {
        Sid       = "ScaleSageMakerEndpointVariants"
        Effect    = "Allow"
        Action    = ["application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"]
        Resource  = [local.scalable_targets]
        Condition = { StringEquals = { "application-autoscaling:service-namespace" = "sagemaker", "application-autoscaling:scalable-dimension" = "sagemaker:variant:DesiredInstanceCount" } }
      },
      {
        Sid      = "ReadAutoscaling"
        Effect   = "Allow"
        Action   = ["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"]
        Resource = "*"
      },
      {
        Sid       = "CreateEndpointAutoscalingServiceLinkedRole"
        Effect    = "Allow"
        Action    = ["iam:CreateServiceLinkedRole"]
        Resource  = ["${local.arn_prefix}:iam::${var.account_id}:role/aws-service-role/${local.autoscaling_domain}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"]
        Condition = { StringEquals = { "iam:AWSServiceName" = local.autoscaling_domain } }
      },
      {
        Sid      = "ReadEndpointAlarms"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarms"]
        Resource = ["${local.alarm_arn}:${var.endpoint_name}-*", local.scaling_alarms_arn]
      },
      {
        Sid      = "ManageEndpointScalingAlarms"
        Effect   = "Allow"
        Action   = ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"]
        Resource = [local.scaling_alarms_arn]
      },
      {
        Sid    = "ReviewAndApproveProjectModels"
        Effect = "Allow"
        Action = [
          "sagemaker:CreateModelPackageGroup",
          "sagemaker:DescribeModelPackage",
          "sagemaker:DescribeModelPackageGroup",
          "sagemaker:UpdateModelPackage",
        ]
        Resource = [local.group_arn, local.packages_arn]
      },
      {
        Sid      = "FindModelPackages"
        Effect   = "Allow"
        Action   = ["sagemaker:ListModelPackageGroups", "sagemaker:ListModelPackages"]
        Resource = "*"
      },
      local.pass_execution_role,
      {
        Sid       = "PassPipelineRoleToSageMakerOnly"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = aws_iam_role.pipeline.arn
        Condition = { StringEquals = { "iam:PassedToService" = local.sagemaker_domain } }
      },
      {
        Sid      = "ListProjectBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = local.project_buckets
      },
      {
        Sid      = "UploadData"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
        Resource = ["${var.data_bucket_arn}/*"]
      },
      {
        Sid      = "ReadArtifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${var.artifacts_bucket_arn}/*"]
      },
      {
        Sid      = "UseProjectKeys"
        Effect   = "Allow"
        Action   = local.key_use_actions
        Resource = local.project_keys
      },
      {
        Sid      = "ReadProjectLogs"
        Effect   = "Allow"
        Action   = ["logs:FilterLogEvents", "logs:GetLogEvents"]
        Resource = concat(var.log_group_arns, local.log_stream_arns)
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "orchestrator" {
  for_each = toset(var.orchestrator_role_names)

  role       = each.value
  policy_arn = aws_iam_policy.orchestrator.arn
}

# Building and publishing the image (`orchestrator image push`) and resolving it by digest at
# upsert/deploy time. A policy of its own: the orchestrator policy is near the 6,144-character
# managed-policy quota, and CI jobs that only publish images can be given this one alone.
# - GetAuthorizationToken: the registry login; it has no resource-level permissions ("*").
# - Layer upload + PutImage: what `docker/podman push` calls (ECR user guide, "Required IAM
#   permissions for pushing an image"); PutImage also adds the keep- protection tag.
# - DescribeImages: the digest a tag holds (before a push, after it, and at upsert).
# - BatchGetImage: the manifest of a digest (is this tag our build? re-tag for protection).
resource "aws_iam_policy" "image_publisher" {
  name        = "${var.name_prefix}-image-publisher"
  description = "CI / orchestrator: push the ${var.name_prefix} image and resolve it by digest, nothing else"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid    = "PushAndResolveProjectImage"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability",
          "ecr:BatchGetImage",
          "ecr:CompleteLayerUpload",
          "ecr:DescribeImages",
          "ecr:InitiateLayerUpload",
          "ecr:PutImage",
          "ecr:UploadLayerPart",
        ]
        Resource = [var.ecr_repository_arn]
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "image_publisher" {
  for_each = toset(var.orchestrator_role_names)

  role       = each.value
  policy_arn = aws_iam_policy.image_publisher.arn
}
