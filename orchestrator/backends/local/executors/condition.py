"""Condition steps: their resolved Conditions evaluated here, and the branch that runs chosen
from the Outcome (:mod:`orchestrator.backends.local.conditions`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.backends.local.conditions import evaluate_all
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.steps import StepContext, StepExecutor, register_executor
from orchestrator.pipeline.step_types.condition import CONDITION, taken_branch


def run(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    outcome = evaluate_all(arguments.get("Conditions") or [])
    return StepOutcome(
        {"Outcome": "True" if outcome else "False", "Conditions": arguments.get("Conditions", [])}
    )


def branch(properties: Mapping[str, Any]) -> str:
    return taken_branch(properties.get("Outcome") == "True")


def summary(properties: Mapping[str, Any]) -> str:
    return f"outcome {properties.get('Outcome')}"


EXECUTOR = register_executor(
    CONDITION.name, StepExecutor(run, summary=summary, taken_branch=branch)
)
