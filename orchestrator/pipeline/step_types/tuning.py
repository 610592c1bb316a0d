"""Tuning: a CreateHyperParameterTuningJob; properties from DescribeHyperParameterTuningJob
plus ListTrainingJobsForHyperParameterTuningJob (``TrainingJobSummaries[0]`` is the best trial,
as the SDK's ``get_top_model_s3_uri`` reads it).

Cache keys are SageMaker's defaults, of which only some members of the training job definition
count (https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html).

Its RetryPolicies leave out SageMaker.JOB_INTERNAL_ERROR, which SageMaker does not retry on a
tuning step (https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html).
"""

from __future__ import annotations

from orchestrator.pipeline.step_types.registry import (
    CAPACITY_ERROR,
    RESOURCE_LIMIT,
    STEP_EXCEPTIONS,
    StepApi,
    StepType,
    register,
)

TUNING = register(
    StepType(
        "Tuning",
        StepApi(
            "CreateHyperParameterTuningJob",
            ("HyperParameterTuningJobName",),
            ("DescribeHyperParameterTuningJob", "ListTrainingJobsForHyperParameterTuningJob"),
        ),
        cache_keys=(
            "HyperParameterTuningJobConfig",
            "TrainingJobDefinition",
            "TrainingJobDefinitions",
        ),
        nested_cache_keys=(
            (
                "TrainingJobDefinition",
                (
                    "AlgorithmSpecification",
                    "HyperParameterRanges",
                    "InputDataConfig",
                    "StaticHyperParameters",
                    "TuningObjective",
                ),
            ),
        ),
        # Not SageMaker.JOB_INTERNAL_ERROR: "jobs running inside the tuning step conduct retries
        # internally and will not retry SageMaker.JOB_INTERNAL_ERROR, even if a retry policy is
        # configured" (developer guide, pipelines-retry-policy), so a policy naming it would
        # promise a retry that never happens.
        retry_exceptions=(*STEP_EXCEPTIONS, CAPACITY_ERROR, RESOURCE_LIMIT),
    )
)
