"""RegisterModel: a CreateModelPackage (the SDK's RegisterModel step); properties from
DescribeModelPackage. SageMaker names nothing in the request itself, so nothing is filled in."""

from __future__ import annotations

from orchestrator.pipeline.step_types.registry import StepApi, StepType, register

REGISTER_MODEL = register(
    StepType("RegisterModel", StepApi("CreateModelPackage", (), ("DescribeModelPackage",)))
)
