"""Transform: a CreateTransformJob; properties from DescribeTransformJob.

The validator knows it (a definition may use it); the local runner has no executor for it, so a
local run refuses it by name before anything runs.
"""

from __future__ import annotations

from orchestrator.pipeline.step_types.registry import (
    JOB_EXCEPTIONS,
    STEP_EXCEPTIONS,
    StepApi,
    StepType,
    register,
)

TRANSFORM = register(
    StepType(
        "Transform",
        StepApi("CreateTransformJob", ("TransformJobName",), ("DescribeTransformJob",)),
        retry_exceptions=STEP_EXCEPTIONS + JOB_EXCEPTIONS,
    )
)
