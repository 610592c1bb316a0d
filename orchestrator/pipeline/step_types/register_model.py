"""RegisterModel: a CreateModelPackage (the SDK's RegisterModel step); properties from
DescribeModelPackage. SageMaker names nothing in the request itself, so nothing is filled in.

It takes RetryPolicies (https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html)
but starts no job, so only the Step.* exception types (a fault or throttling of the call) apply.
"""

from __future__ import annotations

from orchestrator.pipeline.step_types.registry import STEP_EXCEPTIONS, StepApi, StepType, register

REGISTER_MODEL = register(
    StepType(
        "RegisterModel",
        StepApi("CreateModelPackage", (), ("DescribeModelPackage",)),
        retry_exceptions=STEP_EXCEPTIONS,
    )
)
