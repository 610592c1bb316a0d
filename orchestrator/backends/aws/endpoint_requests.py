"""What a deploy sends: the SageMaker requests built from the stack outputs and the settings.

Pure functions of the stack outputs and :class:`EndpointSettings` (no AWS calls), so the
requests can be read and tested on their own. The variant name is fixed per endpoint because a
blue/green update must keep it and the autoscaling target hangs on it.
"""

from __future__ import annotations

from typing import Any

from orchestrator.backends.aws.models import MODEL_PACKAGE_TAG
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.stack_outputs import StackOutputs

PREVIOUS_CONFIG_TAG = "mlops:previous-endpoint-config"


# -- requests -------------------------------------------------------------------------------------
def data_capture_config(outputs: StackOutputs, settings: EndpointSettings) -> dict[str, Any]:
    """Capture requests and responses to the artifacts bucket, encrypted with its key."""
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": settings.data_capture_percent,
        "DestinationS3Uri": f"s3://{outputs.artifacts_bucket}/data-capture/{outputs.endpoint_name}",
        "KmsKeyId": outputs.artifacts_kms_key_arn,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": ["text/csv"],
            "JsonContentTypes": ["application/json", "application/jsonlines"],
        },
    }


def endpoint_config_request(
    outputs: StackOutputs,
    settings: EndpointSettings,
    *,
    config_name: str,
    model_name: str,
    instance_count: int,
    previous_config: str | None,
    package_arn: str,
) -> dict[str, Any]:
    """The CreateEndpointConfig request: one variant, data capture, the data key on volumes."""
    tags = [{"Key": MODEL_PACKAGE_TAG, "Value": package_arn}]
    if previous_config:
        tags.append({"Key": PREVIOUS_CONFIG_TAG, "Value": previous_config})
    return {
        "EndpointConfigName": config_name,
        "ProductionVariants": [
            {
                "VariantName": settings.variant_name,
                "ModelName": model_name,
                "InstanceType": settings.instance_type,
                "InitialInstanceCount": instance_count,
                "InitialVariantWeight": 1.0,
            }
        ],
        "DataCaptureConfig": data_capture_config(outputs, settings),
        "KmsKeyId": outputs.data_kms_key_arn,
        "Tags": tags,
    }


def deployment_config(settings: EndpointSettings, alarms: tuple[str, ...]) -> dict[str, Any]:
    """UpdateEndpoint's DeploymentConfig: blue/green traffic shifting plus alarm rollback."""
    traffic = settings.deployment
    routing: dict[str, Any] = {
        "Type": traffic.mode.upper(),
        "WaitIntervalInSeconds": traffic.wait_interval_seconds,
    }
    size = {"Type": "CAPACITY_PERCENT", "Value": traffic.step_percent}
    if traffic.mode == "canary":
        routing["CanarySize"] = size
    elif traffic.mode == "linear":
        routing["LinearStepSize"] = size
    policy: dict[str, Any] = {
        "TrafficRoutingConfiguration": routing,
        "TerminationWaitInSeconds": traffic.termination_wait_seconds,
    }
    if traffic.maximum_execution_timeout_seconds is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = traffic.maximum_execution_timeout_seconds
    config: dict[str, Any] = {"BlueGreenUpdatePolicy": policy}
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config
