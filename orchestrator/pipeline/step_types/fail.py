"""Fail: ends the execution as Failed with its ErrorMessage; no API and no properties."""

from __future__ import annotations

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline.step_types.registry import StepCheck, StepType, register


def _check(step: StepCheck) -> list[str]:
    message = step.arguments.get("ErrorMessage")
    if isinstance(message, str) or ex.is_expression(message):
        return []
    return [f"{step.where}: ErrorMessage must be a string or a Std:Join/Get expression"]


FAIL = register(StepType("Fail", check=_check))
