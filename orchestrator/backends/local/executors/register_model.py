"""RegisterModel steps: a model package version in the runner's model registry
(:mod:`orchestrator.backends.local.registration`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.backends.local.errors import DefinitionError
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.registration import run_register_model
from orchestrator.backends.local.steps import StepContext, StepExecutor, register_executor
from orchestrator.pipeline.step_types.register_model import REGISTER_MODEL


def run(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    if ctx.registry is None:
        raise DefinitionError(
            f"step {step!r} registers a model but the runner was created without a registry"
        )
    return run_register_model(step, arguments, store=ctx.store, registry=ctx.registry)


def summary(properties: Mapping[str, Any]) -> str:
    """The group and the version just registered."""
    return f"{properties.get('ModelPackageGroupName')} v{properties.get('ModelPackageVersion')}"


EXECUTOR = register_executor(
    REGISTER_MODEL.name, StepExecutor(run, summary=summary, needs_registry=True)
)
