"""Training time per million rows, from the environment's recorded executions.

The newest succeeded execution whose tuning step ran trials gives the wall time of each trial
(``TrainingJobSummaries``: TrainingStartTime to TrainingEndTime, as SageMaker reports them) and
Preprocess's report gives the rows they trained on. A trial's time includes the ``train``
process's fixed start-up (imports, reading the channels), so on a small dataset the figure per
million rows overstates the per-row cost; the recommendation says so.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from orchestrator.backends.base import Backend, ExecutionSummary, StepSummary
from orchestrator.errors import UserError
from orchestrator.recommend.measurements import TrainingMeasurement

NO_RECORD = (
    "no succeeded execution of pipeline {pipeline} has a tuning step that ran trials, so there "
    "is no training time to scale; run the pipeline first (`orchestrator run --env {env}`)"
)


def from_executions(backend: Backend, environment: str, cpus: int) -> TrainingMeasurement:
    """The newest usable record; UserError naming `orchestrator run` when there is none."""
    pipeline = backend.outputs.pipeline_name
    for execution in backend.pipelines.list_executions(pipeline):
        if not execution.succeeded:
            continue
        measured = _from_execution(backend, execution, cpus)
        if measured is not None:
            return measured
    raise UserError(NO_RECORD.format(pipeline=pipeline, env=environment))


def _from_execution(
    backend: Backend, execution: ExecutionSummary, cpus: int
) -> TrainingMeasurement | None:
    tune = next((s for s in execution.steps if s.properties.get("TrainingJobSummaries")), None)
    preprocess = next((s for s in execution.steps if _report_uri(s)), None)
    if tune is None or preprocess is None:
        return None
    seconds = [_seconds(t) for t in tune.properties["TrainingJobSummaries"]]
    trials = [t for t in seconds if t is not None and t > 0]
    report = _report(backend, _report_uri(preprocess) or "")
    if not trials or report is None:
        return None
    limits = tune.properties.get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
    parallel = max(1, min(int(limits.get("MaxParallelTrainingJobs", 1)), len(trials)))
    splits = report.get("splits", {})
    return TrainingMeasurement(
        source=f"recorded execution {execution.id}",
        execution=execution.id,
        trials=len(trials),
        trial_seconds=round(statistics.median(trials), 3),
        train_rows=int(splits.get("train", 0)) or 1,
        validation_rows=int(splits.get("validation", 0)),
        rows_in=int(report.get("rows_in", 0)) or 1,
        features=int(report.get("transform", {}).get("output_features", 0)) or 1,
        threads_per_trial=round(max(cpus / parallel, 1.0), 2),
    )


def _seconds(summary: Mapping[str, Any]) -> float | None:
    try:
        start = datetime.fromisoformat(str(summary["TrainingStartTime"]))
        end = datetime.fromisoformat(str(summary["TrainingEndTime"]))
    except (KeyError, ValueError):
        return None
    if summary.get("TrainingJobStatus") not in (None, "Completed"):
        return None
    return (end - start).total_seconds()


def _report_uri(step: StepSummary) -> str | None:
    outputs = step.properties.get("ProcessingOutputConfig", {}).get("Outputs", [])
    for output in outputs:
        if output.get("OutputName") == "report":
            return str(output["S3Output"]["S3Uri"]).rstrip("/") + "/report.json"
    return None


def _report(backend: Backend, uri: str) -> dict[str, Any] | None:
    try:
        data = json.loads(backend.artifacts.read_bytes(uri))
    except (OSError, ValueError, KeyError, LookupError):
        return None
    return data if isinstance(data, dict) else None
