"""Processing: a CreateProcessingJob; properties from DescribeProcessingJob.

Its outputs are named (``ProcessingOutputConfig.Outputs[].OutputName``): property files read one
of them, and ``Outputs['train']`` property paths select one. Cache keys are SageMaker's defaults
(https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html).
"""

from __future__ import annotations

from orchestrator.pipeline.step_types.registry import (
    JOB_EXCEPTIONS,
    STEP_EXCEPTIONS,
    NamedOutputs,
    StepApi,
    StepType,
    register,
)

PROCESSING = register(
    StepType(
        "Processing",
        StepApi("CreateProcessingJob", ("ProcessingJobName",), ("DescribeProcessingJob",)),
        outputs=NamedOutputs(("ProcessingOutputConfig", "Outputs"), "OutputName"),
        cache_keys=("AppSpecification", "Environment", "ProcessingInputs"),
        retry_exceptions=STEP_EXCEPTIONS + JOB_EXCEPTIONS,
    )
)
