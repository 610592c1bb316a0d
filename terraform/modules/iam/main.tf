# Four identities, each limited to this project's resources:
# - the jobs role that processing, training and tuning jobs run as (`execution`),
# - the serving role that models run as: endpoints and batch transform jobs (`serving`),
# - the pipeline role that SageMaker Pipelines uses to start those jobs,
# - customer-managed policies for CI / the orchestrator, split by job so each stays under IAM's
#   6,144-character managed-policy quota (whitespace not counted; IAM User Guide, "IAM and AWS
#   STS quotas"): `orchestrator` (the pipeline), `orchestrator_serving` (endpoint, autoscaling,
#   batch transform), `orchestrator_data` (model registry, buckets, keys, logs) and
#   `image_publisher` (ECR). tests/terraform/test_policy_sizes.py measures every rendered policy.
# No AWS managed *FullAccess policy is attached and no statement allows a "*" action. Where an
# action supports no resource-level permission AWS requires Resource "*"; those are listed in
# terraform/README.md ("Resource * allowlist") and checked by tests/terraform.

locals {
  arn_prefix    = "arn:${var.partition}"
  sagemaker_arn = "${local.arn_prefix}:sagemaker:${var.region}:${var.account_id}"
  pipeline_arn  = "${local.sagemaker_arn}:pipeline/${lower(var.pipeline_name)}"
  endpoint_arn  = "${local.sagemaker_arn}:endpoint/${lower(var.endpoint_name)}"
  # One model package group per dataset, <group>-<dataset>, created by the orchestrator before a
  # pipeline registers into it (orchestrator/data/identity.py); <group> itself holds versions
  # registered before groups were per dataset.
  group_arns = [
    "${local.sagemaker_arn}:model-package-group/${lower(var.model_package_group_name)}",
    "${local.sagemaker_arn}:model-package-group/${lower(var.model_package_group_name)}-*",
  ]
  package_arns = [
    "${local.sagemaker_arn}:model-package/${lower(var.model_package_group_name)}/*",
    "${local.sagemaker_arn}:model-package/${lower(var.model_package_group_name)}-*/*",
  ]
  network_if_arn   = "${local.arn_prefix}:ec2:${var.region}:${var.account_id}:network-interface/*"
  project_buckets  = [var.data_bucket_arn, var.artifacts_bucket_arn]
  project_keys     = [var.data_kms_key_arn, var.artifacts_kms_key_arn]
  job_logs         = concat(var.job_log_group_arns, [for arn in var.job_log_group_arns : "${arn}:log-stream:*"])
  serving_logs     = concat(var.serving_log_group_arns, [for arn in var.serving_log_group_arns : "${arn}:log-stream:*"])
  sagemaker_domain = "sagemaker.amazonaws.com"
  transform_arn    = "${local.sagemaker_arn}:transform-job/${lower(var.name_prefix)}-transform-*"
  # The endpoint's Model Monitor schedule, <endpoint_name>-drift (backends/aws/monitoring_schedule.py).
  drift_schedule_arn = "${local.sagemaker_arn}:monitoring-schedule/${lower(var.endpoint_name)}-drift"
  # The namespace `orchestrator monitor run` publishes into (orchestrator/flows/monitor_metrics.py
  # NAMESPACE): the project's own, never Model Monitor's aws/sagemaker/Endpoints/data-metrics.
  adhoc_drift_namespace = "MLOps/ModelMonitor"
  alarm_arn             = "${local.arn_prefix}:cloudwatch:${var.region}:${var.account_id}:alarm"
  # The stack's endpoint alarms are all named <endpoint_name>-... (modules/monitoring).
  project_alarms_arn = "${local.alarm_arn}:${var.endpoint_name}-*"
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
    Sid       = "PassJobsRoleToSageMakerOnly"
    Effect    = "Allow"
    Action    = "iam:PassRole"
    Resource  = aws_iam_role.execution.arn
    Condition = { StringEquals = { "iam:PassedToService" = local.sagemaker_domain } }
  }

  # What both roles that run containers need: the project image, key use (and grants SageMaker
  # makes for the ML volumes), SageMaker's metric namespaces and ENIs in the project VPC.
  container_statements = [
    {
      Sid      = "ListProjectBuckets"
      Effect   = "Allow"
      Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
      Resource = local.project_buckets
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

  # Statements kept apart so the tests can find them by Sid; see the policies below.
  job_resources = [
    "${local.sagemaker_arn}:processing-job/*",
    "${local.sagemaker_arn}:training-job/*",
    "${local.sagemaker_arn}:hyper-parameter-tuning-job/*",
  ]
}

resource "aws_iam_role" "execution" {
  name                 = "${var.name_prefix}-sagemaker-execution"
  description          = "Runs ${var.name_prefix} SageMaker processing, training and tuning jobs"
  assume_role_policy   = local.sagemaker_trust_policy
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

# The jobs role: reads the data, writes the artifacts, logs to the job log groups. SageMaker
# creates the account-wide /aws/sagemaker/{Processing,Training}Jobs groups with the job's role
# when they do not exist yet, hence CreateLogGroup on exactly those names.
resource "aws_iam_role_policy" "execution" {
  name = "project-resources"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(local.container_statements, [
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
        Sid      = "WriteJobLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = local.job_logs
      },
    ])
  })
}

