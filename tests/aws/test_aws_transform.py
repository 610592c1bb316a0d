"""Batch transform on moto: the CreateTransformJob request SageMaker expects (MultiRecord,
SplitType=Line, KMS on volumes and output, the model in the VPC), checked with the pipeline
builder's botocore validation, and a bounded wait that reports SageMaker's failure reason."""

from __future__ import annotations

import pytest
from moto_extensions import set_transform_job_state

from orchestrator.backends.aws import (
    AwsModelRegistry,
    AwsRequestError,
    PollSettings,
    TransformJobFailed,
    WaitTimeout,
    run_batch_transform,
)
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.backends.aws.transform import (
    check_transform_request,
    transform_job_request,
    wait_for_transform_job,
)
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.settings.stack_outputs import StackOutputs
from orchestrator.settings.transform import TransformSettings

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlops-dev:1.0"
INPUT = "s3://mlops-dev-data/batch/batch.csv"
FAST = PollSettings(timeout_seconds=30, interval_seconds=5, sleep=lambda _s: None)


@pytest.fixture
def package(aws: AwsClients, outputs: StackOutputs) -> ModelPackage:
    registry = AwsModelRegistry(aws.sagemaker)
    registry.ensure_group(outputs.model_package_group_name)
    return registry.register(
        outputs.model_package_group_name,
        model_data_url="s3://mlops-dev-artifacts/models/1/model.tar.gz",
        image_uri=IMAGE,
        approval_status="Approved",
    )


def request(outputs: StackOutputs, settings: TransformSettings | None = None) -> dict:
    return transform_job_request(
        outputs,
        settings or TransformSettings(),
        job_name="mlops-dev-transform-1",
        model_name="mlops-dev-endpoint-v1",
        input_uri=INPUT,
        output_uri="s3://mlops-dev-artifacts/batch-transform/1/",
    )


def test_the_request_is_what_createtransformjob_expects(outputs: StackOutputs) -> None:
    built = request(outputs, TransformSettings(input_filter="$[1:]", join_source="Input"))
    check_transform_request(built)  # botocore's model: required members, types, enums
    assert built["BatchStrategy"] == "MultiRecord"
    assert built["TransformInput"]["SplitType"] == "Line"
    assert built["TransformOutput"]["AssembleWith"] == "Line"
    assert built["TransformOutput"]["KmsKeyId"] == outputs.artifacts_kms_key_arn
    assert built["TransformResources"]["VolumeKmsKeyId"] == outputs.data_kms_key_arn
    assert built["DataProcessing"] == {"InputFilter": "$[1:]", "JoinSource": "Input"}


def test_an_invalid_request_is_refused_with_every_problem(outputs: StackOutputs) -> None:
    broken = request(outputs)
    broken["TransformResources"]["InstanceType"] = "ml.nope.huge"
    broken["BatchStrategy"] = "Everything"
    del broken["TransformOutput"]["S3OutputPath"]
    with pytest.raises(AwsRequestError) as caught:
        check_transform_request(broken)
    message = str(caught.value)
    assert "'ml.nope.huge' is not one of" in message
    assert "'Everything' is not one of" in message
    assert "S3OutputPath" in message


def test_run_creates_the_model_in_the_vpc_and_the_job_and_waits(
    aws: AwsClients, outputs: StackOutputs, package: ModelPackage
) -> None:
    messages: list[str] = []
    result = run_batch_transform(
        aws, outputs, package, TransformSettings(), FAST, input_uri=INPUT, progress=messages.append
    )
    assert result.status == "Completed"
    assert (
        result.output_uri == f"s3://{outputs.artifacts_bucket}/batch-transform/{result.job_name}/"
    )
    job = aws.sagemaker.describe_transform_job(TransformJobName=result.job_name)
    assert job["ModelName"] == result.model_name
    assert job["BatchStrategy"] == "MultiRecord"
    assert job["TransformInput"]["SplitType"] == "Line"
    assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == INPUT
    assert job["TransformOutput"]["KmsKeyId"] == outputs.artifacts_kms_key_arn
    assert job["TransformResources"]["VolumeKmsKeyId"] == outputs.data_kms_key_arn
    model = aws.sagemaker.describe_model(ModelName=result.model_name)
    assert model["VpcConfig"]["Subnets"] == outputs.private_subnet_ids
    assert model["PrimaryContainer"]["ModelPackageName"] == package.arn
    assert any("Completed" in m for m in messages)


def test_a_failed_job_reports_sagemakers_reason(
    aws: AwsClients, outputs: StackOutputs, package: ModelPackage
) -> None:
    result = run_batch_transform(aws, outputs, package, TransformSettings(), FAST, input_uri=INPUT)
    set_transform_job_state(result.job_name, "Failed", "ClientError: 400 from /invocations")
    with pytest.raises(TransformJobFailed, match="ended Failed: ClientError: 400"):
        wait_for_transform_job(aws.sagemaker, result.job_name, FAST)


def test_waiting_for_a_running_job_is_bounded(
    aws: AwsClients, outputs: StackOutputs, package: ModelPackage
) -> None:
    result = run_batch_transform(aws, outputs, package, TransformSettings(), FAST, input_uri=INPUT)
    set_transform_job_state(result.job_name, "InProgress")
    now = [0.0]
    clock = PollSettings(
        12, 5, sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0]
    )
    with pytest.raises(WaitTimeout, match="did not finish within 12 s"):
        wait_for_transform_job(aws.sagemaker, result.job_name, clock)
    assert now[0] == 12


def test_input_must_be_in_s3(aws: AwsClients, outputs: StackOutputs, package: ModelPackage) -> None:
    with pytest.raises(AwsRequestError, match="not an s3:// URI"):
        run_batch_transform(
            aws, outputs, package, TransformSettings(), FAST, input_uri="/tmp/batch.csv"
        )
    assert aws.sagemaker.list_models()["Models"] == []
