"""The quality gate the pipeline chose for this run: its metric, its threshold, its verdict.

The pipeline cannot make a ``JsonGet`` path a parameter (sagemaker-python-sdk #4418), so it
cannot read ``metrics.<GateMetric>.value`` for a metric chosen at run time. Instead it passes the
chosen metric and threshold to this job as environment variables (``GATE_METRIC``,
``GATE_THRESHOLD``: the ``GateMetric`` and ``MetricThreshold`` parameters) and reads the
verdict under fixed keys of ``evaluation.json``'s ``gate`` block:

- ``margin``: how far the metric clears the threshold in its better direction (value minus
  threshold for a score such as AUC, threshold minus value for an error such as RMSE), so the
  condition step is always ``margin >= 0`` whatever the metric's direction;
- ``metric``, ``value``, ``bound`` ("at least" / "at most"): the Fail step's message.

Without the variables (the job run by hand) the schema's own gate applies.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..metrics import gate_metric_names
from ..schema import METRICS, DatasetSchema
from ..train.failure import JobFailure

METRIC_ENV = "GATE_METRIC"
THRESHOLD_ENV = "GATE_THRESHOLD"


@dataclass(frozen=True)
class Gate:
    metric: str
    threshold: float
    higher_is_better: bool

    @property
    def bound(self) -> str:
        return "at least" if self.higher_is_better else "at most"

    def margin(self, value: float) -> float:
        """Non-negative exactly when ``value`` passes (IEEE subtraction keeps the sign)."""
        return value - self.threshold if self.higher_is_better else self.threshold - value


def chosen_gate(schema: DatasetSchema, environ: dict[str, str] | None = None) -> Gate:
    """The gate of this run: the environment's choice, else the schema's; a metric the problem
    type does not produce, or a threshold that is not a finite number, fails the job."""
    env = os.environ if environ is None else environ
    metric = env.get(METRIC_ENV, "").strip() or schema.gate.name
    allowed = gate_metric_names(schema.problem_type)
    if metric not in allowed:
        raise JobFailure(
            f"{METRIC_ENV}={metric!r} is not a metric of a {schema.problem_type.value} "
            f"model; choose one of {', '.join(allowed)}"
        )
    text = env.get(THRESHOLD_ENV, "").strip()
    if not text:
        threshold = float(schema.gate.threshold)
    else:
        try:
            threshold = float(text)
        except ValueError:
            threshold = math.nan
        if not math.isfinite(threshold):
            raise JobFailure(f"{THRESHOLD_ENV}={text!r} is not a finite number; pass e.g. 0.8")
    return Gate(metric, threshold, METRICS[metric].higher_is_better)
