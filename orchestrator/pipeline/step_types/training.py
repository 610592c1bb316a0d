"""Training: a CreateTrainingJob; properties from DescribeTrainingJob.

Cache keys are SageMaker's defaults
(https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html).
"""

from __future__ import annotations

from orchestrator.pipeline.step_types.registry import (
    JOB_EXCEPTIONS,
    STEP_EXCEPTIONS,
    StepApi,
    StepType,
    register,
)

TRAINING = register(
    StepType(
        "Training",
        StepApi("CreateTrainingJob", ("TrainingJobName",), ("DescribeTrainingJob",)),
        cache_keys=(
            "AlgorithmSpecification",
            "CheckpointConfig",
            "DebugHookConfig",
            "DebugRuleConfigurations",
            "Environment",
            "HyperParameters",
            "InputDataConfig",
        ),
        retry_exceptions=STEP_EXCEPTIONS + JOB_EXCEPTIONS,
    )
)
