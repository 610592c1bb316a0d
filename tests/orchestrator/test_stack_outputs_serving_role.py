"""The serving role (issue #15): models run as `serving_role_arn`; outputs saved before the stack
had one fall back to the execution role, which served until that stack is re-applied."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.backends.aws.models import model_request
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.settings.stack_outputs import StackOutputs

EXECUTION = "arn:aws:iam::123456789012:role/churn-dev-sagemaker-execution"
SERVING = "arn:aws:iam::123456789012:role/churn-dev-sagemaker-serving"


def outputs_json(**extra: str) -> dict:
    values = {
        "region": "eu-west-1",
        "account_id": "123456789012",
        "environment": "dev",
        "project": "churn",
        "data_bucket": "churn-dev-data-123456789012",
        "artifacts_bucket": "churn-dev-artifacts-123456789012",
        "data_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/data",
        "artifacts_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/artifacts",
        "sagemaker_execution_role_arn": EXECUTION,
        "pipeline_role_arn": "arn:aws:iam::123456789012:role/churn-dev-sagemaker-pipeline",
        "orchestrator_policy_arn": "arn:aws:iam::123456789012:policy/churn-dev-orchestrator",
        "model_package_group_name": "churn-dev-models",
        "pipeline_name": "churn-dev-training",
        "endpoint_name": "churn-dev-endpoint",
        **extra,
    }
    return {name: {"sensitive": False, "type": "string", "value": v} for name, v in values.items()}


def package() -> ModelPackage:
    return ModelPackage(
        group="churn-dev-models",
        version=3,
        arn="arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn-dev-models/3",
        approval_status="Approved",
        model_data_url="s3://churn-dev-artifacts-123456789012/model.tar.gz",
        image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn@sha256:" + "0" * 64,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_models_run_as_the_serving_role() -> None:
    outputs = StackOutputs.from_terraform_json(outputs_json(serving_role_arn=SERVING))
    request = model_request(outputs, package(), "churn-dev-endpoint-3", network_isolation=True)
    assert request["ExecutionRoleArn"] == SERVING != outputs.sagemaker_execution_role_arn


def test_outputs_without_a_serving_role_fall_back_to_the_execution_role() -> None:
    outputs = StackOutputs.from_terraform_json(outputs_json())
    assert outputs.serving_role_arn == EXECUTION
    request = model_request(outputs, package(), "churn-dev-endpoint-3", network_isolation=True)
    assert request["ExecutionRoleArn"] == EXECUTION


def test_the_serving_role_survives_a_round_trip_and_the_local_stack_has_one() -> None:
    outputs = StackOutputs.from_terraform_json(outputs_json(serving_role_arn=SERVING))
    again = StackOutputs.from_terraform_json(outputs.to_terraform_json())
    assert again.serving_role_arn == SERVING
    assert StackOutputs.local().serving_role_arn.endswith("-sagemaker-serving")
