"""The Fail step taken when the quality gate is not met: the message says by how much."""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import names
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.pipeline.evaluate import gate_metric_value
from orchestrator.pipeline.step_types.fail import FAIL


def gate_failed_step(config: PipelineConfig) -> dict[str, Any]:
    gate = config.dataset.gate
    bound = "at least" if gate.higher_is_better else "at most"
    message = ex.join(
        [
            f"Quality gate not met: test {gate.name} is",
            gate_metric_value(gate.name),
            f"but must be {bound}",
            ex.parameter(names.METRIC_THRESHOLD),
            f"({names.METRIC_THRESHOLD}); the model was not registered.",
        ],
        on=" ",
    )
    return {"Name": names.GATE_FAILED, "Type": FAIL.name, "Arguments": {"ErrorMessage": message}}
