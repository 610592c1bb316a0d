# Roles and the orchestrator policy allow no "*" action, pass roles only to SageMaker, and
# attach no AWS managed policy.

mock_provider "aws" {}

variables {
  name_prefix              = "mlops-demo-test"
  account_id               = "123456789012"
  partition                = "aws"
  region                   = "eu-west-1"
  data_bucket_arn          = "arn:aws:s3:::mlops-demo-test-data-123456789012"
  artifacts_bucket_arn     = "arn:aws:s3:::mlops-demo-test-artifacts-123456789012"
  data_kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:key/data"
  artifacts_kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/artifacts"
  job_log_group_arns       = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/TrainingJobs"]
  serving_log_group_arns   = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/mlops-demo-test-endpoint"]
  ecr_repository_arn       = "arn:aws:ecr:eu-west-1:123456789012:repository/mlops-demo/test/ml-containers"
  model_package_group_name = "mlops-demo-test-models"
  pipeline_name            = "mlops-demo-test-training"
  endpoint_name            = "mlops-demo-test-endpoint"
  vpc_arn                  = "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0123"
  subnet_ids               = ["subnet-a", "subnet-b"]
  subnet_arns              = ["arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-a", "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-b"]
  security_group_ids       = ["sg-1"]
  security_group_arns      = ["arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1"]
  orchestrator_role_names  = ["ci-deployer"]
}

run "least_privilege" {
  command = apply

  assert {
    condition = alltrue(flatten([
      for document in [aws_iam_role_policy.execution.policy, aws_iam_role_policy.serving.policy, aws_iam_role_policy.pipeline.policy, aws_iam_policy.orchestrator.policy, aws_iam_policy.orchestrator_serving.policy, aws_iam_policy.orchestrator_data.policy] : [
        for statement in jsondecode(document).Statement : [
          for action in flatten([statement.Action]) : action != "*" && !endswith(action, ":*")
        ]
      ]
    ]))
    error_message = "No statement may allow \"*\" or a whole service (\"svc:*\")."
  }

  assert {
    condition = alltrue(flatten([
      for document in [aws_iam_role_policy.pipeline.policy, aws_iam_policy.orchestrator.policy, aws_iam_policy.orchestrator_serving.policy] : [
        for statement in jsondecode(document).Statement :
        statement.Condition.StringEquals["iam:PassedToService"] == "sagemaker.amazonaws.com" &&
        contains([aws_iam_role.execution.arn, aws_iam_role.serving.arn, aws_iam_role.pipeline.arn], statement.Resource)
        if contains(flatten([statement.Action]), "iam:PassRole")
      ]
    ]))
    error_message = "iam:PassRole must name the project's roles and require iam:PassedToService = sagemaker.amazonaws.com."
  }

  assert {
    condition = anytrue([
      for statement in jsondecode(aws_iam_policy.orchestrator.policy).Statement :
      contains(flatten([statement.Action]), "sagemaker:StartPipelineExecution") &&
      statement.Resource == ["arn:aws:sagemaker:eu-west-1:123456789012:pipeline/mlops-demo-test-training", "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/mlops-demo-test-training/execution/*"]
    ])
    error_message = "The orchestrator may start executions of this project's pipeline only."
  }

  assert {
    condition = alltrue([
      for statement in jsondecode(aws_iam_role.execution.assume_role_policy).Statement :
      statement.Principal.Service == "sagemaker.amazonaws.com" && statement.Condition.StringEquals["aws:SourceAccount"] == var.account_id
    ])
    error_message = "Only SageMaker in this account may assume the execution role."
  }

  assert {
    condition = alltrue([
      for attachment in aws_iam_role_policy_attachment.orchestrator :
      contains([aws_iam_policy.orchestrator.arn, aws_iam_policy.orchestrator_serving.arn, aws_iam_policy.orchestrator_data.arn, aws_iam_policy.orchestrator_recovery.arn], attachment.policy_arn)
    ]) && length(aws_iam_role_policy_attachment.orchestrator) == 4
    error_message = "The four orchestrator policies (pipeline, serving, data, recovery), and only the project's own, are attached to each orchestrator role."
  }

  assert {
    condition = alltrue([
      for action in [
        "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
        "sagemaker:AddTags", "sagemaker:CreateProcessingJob", "sagemaker:CreateModelPackage",
      ] : anytrue([for statement in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : contains(flatten([statement.Action]), action)])
    ])
    error_message = "The pipeline role must run the tuning step (create, describe, stop, list its training jobs) and tag what it creates."
  }

  assert {
    condition = anytrue([
      for statement in jsondecode(aws_iam_role_policy.serving.policy).Statement :
      contains(flatten([statement.Action]), "cloudwatch:DescribeAlarms") && statement.Resource == ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mlops-demo-test-endpoint-*"]
    ])
    error_message = "The serving role must read the endpoint's rollback alarms (deployment guardrails), and only those."
  }

  assert {
    condition = anytrue([
      for statement in jsondecode(aws_iam_policy.orchestrator_serving.policy).Statement :
      contains(flatten([statement.Action]), "sagemaker:AddTags") && contains(flatten([statement.Resource]), "arn:aws:sagemaker:eu-west-1:123456789012:transform-job/mlops-demo-test-transform-*")
    ])
    error_message = "The orchestrator creates transform jobs with Tags, which needs sagemaker:AddTags on them."
  }

  assert {
    condition     = length(aws_iam_service_linked_role.autoscaling) == 1 && aws_iam_service_linked_role.autoscaling[0].aws_service_name == "sagemaker.application-autoscaling.amazonaws.com"
    error_message = "By default the stack creates the SageMaker endpoint autoscaling service-linked role."
  }
}

run "existing_service_linked_role" {
  command = plan

  variables {
    create_autoscaling_service_linked_role = false
  }

  assert {
    condition = length(aws_iam_service_linked_role.autoscaling) == 0 && anytrue([
      for statement in jsondecode(aws_iam_policy.orchestrator_serving.policy).Statement :
      contains(flatten([statement.Action]), "iam:CreateServiceLinkedRole")
    ])
    error_message = "Without the stack's service-linked role, the orchestrator may create it on first use."
  }
}
