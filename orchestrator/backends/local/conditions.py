"""Evaluates a Condition step's ``Conditions`` (already resolved to plain values).

SageMaker's condition types (the pipeline's Condition step type lists them): the comparisons
(Equals, GreaterThan, GreaterThanOrEqualTo, LessThan, LessThanOrEqualTo) on
``LeftValue``/``RightValue``, ``In`` (``QueryValue`` in ``Values``), ``Not`` (``Expression``)
and ``Or`` (``Conditions``). A step's list of conditions is a conjunction. Numbers compare
numerically even when one side arrives as a numeric string (parameters and JSON files disagree
on types); anything else that can't be compared is an error with both values shown, not a
silent False.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.backends.local.errors import StepFailed
from orchestrator.pipeline.step_types.condition import CONDITION_TYPES

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "GreaterThan": operator.gt,
    "GreaterThanOrEqualTo": operator.ge,
    "LessThan": operator.lt,
    "LessThanOrEqualTo": operator.le,
}


def evaluate_all(conditions: list[Any]) -> bool:
    """True when every condition holds (SageMaker ANDs a step's conditions)."""
    return all(evaluate(condition) for condition in conditions)


def evaluate(condition: Any) -> bool:
    if not isinstance(condition, Mapping) or "Type" not in condition:
        raise StepFailed(f"a condition must be an object with a Type, got {condition!r}")
    kind = condition["Type"]
    if kind in _COMPARISONS:
        left, right = _comparable(condition.get("LeftValue"), condition.get("RightValue"))
        try:
            return bool(_COMPARISONS[kind](left, right))
        except TypeError:
            raise StepFailed(
                f"condition {kind} cannot compare {left!r} with {right!r}; make both sides "
                "numbers or both strings"
            ) from None
    if kind == "In":
        query = condition.get("QueryValue")
        return any(_equal(query, value) for value in condition.get("Values") or [])
    if kind == "Not":
        return not evaluate(condition.get("Expression"))
    if kind == "Or":
        return any(evaluate(item) for item in condition.get("Conditions") or [])
    raise StepFailed(f"unknown condition type {kind!r}; use one of {', '.join(CONDITION_TYPES)}")


def _equal(left: Any, right: Any) -> bool:
    a, b = _comparable(left, right)
    return bool(a == b)


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return left_number, right_number
    return left, right


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
