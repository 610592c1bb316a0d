"""The quality gate: register the model only if its gate metric clears the threshold.

The comparison's direction follows the metric (``ml_containers.schema.METRICS``): a score such as
AUC or R² must be at least the threshold (GreaterThanOrEqualTo), an error such as RMSE or log
loss at most the threshold (LessThanOrEqualTo).
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import names
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.pipeline.evaluate import gate_metric_value
from orchestrator.pipeline.step_types.condition import CONDITION, ELSE_STEPS, IF_STEPS


def gate_comparison(config: PipelineConfig) -> str:
    """The condition type that means "good enough" for the dataset's gate metric."""
    return "GreaterThanOrEqualTo" if config.dataset.gate.higher_is_better else "LessThanOrEqualTo"


def quality_gate_step(
    config: PipelineConfig, if_steps: list[dict[str, Any]], else_steps: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "Name": names.QUALITY_GATE,
        "Type": CONDITION.name,
        "Arguments": {
            "Conditions": [
                {
                    "Type": gate_comparison(config),
                    "LeftValue": gate_metric_value(config.gate_metric),
                    "RightValue": ex.parameter(names.METRIC_THRESHOLD),
                }
            ],
            IF_STEPS: if_steps,
            ELSE_STEPS: else_steps,
        },
    }
