"""The settings of batch transform jobs on AWS (instances, payload, DataProcessing filters)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orchestrator.settings.instance_types import TransformInstanceType
from orchestrator.settings.strict import StrictModel


class TransformSettings(StrictModel):
    """Instances, payload and the DataProcessing filters of a transform job."""

    instance_type: TransformInstanceType = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1, le=100)
    content_type: Literal["text/csv", "application/jsonlines"] = "text/csv"
    accept: Literal["text/csv", "application/jsonlines"] = "text/csv"
    max_payload_mb: int = Field(default=6, ge=1, le=100)
    # 0: leave it to SageMaker (it asks the container's /execution-parameters).
    max_concurrent_transforms: int = Field(default=0, ge=0, le=1000)
    invocations_timeout_seconds: int = Field(default=600, ge=1, le=3600)
    invocations_max_retries: int = Field(default=1, ge=0, le=3)
    input_filter: str | None = Field(default=None, max_length=63)
    join_source: Literal["None", "Input"] = "None"
    output_filter: str | None = Field(default=None, max_length=63)
    network_isolation: bool = True
