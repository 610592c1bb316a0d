"""Tuning: a CreateHyperParameterTuningJob; properties from DescribeHyperParameterTuningJob
plus ListTrainingJobsForHyperParameterTuningJob (``TrainingJobSummaries[0]`` is the best trial,
as the SDK's ``get_top_model_s3_uri`` reads it).

Cache keys are SageMaker's defaults, of which only some members of the training job definition
count (https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html).
"""

from __future__ import annotations

from orchestrator.pipeline.step_types.registry import StepApi, StepType, register

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
    )
)
