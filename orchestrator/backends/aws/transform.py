"""Batch transform on SageMaker: the local batch transform's semantics, as a TransformJob.

The job splits its input by line and packs many records per request (SplitType=Line,
BatchStrategy=MultiRecord, AssembleWith=Line), exactly what the local
backend's ``batch_transform``
does, so a file scored locally and on SageMaker gives the same lines. The model runs in the
stack's VPC (its Model carries the VpcConfig; CreateTransformJob has none of its own), the
instance volumes use the data key and the output the artifacts key. The request is checked with
the pipeline builder's botocore validation before it is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orchestrator.backends.aws.clients import AwsClients, aws_errors
from orchestrator.backends.aws.errors import AwsRequestError, TransformJobFailed
from orchestrator.backends.aws.models import create_model
from orchestrator.backends.aws.names import stamped_name
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.polling import PollSettings, poll
from orchestrator.pipeline.api_validation import validate_step_arguments
from orchestrator.settings.stack_outputs import StackOutputs
from orchestrator.settings.transform import TransformSettings

TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class TransformResult:
    job_name: str
    model_name: str
    output_uri: str
    status: str


def transform_job_request(
    outputs: StackOutputs,
    settings: TransformSettings,
    *,
    job_name: str,
    model_name: str,
    input_uri: str,
    output_uri: str,
) -> dict[str, Any]:
    """The CreateTransformJob request (validated by :func:`check_transform_request`)."""
    request: dict[str, Any] = {
        "TransformJobName": job_name,
        "ModelName": model_name,
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": settings.max_payload_mb,
        "ModelClientConfig": {
            "InvocationsTimeoutInSeconds": settings.invocations_timeout_seconds,
            "InvocationsMaxRetries": settings.invocations_max_retries,
        },
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": settings.content_type,
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": output_uri,
            "Accept": settings.accept,
            "AssembleWith": "Line",
            "KmsKeyId": outputs.artifacts_kms_key_arn,
        },
        "TransformResources": {
            "InstanceType": settings.instance_type,
            "InstanceCount": settings.instance_count,
            "VolumeKmsKeyId": outputs.data_kms_key_arn,
        },
        "Tags": [
            {"Key": "project", "Value": outputs.project},
            {"Key": "environment", "Value": outputs.environment},
        ],
    }
    if settings.max_concurrent_transforms:
        request["MaxConcurrentTransforms"] = settings.max_concurrent_transforms
    processing: dict[str, str] = {}
    if settings.input_filter:
        processing["InputFilter"] = settings.input_filter
    if settings.join_source != "None":
        processing["JoinSource"] = settings.join_source
    if settings.output_filter:
        processing["OutputFilter"] = settings.output_filter
    if processing:
        request["DataProcessing"] = processing
    return request


def check_transform_request(request: dict[str, Any]) -> None:
    """Validate with botocore's model of CreateTransformJob, as pipeline steps are validated
    (required members, types, ranges and enum values such as the instance type)."""
    arguments = {k: v for k, v in request.items() if k != "TransformJobName"}
    problems = validate_step_arguments(
        request.get("TransformJobName", "transform"), "Transform", arguments, {}, {}
    )
    if problems:
        raise AwsRequestError(
            "the batch transform request is invalid: " + "; ".join(problems) + ". Fix the "
            "transform settings (instance type, payload size, filters)"
        )


def run_batch_transform(
    clients: AwsClients,
    outputs: StackOutputs,
    package: ModelPackage,
    settings: TransformSettings,
    poll_settings: PollSettings,
    *,
    input_uri: str,
    output_uri: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> TransformResult:
    """Create a model for ``package``, submit the transform job and wait for it.

    ``output_uri`` defaults to ``s3://<artifacts>/batch-transform/<job>/`` (SageMaker writes
    ``<input file>.out`` there). Raises :class:`TransformJobFailed` with SageMaker's reason when
    the job fails or stops, :class:`~orchestrator.backends.aws.errors.WaitTimeout` at the timeout.
    """
    say = progress or (lambda _message: None)
    if not input_uri.startswith("s3://"):
        raise AwsRequestError(
            f"batch transform input {input_uri!r} is not an s3:// URI; upload the file to the "
            f"data bucket (s3://{outputs.data_bucket}/...) and pass its URI"
        )
    model_name = stamped_name(outputs.endpoint_name, package.version)
    job_name = f"{outputs.project}-{outputs.environment}-transform-{uuid.uuid4().hex[:12]}"[:63]
    output = output_uri or f"s3://{outputs.artifacts_bucket}/batch-transform/{job_name}/"
    request = transform_job_request(
        outputs,
        settings,
        job_name=job_name,
        model_name=model_name,
        input_uri=input_uri,
        output_uri=output,
    )
    check_transform_request(request)
    create_model(
        clients.sagemaker,
        outputs,
        package,
        model_name,
        network_isolation=settings.network_isolation,
    )
    say(f"submitting transform job {job_name} ({input_uri} -> {output})")
    with aws_errors(f"create transform job {job_name}"):
        clients.sagemaker.create_transform_job(**request)
    final = wait_for_transform_job(clients.sagemaker, job_name, poll_settings, progress=say)
    return TransformResult(job_name, model_name, output, str(final["TransformJobStatus"]))


def wait_for_transform_job(
    sagemaker: Any,
    job_name: str,
    poll_settings: PollSettings,
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Wait until the job ends; its DescribeTransformJob answer when Completed."""

    def describe() -> dict[str, Any]:
        with aws_errors(f"describe transform job {job_name}"):
            return dict(sagemaker.describe_transform_job(TransformJobName=job_name))

    final = poll(
        describe,
        lambda job: job["TransformJobStatus"] in TERMINAL_STATUSES,
        poll_settings,
        what=f"transform job {job_name}",
        on_state=(lambda job: progress(f"{job_name}: {job['TransformJobStatus']}"))
        if progress
        else None,
        on_timeout="it keeps running on SageMaker; stop it with StopTransformJob if unwanted",
    )
    if final["TransformJobStatus"] != "Completed":
        raise TransformJobFailed(
            f"transform job {job_name} ended {final['TransformJobStatus']}: "
            f"{final.get('FailureReason') or 'no reason given'}; its logs are in CloudWatch "
            "(/aws/sagemaker/TransformJobs)"
        )
    return final
