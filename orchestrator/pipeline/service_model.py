"""botocore's SageMaker service model, and what each step type stands for in it.

A step's Arguments are the request of one API (Processing -> CreateProcessingJob, ...), and its
properties (``Steps.X.<path>``) are that job's Describe* response. botocore ships both shapes, so
the definition can be checked against AWS's own model without calling AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore.model import ServiceModel, Shape, StructureShape

from orchestrator.pipeline import expressions as ex


@dataclass(frozen=True)
class StepApi:
    """The API a step type's Arguments stand for, and the responses its properties come from."""

    operation: str
    # Request members SageMaker fills itself (job names); the validator adds placeholders.
    filled_by_sagemaker: tuple[str, ...]
    property_operations: tuple[str, ...]


STEP_APIS: dict[str, StepApi] = {
    "Processing": StepApi(
        "CreateProcessingJob", ("ProcessingJobName",), ("DescribeProcessingJob",)
    ),
    "Training": StepApi("CreateTrainingJob", ("TrainingJobName",), ("DescribeTrainingJob",)),
    "Tuning": StepApi(
        "CreateHyperParameterTuningJob",
        ("HyperParameterTuningJobName",),
        ("DescribeHyperParameterTuningJob", "ListTrainingJobsForHyperParameterTuningJob"),
    ),
    "Transform": StepApi("CreateTransformJob", ("TransformJobName",), ("DescribeTransformJob",)),
    "RegisterModel": StepApi("CreateModelPackage", (), ("DescribeModelPackage",)),
}
STEP_TYPES_WITHOUT_API = ("Condition", "Fail")


@cache
def sagemaker_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("sagemaker")


def request_shape(step_type: str) -> StructureShape:
    shape = sagemaker_model().operation_model(STEP_APIS[step_type].operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def property_roots(step_type: str) -> list[StructureShape]:
    roots = []
    for operation in STEP_APIS[step_type].property_operations:
        shape = sagemaker_model().operation_model(operation).output_shape
        assert isinstance(shape, StructureShape)
        roots.append(shape)
    return roots


class PropertyPathError(ValueError):
    """A ``Steps.X.<path>`` does not exist in that step type's properties."""


def property_shape(step_type: str, path: str) -> Shape | None:
    """The botocore shape a step property path ends at; None for Condition's ``Outcome``.

    ``Outputs['train']`` selects a list item by its name (the SDK's encoding), ``[0]`` by index.
    Raises :class:`PropertyPathError` naming the first segment that does not exist.
    """
    try:
        tokens = ex.parse_property_path(path)
    except ValueError as exc:
        raise PropertyPathError(str(exc)) from None
    if step_type == "Condition":
        if tokens == ["Outcome"]:
            return None
        raise PropertyPathError(f"a Condition step has only the property 'Outcome', not {path!r}")
    if step_type not in STEP_APIS:
        raise PropertyPathError(f"a {step_type} step has no properties")
    first = tokens[0]
    shape: Shape | None = None
    for root in property_roots(step_type):
        if isinstance(first, str) and first in root.members:
            shape = root.members[first]
            break
    if shape is None:
        raise PropertyPathError(
            f"{first!r} is not a property of a {step_type} step "
            f"({' / '.join(STEP_APIS[step_type].property_operations)} response)"
        )
    walked = str(first)
    for token in tokens[1:]:
        shape = _step_into(shape, token, walked)
        walked += (
            f"[{token}]" if not isinstance(token, str) or token.startswith("'") else (f".{token}")
        )
    return shape


def _step_into(shape: Shape, token: str | int, walked: str) -> Shape:
    if isinstance(token, int) or token.startswith("'"):
        if shape.type_name == "list":
            return shape.member
        if shape.type_name == "map" and not isinstance(token, int):
            return shape.value
        raise PropertyPathError(f"{walked} is a {shape.type_name}, it cannot be indexed")
    if isinstance(shape, StructureShape) and token in shape.members:
        return shape.members[token]
    if isinstance(shape, StructureShape):
        raise PropertyPathError(
            f"{walked} has no member {token!r}; members: {', '.join(shape.members)}"
        )
    raise PropertyPathError(f"{walked} is a {shape.type_name}, it has no member {token!r}")
