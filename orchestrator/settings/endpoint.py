"""The endpoint's settings: one model for the environment file and the backends.

Local environments use ``port`` and ``workers``; on AWS the same model drives the blue/green
deployment (traffic shifting, rollback alarms) and autoscaling. Data capture applies to both: the
local endpoint writes the same capture files SageMaker does (docs/monitoring.md). The AWS backend
imports this model; nothing here imports a backend.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from orchestrator.settings.instance_types import EndpointInstanceType
from orchestrator.settings.names import VariantName
from orchestrator.settings.strict import StrictModel

MAX_ROLLBACK_ALARMS = 10  # SageMaker's limit for AutoRollbackConfiguration.Alarms
CANARY_MAX_PERCENT = 50
LINEAR_STEP_PERCENT = (10, 50)


class TrafficShiftSettings(StrictModel):
    """How a blue/green update moves traffic to the new fleet.

    ``canary``: ``step_percent`` of capacity first, the rest after ``wait_interval_seconds``;
    ``linear``: ``step_percent`` more every ``wait_interval_seconds``; ``all_at_once``: at once.
    The old fleet stays for ``termination_wait_seconds`` after the shift (the baking period in
    which an alarm still rolls back).
    """

    mode: Literal["canary", "linear", "all_at_once"] = "canary"
    step_percent: int = Field(default=10, ge=1, le=100)
    wait_interval_seconds: int = Field(default=300, ge=0, le=3600)
    termination_wait_seconds: int = Field(default=300, ge=0, le=3600)
    maximum_execution_timeout_seconds: int | None = Field(default=None, ge=600, le=28800)

    @model_validator(mode="after")
    def _within_sagemaker_limits(self) -> TrafficShiftSettings:
        # SageMaker API reference, TrafficRoutingConfig: CanarySize "must be less than or equal
        # to 50% of the variant's total instance count", LinearStepSize "must be 10-50%".
        if self.mode == "canary" and self.step_percent > CANARY_MAX_PERCENT:
            raise ValueError(
                f"a canary of {self.step_percent}% is refused by SageMaker (at most "
                f"{CANARY_MAX_PERCENT}% of the fleet); lower step_percent or use all_at_once"
            )
        low, high = LINEAR_STEP_PERCENT
        if self.mode == "linear" and not low <= self.step_percent <= high:
            raise ValueError(
                f"a linear step of {self.step_percent}% is refused by SageMaker (it must be "
                f"{low}-{high}% of the fleet); set step_percent within that range"
            )
        return self


class AutoscalingSettings(StrictModel):
    """Instance bounds and the invocations-per-instance target of one variant."""

    min_capacity: int = Field(default=1, ge=1, le=100)
    max_capacity: int = Field(default=4, ge=1, le=100)
    target_invocations_per_instance: float = Field(default=100.0, gt=0)
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600)
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600)

    @model_validator(mode="after")
    def _bounds(self) -> AutoscalingSettings:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"min_capacity {self.min_capacity} is above max_capacity {self.max_capacity}"
            )
        return self


class EndpointTestSettings(StrictModel):
    """``orchestrator endpoint-test``: the deployment must score the held-out rows its
    evaluation scored within ``tolerance`` of the registered gate metric, and answer them with
    a p99 request latency within ``p99_latency_ms``."""

    tolerance: float = Field(0.02, ge=0, le=1, description="Largest |endpoint - report| allowed.")
    p99_latency_ms: float = Field(1000.0, gt=0, le=60000, description="Request latency budget.")
    rows_per_request: int = Field(20, ge=1, le=1000, description="CSV rows in one request.")
    max_rows: int = Field(1000, ge=1, le=100000, description="Held-out rows sent at most.")


class EndpointSettings(StrictModel):
    """The endpoint: instances everywhere, port and workers locally, data capture on both, and
    on AWS the blue/green deployment, autoscaling and the alarms that roll a bad deployment
    back."""

    instance_type: EndpointInstanceType = "ml.m5.large"
    initial_instance_count: int = Field(1, ge=1, le=100)
    port: int = Field(8080, ge=1, le=65535, description="Local endpoints only.")
    workers: int | None = Field(None, ge=1, le=64, description="Serving workers; default: cores.")
    deployment: TrafficShiftSettings = Field(
        TrafficShiftSettings(), description="AWS: canary, linear or all_at_once traffic shifting."
    )
    autoscaling: AutoscalingSettings | None = Field(
        AutoscalingSettings(), description="AWS: target tracking; null turns autoscaling off."
    )
    data_capture_percent: int = Field(
        100,
        ge=0,
        le=100,
        description="Requests captured (AWS and local endpoints; 0 turns capture off).",
    )
    alarm_names: tuple[str, ...] | None = Field(
        None, description="AWS: rollback alarms; default: the stack's alarms <endpoint>-*."
    )
    require_alarms: bool = Field(
        True, description="AWS: refuse to deploy when no rollback alarm exists."
    )
    variant_name: VariantName = "AllTraffic"
    network_isolation: bool = True
    keep_configs: int = Field(3, ge=2, le=50, description="AWS: endpoint configs kept.")
    test: EndpointTestSettings = Field(
        EndpointTestSettings(), description="What `orchestrator endpoint-test` accepts."
    )
    expected_requests_per_second: float | None = Field(
        None,
        gt=0,
        le=100000,
        description="Peak requests per second the endpoint must serve within "
        "test.p99_latency_ms; `orchestrator recommend` sizes the endpoint for it.",
    )

    @field_validator("alarm_names")
    @classmethod
    def _alarm_limit(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and len(value) > MAX_ROLLBACK_ALARMS:
            raise ValueError(f"SageMaker rolls back on at most {MAX_ROLLBACK_ALARMS} alarms")
        return value
