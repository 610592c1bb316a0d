"""Network and encryption settings every job carries, taken from the stack outputs.

One module decides them so no step can forget them: jobs run in the stack's private subnets with
its security groups (when the stack has a VPC; the local stack has none), with network isolation
and inter-container traffic encryption as configured, with the data key on their volumes (they
hold copies of the input data) and the artifacts key on everything they write to the artifacts
bucket.
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline.config import PipelineConfig
from orchestrator.settings.stack_outputs import StackOutputs


def volume_kms_key(outputs: StackOutputs) -> str:
    return outputs.data_kms_key_arn


def output_kms_key(outputs: StackOutputs) -> str:
    return outputs.artifacts_kms_key_arn


def vpc_config(outputs: StackOutputs) -> dict[str, Any] | None:
    """The jobs' VpcConfig, or None for a stack without a VPC (the local one). The IDs are
    sorted: their order means nothing to SageMaker, so outputs listing the same subnets in
    another order give the same definition text (and no needless UpdatePipeline)."""
    if not outputs.has_vpc:
        return None
    return {
        "SecurityGroupIds": sorted(outputs.sagemaker_security_group_ids),
        "Subnets": sorted(outputs.private_subnet_ids),
    }


def processing_network_config(config: PipelineConfig, outputs: StackOutputs) -> dict[str, Any]:
    """CreateProcessingJob's NetworkConfig."""
    network: dict[str, Any] = {
        "EnableInterContainerTrafficEncryption": config.inter_container_encryption,
        "EnableNetworkIsolation": config.network_isolation,
    }
    vpc = vpc_config(outputs)
    if vpc is not None:
        network["VpcConfig"] = vpc
    return network


def training_network_settings(config: PipelineConfig, outputs: StackOutputs) -> dict[str, Any]:
    """The training job definition's VpcConfig and isolation/encryption flags."""
    settings: dict[str, Any] = {}
    vpc = vpc_config(outputs)
    if vpc is not None:
        settings["VpcConfig"] = vpc
    settings["EnableNetworkIsolation"] = config.network_isolation
    settings["EnableInterContainerTrafficEncryption"] = config.inter_container_encryption
    return settings


def tags(config: PipelineConfig, outputs: StackOutputs) -> list[dict[str, str]]:
    """Job tags: the stack's identity plus the config's own tags (sorted: deterministic)."""
    merged = {"project": outputs.project, "environment": outputs.environment, **config.tags}
    return [{"Key": key, "Value": merged[key]} for key in sorted(merged)]
