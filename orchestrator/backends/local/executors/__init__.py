"""The local runner's executors, one module per step type, registered on import.

A step type runs locally once a module here registers a
:class:`~orchestrator.backends.local.steps.StepExecutor` under its name and is imported below;
every other type, known to the pipeline registry or not, is refused by name before a run starts.
"""

from __future__ import annotations

from orchestrator.backends.local.errors import DefinitionError
from orchestrator.backends.local.executors import (
    condition,
    fail,
    processing,
    register_model,
    training,
    tuning,
)
from orchestrator.backends.local.steps import StepExecutor, registered_executors
from orchestrator.pipeline import step_types

__all__ = [
    "condition",
    "executor_for",
    "executor_types",
    "fail",
    "processing",
    "register_model",
    "training",
    "tuning",
]


def executor_types() -> tuple[str, ...]:
    """The step types the local runner runs, in the pipeline registry's order."""
    executors = registered_executors()
    return tuple(name for name in step_types.names() if name in executors)


def executor_for(step_type: str, step_name: str) -> StepExecutor:
    """The executor of a step's type; DefinitionError naming the type when there is none."""
    executor = registered_executors().get(step_type)
    if executor is not None:
        return executor
    what = (
        "a SageMaker step type with no local executor"
        if step_types.get(step_type)
        else "no SageMaker step type"
    )
    raise DefinitionError(
        f"step {step_name!r} has type {step_type!r} ({what}), which the local runner does not "
        f"run; supported: {', '.join(executor_types())}"
    )
