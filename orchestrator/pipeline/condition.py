"""The quality gate: register the model only if the run's gate metric clears the threshold.

The comparison's direction follows the metric (``ml_containers.schema.METRICS``): a score such as
AUC or R² must be at least the threshold, an error such as RMSE or log loss at most. The metric
is chosen at run time (``GateMetric``), so its direction is known only then: Evaluate writes the
signed distance to the threshold (``gate.margin``, non-negative exactly when the metric clears it
in its better direction) and the condition is always ``margin >= 0``.
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import names
from orchestrator.pipeline.evaluate import gate_report
from orchestrator.pipeline.step_types.condition import CONDITION, ELSE_STEPS, IF_STEPS


def quality_gate_step(
    if_steps: list[dict[str, Any]], else_steps: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "Name": names.QUALITY_GATE,
        "Type": CONDITION.name,
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": gate_report("margin"),
                    "RightValue": 0.0,
                }
            ],
            IF_STEPS: if_steps,
            ELSE_STEPS: else_steps,
        },
    }
