"""botocore's SageMaker service model, and what each step type stands for in it.

A step's Arguments are the request of one API (Processing -> CreateProcessingJob, ...), and its
properties (``Steps.X.<path>``) are that job's Describe* response. botocore ships both shapes, so
the definition can be checked against AWS's own model without calling AWS.
"""

from __future__ import annotations

from botocore.model import Shape, StructureShape

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import step_types
from orchestrator.pipeline.step_types import StepApi
from orchestrator.settings.sagemaker_model import sagemaker_model


def step_api(step_type: str) -> StepApi:
    """The API of a step type that has one (KeyError-free: callers check :func:`has_api`)."""
    found = step_types.get(step_type)
    if found is None or found.api is None:
        raise PropertyPathError(f"a {step_type} step stands for no SageMaker API")
    return found.api


def has_api(step_type: str) -> bool:
    found = step_types.get(step_type)
    return found is not None and found.api is not None


def request_shape(step_type: str) -> StructureShape:
    shape = sagemaker_model().operation_model(step_api(step_type).operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def property_roots(step_type: str) -> list[StructureShape]:
    roots = []
    for operation in step_api(step_type).property_operations:
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
    kind = step_types.get(step_type)
    if kind is not None and kind.fixed_properties:
        if len(tokens) == 1 and tokens[0] in kind.fixed_properties:
            return None
        raise PropertyPathError(
            f"a {step_type} step has only the properties {list(kind.fixed_properties)}, "
            f"not {path!r}"
        )
    if not has_api(step_type):
        raise PropertyPathError(f"a {step_type} step has no properties")
    first = tokens[0]
    shape: Shape | None = None
    for root in property_roots(step_type):
        if isinstance(first, str) and first in root.members:
            shape = root.members[first]
            break
    if shape is None:
        raise PropertyPathError(
            f"{ex.render_property_path([first])!r} is not a property of a {step_type} step "
            f"({' / '.join(step_api(step_type).property_operations)} response)"
        )
    for depth, token in enumerate(tokens[1:], start=1):
        shape = _step_into(shape, token, ex.render_property_path(tokens[:depth]))
    return shape


def _step_into(shape: Shape, token: ex.PathToken, walked: str) -> Shape:
    if not isinstance(token, str):  # [0] or ['name']
        if shape.type_name == "list":
            return shape.member
        if shape.type_name == "map" and isinstance(token, ex.Key):
            return shape.value
        raise PropertyPathError(f"{walked} is a {shape.type_name}, it cannot be indexed")
    if isinstance(shape, StructureShape) and token in shape.members:
        return shape.members[token]
    if isinstance(shape, StructureShape):
        raise PropertyPathError(
            f"{walked} has no member {token!r}; members: {', '.join(shape.members)}"
        )
    raise PropertyPathError(f"{walked} is a {shape.type_name}, it has no member {token!r}")
