"""What a deploy sends: the endpoint settings and the SageMaker requests built from them.

Pure functions of the stack outputs and :class:`EndpointSettings` (no AWS calls), so the
requests can be read and tested on their own. The variant name is fixed per endpoint because a
blue/green update must keep it and the autoscaling target hangs on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from orchestrator.backends.aws.autoscaling import AutoscalingSettings, AutoscalingState
from orchestrator.backends.aws.models import MODEL_PACKAGE_TAG
from orchestrator.settings.stack_outputs import StackOutputs

PREVIOUS_CONFIG_TAG = "mlops:previous-endpoint-config"
MAX_ROLLBACK_ALARMS = 10  # SageMaker's limit for AutoRollbackConfiguration.Alarms


# -- settings -------------------------------------------------------------------------------------
class TrafficShiftSettings(BaseModel):
    """How a blue/green update moves traffic to the new fleet.

    ``canary``: ``step_percent`` of capacity first, the rest after ``wait_interval_seconds``;
    ``linear``: ``step_percent`` more every ``wait_interval_seconds``; ``all_at_once``: at once.
    The old fleet stays for ``termination_wait_seconds`` after the shift (the baking period in
    which an alarm still rolls back).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["canary", "linear", "all_at_once"] = "canary"
    step_percent: int = Field(default=10, ge=1, le=100)
    wait_interval_seconds: int = Field(default=300, ge=0, le=3600)
    termination_wait_seconds: int = Field(default=300, ge=0, le=3600)
    maximum_execution_timeout_seconds: int | None = Field(default=None, ge=600, le=28800)


class EndpointSettings(BaseModel):
    """Everything about the endpoint that is not a stack output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance_type: str = Field(default="ml.m5.large", pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
    initial_instance_count: int = Field(default=1, ge=1, le=100)
    variant_name: str = Field(default="AllTraffic", pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    data_capture_percent: int = Field(default=100, ge=0, le=100)
    network_isolation: bool = True
    traffic: TrafficShiftSettings = TrafficShiftSettings()
    autoscaling: AutoscalingSettings | None = AutoscalingSettings()
    # None: every CloudWatch alarm named "<endpoint_name>-*" (the monitoring module's alarms).
    alarm_names: tuple[str, ...] | None = None
    require_alarms: bool = True
    require_approved: bool = True
    keep_configs: int = Field(default=3, ge=2, le=50)

    @field_validator("alarm_names")
    @classmethod
    def _alarm_limit(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and len(value) > MAX_ROLLBACK_ALARMS:
            raise ValueError(f"SageMaker rolls back on at most {MAX_ROLLBACK_ALARMS} alarms")
        return value


@dataclass(frozen=True)
class DeploymentResult:
    """What serves after a successful deploy or rollback."""

    endpoint_name: str
    action: Literal["created", "updated", "rolled-back"]
    endpoint_config_name: str
    previous_config_name: str | None
    model_name: str
    model_package_arn: str | None
    rollback_alarms: tuple[str, ...]
    autoscaling: AutoscalingState | None
    deleted_configs: tuple[str, ...] = ()


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
    traffic = settings.traffic
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
