"""Instances for the pipeline's jobs (processing, training): type, count, volume and runtime.

The environment file's ``pipeline.processing`` and ``pipeline.training`` sections and the
builder's ``PipelineConfig`` share these models, so the two cannot disagree; each job kind
checks its instance type against its own botocore enum (``instance_types``).
"""

from __future__ import annotations

from pydantic import Field

from orchestrator.settings.instance_types import ProcessingInstanceType, TrainingInstanceType
from orchestrator.settings.strict import StrictModel


class JobResources(StrictModel):
    """Instances for one kind of job; type and count become pipeline parameter defaults. The
    instance type is each kind's own field (below): the allowed types differ by kind."""

    instance_count: int = Field(default=1, ge=1, le=100)
    volume_size_gb: int = Field(default=30, ge=1, le=16384)
    max_runtime_seconds: int = Field(default=3600, ge=60, le=432000)


class ProcessingResources(JobResources):
    """Instances of the pipeline's processing jobs (preprocess, evaluate)."""

    instance_type: ProcessingInstanceType = "ml.m5.large"


class TrainingResources(JobResources):
    """Instances of the tuning step's training jobs."""

    instance_type: TrainingInstanceType = "ml.m5.large"
