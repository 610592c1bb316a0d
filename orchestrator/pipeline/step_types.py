"""The step-type registry: what each SageMaker pipeline step type is, in one place.

The builder's validator, the structural checks, property references and the local runner's
graph and executors all read a step type from here: which API request its Arguments are (and so
which botocore shape checks them), which Describe* responses its properties come from, which
arguments hold nested steps, and which properties it has without an API. Adding a step type is
one :func:`register` call (in the module that builds such steps) plus, for the local runner, one
executor registered under the same name in ``backends/local/steps.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepApi:
    """The API a step type's Arguments stand for, and the responses its properties come from."""

    operation: str
    # Request members SageMaker fills itself (job names); the validator adds placeholders.
    filled_by_sagemaker: tuple[str, ...]
    property_operations: tuple[str, ...]


@dataclass(frozen=True)
class StepType:
    """One step type of SageMaker's pipeline definition schema (2020-12-01)."""

    name: str
    api: StepApi | None = None
    # Argument keys whose lists hold nested steps (a Condition's IfSteps and ElseSteps).
    branches: tuple[str, ...] = ()
    # Arguments that hold the step's own references when it has branches (its nested steps'
    # references are their own).
    own_arguments: tuple[str, ...] = ()
    # Properties the step has without an API response (a Condition's Outcome).
    fixed_properties: tuple[str, ...] = ()


_REGISTRY: dict[str, StepType] = {}


def register(step_type: StepType) -> StepType:
    """Add a step type; registering a name twice is a programming error."""
    if step_type.name in _REGISTRY and _REGISTRY[step_type.name] != step_type:
        raise ValueError(f"step type {step_type.name!r} is registered twice")
    _REGISTRY[step_type.name] = step_type
    return step_type


def get(name: str) -> StepType | None:
    return _REGISTRY.get(name)


def names() -> tuple[str, ...]:
    """Every registered step type, in registration order."""
    return tuple(_REGISTRY)


def with_api() -> tuple[StepType, ...]:
    return tuple(t for t in _REGISTRY.values() if t.api is not None)


for _builtin in (
    StepType(
        "Processing",
        StepApi("CreateProcessingJob", ("ProcessingJobName",), ("DescribeProcessingJob",)),
    ),
    StepType(
        "Training",
        StepApi("CreateTrainingJob", ("TrainingJobName",), ("DescribeTrainingJob",)),
    ),
    StepType(
        "Tuning",
        StepApi(
            "CreateHyperParameterTuningJob",
            ("HyperParameterTuningJobName",),
            ("DescribeHyperParameterTuningJob", "ListTrainingJobsForHyperParameterTuningJob"),
        ),
    ),
    StepType(
        "Transform",
        StepApi("CreateTransformJob", ("TransformJobName",), ("DescribeTransformJob",)),
    ),
    StepType("RegisterModel", StepApi("CreateModelPackage", (), ("DescribeModelPackage",))),
    StepType(
        "Condition",
        branches=("IfSteps", "ElseSteps"),
        own_arguments=("Conditions",),
        fixed_properties=("Outcome",),
    ),
    StepType("Fail"),
):
    register(_builtin)
