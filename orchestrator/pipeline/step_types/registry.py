"""The step-type registry: what each SageMaker pipeline step type is, kept in one place.

The builder's validator (structure and API checks), property paths and the local runner's graph,
cache and executors all read a step type from here, so none of them lists step types or branches
on a type's name. Each type is one module of this package that calls :func:`register`; the local
runner registers an executor under the same name in ``backends/local/executors/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# The exception types a step's RetryPolicies may name, as SageMaker's developer guide ("Retry
# Policy for Pipeline Steps", pipelines-retry-policy) and the SageMaker Python SDK's
# sagemaker/workflow/retry.py (StepExceptionTypeEnum, SageMakerJobExceptionTypeEnum) spell them.
SERVICE_FAULT: Final = "Step.SERVICE_FAULT"
THROTTLING: Final = "Step.THROTTLING"
JOB_INTERNAL_ERROR: Final = "SageMaker.JOB_INTERNAL_ERROR"
CAPACITY_ERROR: Final = "SageMaker.CAPACITY_ERROR"
RESOURCE_LIMIT: Final = "SageMaker.RESOURCE_LIMIT"
STEP_EXCEPTIONS: Final = (SERVICE_FAULT, THROTTLING)
JOB_EXCEPTIONS: Final = (JOB_INTERNAL_ERROR, CAPACITY_ERROR, RESOURCE_LIMIT)


@dataclass(frozen=True)
class StepApi:
    """The API a step type's Arguments stand for, and the responses its properties come from."""

    operation: str
    # Request members SageMaker fills itself (job names); the validator adds placeholders.
    filled_by_sagemaker: tuple[str, ...]
    property_operations: tuple[str, ...]


@dataclass(frozen=True)
class StepCheck:
    """What a step type's own argument check sees of one step."""

    where: str  # "step 'Name'", the prefix of every problem
    arguments: Mapping[str, Any]
    step_names: frozenset[str]  # the top-level steps (a branch may name one instead of nesting it)


ArgumentCheck = Callable[[StepCheck], list[str]]


@dataclass(frozen=True)
class NamedOutputs:
    """Where a step's Arguments list its named outputs (which property files and
    ``...Outputs['name']`` property paths may name)."""

    path: tuple[str, ...]  # e.g. ProcessingOutputConfig.Outputs
    name_field: str  # e.g. OutputName


@dataclass(frozen=True)
class StepType:
    """One step type of SageMaker's pipeline definition schema (2020-12-01)."""

    name: str
    api: StepApi | None = None
    # Argument keys whose lists hold nested steps (a Condition's IfSteps and ElseSteps).
    branches: tuple[str, ...] = ()
    # Properties the step has without an API response (a Condition's Outcome).
    fixed_properties: tuple[str, ...] = ()
    outputs: NamedOutputs | None = None
    # SageMaker's default cache-key attributes of the type (empty: the type is never cached),
    # and for an attribute holding an object, which of its members count.
    cache_keys: tuple[str, ...] = ()
    nested_cache_keys: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Checks of the Arguments beyond the API's request shape (conditions, messages).
    check: ArgumentCheck | None = None
    # The exception types SageMaker retries for this type under its RetryPolicies (empty: the
    # type takes no RetryPolicies). pipelines-retry-policy lists the types that do.
    retry_exceptions: tuple[str, ...] = ()

    def own_arguments(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments that hold the step's own references and values: all but its branches
        (nested steps are steps of their own, resolved and checked as such)."""
        return {key: value for key, value in arguments.items() if key not in self.branches}

    def output_names(self, arguments: Any) -> set[str]:
        """The names of the outputs ``arguments`` declare (empty for a type without outputs)."""
        found: Any = arguments
        for key in self.outputs.path if self.outputs else ():
            found = found.get(key) if isinstance(found, Mapping) else None
        if self.outputs is None or not isinstance(found, list):
            return set()
        field = self.outputs.name_field
        return {str(item.get(field)) for item in found if isinstance(item, Mapping)}

    def check_arguments(self, check: StepCheck) -> list[str]:
        return self.check(check) if self.check else []


_REGISTRY: dict[str, StepType] = {}


def register(step_type: StepType) -> StepType:
    """Add a step type; registering a name twice with different facts is a programming error."""
    if step_type.name in _REGISTRY and _REGISTRY[step_type.name] != step_type:
        raise ValueError(f"step type {step_type.name!r} is registered twice")
    _REGISTRY[step_type.name] = step_type
    return step_type


def get(name: str) -> StepType | None:
    return _REGISTRY.get(name)


def names() -> tuple[str, ...]:
    """Every registered step type, in registration order."""
    return tuple(_REGISTRY)
