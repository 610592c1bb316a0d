"""The Fail step taken when the quality gate is not met: the message says by how much.

Metric, value and direction come from the Evaluate step's report (the run chose the metric with
``GateMetric``), the threshold from ``MetricThreshold``.
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import names
from orchestrator.pipeline.evaluate import gate_report
from orchestrator.pipeline.step_types.fail import FAIL


def gate_failed_step() -> dict[str, Any]:
    message = ex.join(
        [
            "Quality gate not met: test",
            gate_report("metric"),
            "is",
            gate_report("value"),
            "but must be",
            gate_report("bound"),
            ex.parameter(names.METRIC_THRESHOLD),
            f"({names.METRIC_THRESHOLD}); the model was not registered.",
        ],
        on=" ",
    )
    return {"Name": names.GATE_FAILED, "Type": FAIL.name, "Arguments": {"ErrorMessage": message}}
