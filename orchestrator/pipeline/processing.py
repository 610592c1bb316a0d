"""Processing steps: the shared shape of the Preprocess and Evaluate jobs.

A Processing step's Arguments are a CreateProcessingJob request without the job name (SageMaker
names the job). Instance type and count are pipeline parameters; image, role, network, KMS keys,
stopping condition and tags are the same for every processing job.
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import names, security
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.pipeline.step_types.processing import PROCESSING
from orchestrator.settings.stack_outputs import StackOutputs


def cache_config(config: PipelineConfig) -> dict[str, Any]:
    if not config.caching.enabled:
        return {"Enabled": False}
    return {"Enabled": True, "ExpireAfter": config.caching.expire_after}


def processing_input(
    name: str, source: Any, local_path: str, distribution: str = "FullyReplicated"
) -> dict[str, Any]:
    """One S3 prefix in File mode; ``ShardedByS3Key`` gives each host some of its objects."""
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": source,
            "LocalPath": local_path,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": distribution,
            "S3CompressionType": "None",
        },
    }


def processing_output(name: str, destination: Any, local_path: str) -> dict[str, Any]:
    return {
        "OutputName": name,
        "S3Output": {"S3Uri": destination, "LocalPath": local_path, "S3UploadMode": "EndOfJob"},
    }


def processing_arguments(
    config: PipelineConfig,
    outputs: StackOutputs,
    image_uri: str,
    entrypoint: list[str],
    container_arguments: list[Any],
    inputs: list[dict[str, Any]],
    job_outputs: list[dict[str, Any]],
) -> dict[str, Any]:
    """A CreateProcessingJob request body (minus the name SageMaker assigns)."""
    app: dict[str, Any] = {"ImageUri": image_uri, "ContainerEntrypoint": entrypoint}
    if container_arguments:
        app["ContainerArguments"] = container_arguments
    return {
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceType": ex.parameter(names.PROCESSING_INSTANCE_TYPE),
                "InstanceCount": ex.parameter(names.PROCESSING_INSTANCE_COUNT),
                "VolumeSizeInGB": config.processing.volume_size_gb,
                "VolumeKmsKeyId": security.volume_kms_key(outputs),
            }
        },
        "AppSpecification": app,
        "RoleArn": outputs.sagemaker_execution_role_arn,
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {
            "Outputs": job_outputs,
            "KmsKeyId": security.output_kms_key(outputs),
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": config.processing.max_runtime_seconds},
        "NetworkConfig": security.processing_network_config(config, outputs),
        "Tags": security.tags(config, outputs),
    }


def processing_step(
    name: str,
    arguments: dict[str, Any],
    config: PipelineConfig,
    property_files: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    step: dict[str, Any] = {"Name": name, "Type": PROCESSING.name, "Arguments": arguments}
    if property_files:
        step["PropertyFiles"] = property_files
    step["CacheConfig"] = cache_config(config)
    return step