resource "aws_iam_role" "serving" {
  name                 = "${var.name_prefix}-sagemaker-serving"
  description          = "Runs ${var.name_prefix} SageMaker models: the endpoint and batch transform jobs"
  assume_role_policy   = local.sagemaker_trust_policy
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

# The serving role: reads model artifacts and batch input, writes batch output and data capture
# (both under the artifacts bucket), logs to the endpoint's and the transform jobs' groups.
# DescribeAlarms: SageMaker reads the auto-rollback alarms of a guarded UpdateEndpoint with the
# endpoint's execution role (SageMaker developer guide, "Auto-Rollback Configuration and
# Monitoring": "Ensure that your IAM execution role has permission to perform the
# cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify").
resource "aws_iam_role_policy" "serving" {
  name = "serve-project-models"
  role = aws_iam_role.serving.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(local.container_statements, [
      {
        Sid      = "ReadModelsAndBatchInput"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${var.data_bucket_arn}/*", "${var.artifacts_bucket_arn}/*"]
      },
      {
        Sid      = "WriteBatchOutputAndDataCapture"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"]
        Resource = ["${var.artifacts_bucket_arn}/*"]
      },
      {
        Sid      = "WriteServingLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = local.serving_logs
      },
      {
        Sid      = "ReadRollbackAlarms"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarms"]
        Resource = [local.project_alarms_arn]
      },
    ])
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

# What the pipeline definition calls (orchestrator/pipeline: Preprocess and Evaluate are
# processing steps, Train is a tuning step, Register is RegisterModel = CreateModelPackage,
# QualityGate and Fail call nothing). SageMaker developer guide, "IAM access management" for
# Pipelines: the pipeline role needs the Create/Describe/Stop actions of each step's job type,
# the tuning step ListTrainingJobsForHyperParameterTuningJob and DescribeTrainingJob (best
# training job), and sagemaker:AddTags because every job is created with Tags (tag-on-create
# authorizes AddTags on the new resource). No model or transform job is created by the pipeline.
resource "aws_iam_role_policy" "pipeline" {
  name = "run-project-pipeline"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "StartJobsInProjectVpcWithProjectKeys"
        Effect    = "Allow"
        Action    = ["sagemaker:CreateHyperParameterTuningJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob"]
        Resource  = local.job_resources
        Condition = merge(local.job_network_condition, local.job_encryption_condition)
      },
      {
        Sid    = "FollowJobs"
        Effect = "Allow"
        Action = [
          "sagemaker:AddTags",
          "sagemaker:DescribeHyperParameterTuningJob",
          "sagemaker:DescribeProcessingJob",
          "sagemaker:DescribeTrainingJob",
          "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
          "sagemaker:StopHyperParameterTuningJob",
          "sagemaker:StopProcessingJob",
          "sagemaker:StopTrainingJob",
        ]
        Resource = local.job_resources
      },
      {
        Sid    = "RegisterModelsInProjectGroup"
        Effect = "Allow"
        Action = [
          "sagemaker:CreateModelPackage",
          "sagemaker:DescribeModelPackage",
          "sagemaker:DescribeModelPackageGroup",
        ]
        Resource = concat(local.group_arns, local.package_arns)
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
      {
        Sid       = "GrantProjectKeysToAwsResources"
        Effect    = "Allow"
        Action    = ["kms:CreateGrant"]
        Resource  = local.project_keys
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
    ]
  })
}

# CI / orchestrator, part 1: the pipeline (create/update/run/follow it), passing the pipeline
# and jobs roles. Kept under this name so `orchestrator_policy_arn` keeps meaning "attach me".
resource "aws_iam_policy" "orchestrator" {
  name        = "${var.name_prefix}-orchestrator"
  description = "CI / orchestrator: create, run and follow the ${var.name_prefix} pipeline, nothing else"
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
          "sagemaker:ListPipelineParametersForExecution",
          "sagemaker:ListTags",
          "sagemaker:RetryPipelineExecution",
          "sagemaker:StartPipelineExecution",
          "sagemaker:StopPipelineExecution",
          "sagemaker:UpdatePipeline",
        ]
        Resource = [local.pipeline_arn, "${local.pipeline_arn}/execution/*"]
      },
      {
        # `orchestrator logs --execution`: a step's job by its name as created (ARNs lowercase
        # it, log streams do not). Pipeline job names carry no project prefix to scope by.
        Sid      = "ReadStepJobNames"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeHyperParameterTuningJob", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob"]
        Resource = local.job_resources
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
        # `orchestrator preflight` reads the SageMaker instance quotas before a run.
        Sid      = "ReadServiceQuotas"
        Effect   = "Allow"
        Action   = ["servicequotas:ListServiceQuotas"]
        Resource = "*"
      },
    ]
  })
  tags = var.tags
}

# CI / orchestrator, part 2: the endpoint (blue/green updates, autoscaling, rollback alarms)
# and batch transform jobs, both running models as the serving role.
resource "aws_iam_policy" "orchestrator_serving" {
  name        = "${var.name_prefix}-orchestrator-serving"
  description = "CI / orchestrator: deploy the ${var.name_prefix} endpoint and run its batch transform jobs, nothing else"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
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
        # AddTags: CreateTransformJob carries Tags (backends/aws/transform.py).
        Sid      = "FollowProjectTransformJobs"
        Effect   = "Allow"
        Action   = ["sagemaker:AddTags", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob"]
        Resource = [local.transform_arn]
      },
      {
        Sid       = "ScaleSageMakerEndpointVariants"
        Effect    = "Allow"
        Action    = ["application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"]
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
        # `orchestrator ui`'s endpoint page: the last hour's latency and errors per variant.
        # GetMetricData has no resource type (Service Authorization Reference, CloudWatch).
        Sid      = "ReadEndpointMetrics"
        Effect   = "Allow"
        Action   = ["cloudwatch:GetMetricData"]
        Resource = "*"
      },
      {
        Sid      = "ReadEndpointAlarms"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarms"]
        Resource = [local.project_alarms_arn, local.scaling_alarms_arn]
      },
      {
        Sid      = "ManageEndpointScalingAlarms"
        Effect   = "Allow"
        Action   = ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"]
        Resource = [local.scaling_alarms_arn]
      },
      {
        # The endpoint's drift schedule (orchestrator/backends/aws/monitoring_schedule.py): its
        # monitor job runs as the jobs role, in the project VPC, with the project keys.
        Sid       = "ConvergeDriftScheduleInProjectVpcWithProjectKeys"
        Effect    = "Allow"
        Action    = ["sagemaker:CreateMonitoringSchedule", "sagemaker:UpdateMonitoringSchedule"]
        Resource  = [local.drift_schedule_arn]
        Condition = merge(local.job_network_condition, local.job_encryption_condition)
      },
      {
        # AddTags: CreateMonitoringSchedule carries Tags.
        Sid      = "FollowDriftSchedule"
        Effect   = "Allow"
        Action   = ["sagemaker:AddTags", "sagemaker:DescribeMonitoringSchedule"]
        Resource = [local.drift_schedule_arn]
      },
      local.pass_execution_role,
      {
        Sid       = "PassServingRoleToSageMakerOnly"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = aws_iam_role.serving.arn
        Condition = { StringEquals = { "iam:PassedToService" = local.sagemaker_domain } }
      },
      ],
      # Only when this stack does not create the service-linked role itself.
      var.create_autoscaling_service_linked_role ? [] : [
        {
          Sid       = "CreateEndpointAutoscalingServiceLinkedRole"
          Effect    = "Allow"
          Action    = ["iam:CreateServiceLinkedRole"]
          Resource  = ["${local.arn_prefix}:iam::${var.account_id}:role/aws-service-role/${local.autoscaling_domain}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"]
          Condition = { StringEquals = { "iam:AWSServiceName" = local.autoscaling_domain } }
        },
    ])
  })
  tags = var.tags
}

# CI / orchestrator, part 3: the model registry, the buckets (upload data and schemas, read
# reports and batch output), key use for those, and the job logs.
resource "aws_iam_policy" "orchestrator_data" {
  name        = "${var.name_prefix}-orchestrator-data"
  description = "CI / orchestrator: review ${var.name_prefix} models, upload data, read artifacts and logs, nothing else"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "ReviewAndApproveProjectModels"
        Effect = "Allow"
        Action = [
          "sagemaker:CreateModelPackageGroup",
          "sagemaker:DescribeModelPackage",
          "sagemaker:DescribeModelPackageGroup",
          "sagemaker:UpdateModelPackage",
        ]
        Resource = concat(local.group_arns, local.package_arns)
      },
      {
        # A dataset's group is created with the project's tags (flows/models.py), which
        # CreateModelPackageGroup authorizes as AddTags on the new group; only on create.
        Sid       = "TagProjectModelGroupsOnCreate"
        Effect    = "Allow"
        Action    = ["sagemaker:AddTags"]
        Resource  = local.group_arns
        Condition = { StringEquals = { "sagemaker:TaggingAction" = "CreateModelPackageGroup" } }
      },
      {
        Sid      = "FindModelPackages"
        Effect   = "Allow"
        Action   = ["sagemaker:ListModelPackageGroups", "sagemaker:ListModelPackages"]
        Resource = "*"
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
        # orchestrator promote: a model copied in from the previous environment is registered
        # here (CreateModelPackage) after its objects are written under promoted/; the source
        # is read through that environment's promotion reader role (promotion.tf there).
        Sid      = "RegisterPromotedModels"
        Effect   = "Allow"
        Action   = ["sagemaker:CreateModelPackage"]
        Resource = concat(local.group_arns, local.package_arns)
      },
      {
        Sid      = "WritePromotedModelObjects"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:PutObject"]
        Resource = ["${var.artifacts_bucket_arn}/promoted/*"]
      },
      {
        Sid      = "ReadPromotionSources"
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = ["${local.arn_prefix}:iam::*:role/*-promotion-reader"]
      },
      {
        # The deployment history (orchestrator/flows/history.py): one new object per deploy,
        # rollback or no-op; no delete, and the versioned bucket keeps any overwrite.
        Sid      = "AppendDeploymentHistory"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${var.artifacts_bucket_arn}/deployments/*"]
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
        Resource = concat(local.job_logs, local.serving_logs)
      },
      {
        # `orchestrator monitor run` publishes its drift metrics. PutMetricData has no resource
        # type (Service Authorization Reference, "Actions, resources, and condition keys for
        # Amazon CloudWatch"), so Resource "*", limited to exactly one namespace with the
        # cloudwatch:namespace condition key, as AWS documents it (CloudWatch User Guide, "Using
        # condition keys to limit access to CloudWatch namespaces",
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
        # Not Model Monitor's namespace: an ad-hoc run must never move the <endpoint>-drift alarm.
        Sid       = "PublishAdHocDriftMetrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = "*"
        Condition = { StringEquals = { "cloudwatch:namespace" = local.adhoc_drift_namespace } }
      },
    ]
  })
  tags = var.tags
}

locals {
  orchestrator_policy_arns = {
    orchestrator         = aws_iam_policy.orchestrator.arn
    orchestrator_serving = aws_iam_policy.orchestrator_serving.arn
    orchestrator_data    = aws_iam_policy.orchestrator_data.arn
    # backup.tf: backup, restore and point-in-time restore (docs/dr.md)
    orchestrator_recovery = aws_iam_policy.orchestrator_recovery.arn
  }
}

resource "aws_iam_role_policy_attachment" "orchestrator" {
  for_each = {
    for pair in setproduct(var.orchestrator_role_names, keys(local.orchestrator_policy_arns)) :
    "${pair[0]}/${pair[1]}" => { role = pair[0], policy_arn = local.orchestrator_policy_arns[pair[1]] }
  }

  role       = each.value.role
  policy_arn = each.value.policy_arn
}

# Application Auto Scaling acts on SageMaker variants through this service-linked role. Only
# one can exist per account and creating an existing one fails, so a second stack in the same
# account (or an account where someone already scaled an endpoint) sets
# create_autoscaling_service_linked_role = false; the orchestrator policy then allows creating
# it on first use instead (IAM User Guide, "Using service-linked roles"; Application Auto
# Scaling User Guide, "Service-linked roles for Application Auto Scaling").
resource "aws_iam_service_linked_role" "autoscaling" {
  count = var.create_autoscaling_service_linked_role ? 1 : 0

  # No description, suffix or tags: service-linked roles take what the service defines.
  aws_service_name = local.autoscaling_domain
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
