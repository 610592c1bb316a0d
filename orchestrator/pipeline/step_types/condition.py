"""Condition: evaluates its Conditions and runs IfSteps or ElseSteps; no API.

Its one property is ``Outcome`` ("True" or "False"). Its branches hold nested steps (or names of
top-level steps); the steps in a branch run only when that branch is taken, so they depend on the
condition, and a step in one branch can never read a step of the other.
"""

from __future__ import annotations

from typing import Any, Final

from orchestrator.pipeline.step_types.registry import StepCheck, StepType, register

IF_STEPS: Final = "IfSteps"
ELSE_STEPS: Final = "ElseSteps"

# SageMaker's condition types (the SDK's ConditionTypeEnum); Not, Or and In take no Left/Right.
CONDITION_TYPES: Final = (
    "Equals",
    "GreaterThan",
    "GreaterThanOrEqualTo",
    "LessThan",
    "LessThanOrEqualTo",
    "In",
    "Not",
    "Or",
)


def taken_branch(outcome: bool) -> str:
    """The branch that runs for an outcome."""
    return IF_STEPS if outcome else ELSE_STEPS


def _check(step: StepCheck) -> list[str]:
    return _check_conditions(step.where, step.arguments.get("Conditions")) + _check_branches(step)


def _check_conditions(where: str, conditions: Any) -> list[str]:
    if not isinstance(conditions, list) or not conditions:
        return [f"{where}: Conditions must be a non-empty list"]
    problems = []
    for index, condition in enumerate(conditions):
        kind = condition.get("Type") if isinstance(condition, dict) else None
        if kind not in CONDITION_TYPES:
            problems.append(
                f"{where}: Conditions[{index}].Type {kind!r} is not one of {CONDITION_TYPES}"
            )
        elif kind not in ("Not", "Or", "In") and not {"LeftValue", "RightValue"} <= set(condition):
            problems.append(f"{where}: Conditions[{index}] needs LeftValue and RightValue")
    return problems


def _check_branches(step: StepCheck) -> list[str]:
    problems = []
    for side in (IF_STEPS, ELSE_STEPS):
        branch = step.arguments.get(side, [])
        if not isinstance(branch, list):
            problems.append(f"{step.where}: {side} must be a list")
            continue
        for index, item in enumerate(branch):
            if isinstance(item, str):
                if item not in step.step_names:
                    problems.append(
                        f"{step.where}: {side}[{index}] names {item!r}, which is no step"
                    )
            elif not isinstance(item, dict):
                problems.append(f"{step.where}: {side}[{index}] must be a step or a step name")
    return problems


CONDITION = register(
    StepType(
        "Condition", branches=(IF_STEPS, ELSE_STEPS), fixed_properties=("Outcome",), check=_check
    )
)
