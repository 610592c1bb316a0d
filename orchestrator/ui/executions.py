"""The Executions pages' data: the list (status, duration, parameters) and one execution (its
step graph, each step's duration, outputs and logs), from the flows the CLI's ``executions``
commands use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from orchestrator.backends.base import Backend, ExecutionSummary, StepSummary, UnknownExecution
from orchestrator.errors import UserError
from orchestrator.flows.pipeline import find_execution, list_executions
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.ui import execution_sources, graph
from orchestrator.ui.errors import NotFound

LIST_PARAMETERS_FOR = 25  # executions whose parameters the list shows (one call each on AWS)


def when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _seconds(execution: ExecutionSummary) -> float | None:
    if execution.started and execution.ended:
        return round((execution.ended - execution.started).total_seconds(), 1)
    return None


def executions_page(backend: Backend, config: EnvironmentConfig) -> dict[str, Any]:
    """Every execution of the environment's pipeline, newest first."""
    rows = []
    for index, execution in enumerate(list_executions(backend)):
        rows.append(
            {
                "id": execution.id,
                "pipeline": execution.pipeline,
                "status": execution.status,
                "started": when(execution.started),
                "seconds": _seconds(execution),
                "parameters": execution_sources.parameters(backend, config, execution.id)
                if index < LIST_PARAMETERS_FOR
                else None,
            }
        )
    return {"environment": config.name, "backend": backend.name, "executions": rows}


def _find(backend: Backend, execution_id: str) -> ExecutionSummary:
    """The execution, or 404: ``find_execution`` refuses only ids no execution has."""
    try:
        return find_execution(backend, execution_id)
    except (UnknownExecution, UserError) as exc:
        raise NotFound(str(exc)) from None


def step_outputs(step: StepSummary) -> list[dict[str, str]]:
    """What a step produced, by name: processing outputs, the best training job and its model,
    the condition's outcome, the registered model package."""
    props: Mapping[str, Any] = step.properties or {}
    found: list[dict[str, str]] = []
    outputs = (props.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for output in outputs:
        uri = (output.get("S3Output") or {}).get("S3Uri")
        if uri:
            found.append({"name": str(output.get("OutputName", "output")), "value": str(uri)})
    best = props.get("BestTrainingJob") or {}
    if best.get("TrainingJobName"):
        found.append({"name": "best training job", "value": str(best["TrainingJobName"])})
        objective = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        if objective:
            found.append(
                {"name": str(objective.get("MetricName")), "value": str(objective.get("Value"))}
            )
    model = (props.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    if model:
        found.append({"name": "model", "value": str(model)})
    for key in ("Outcome", "ModelPackageArn", "ModelApprovalStatus"):
        if props.get(key) is not None:
            found.append({"name": key, "value": str(props[key])})
    return found


def execution_page(
    backend: Backend, config: EnvironmentConfig, execution_id: str
) -> dict[str, Any]:
    """One execution: its steps (duration, outputs, logs) and its step graph."""
    execution = _find(backend, execution_id)
    steps = [
        {
            "name": s.name,
            "type": s.type,
            "status": s.status,
            "started": when(s.started),
            "seconds": s.seconds,
            "cached": s.cached,
            "attempts": s.attempts,
            "failure_reason": s.failure_reason,
            "outputs": step_outputs(s),
            "logs": execution_sources.step_logs(execution, s.name),
        }
        for s in execution.steps
    ]
    definition = execution_sources.definition(backend, config, execution.id)
    return {
        "environment": config.name,
        "id": execution.id,
        "pipeline": execution.pipeline,
        "status": execution.status,
        "failure_reason": execution.failure_reason,
        "started": when(execution.started),
        "seconds": _seconds(execution),
        "parameters": execution_sources.parameters(backend, config, execution.id),
        "logs": execution.logs,
        "steps": steps,
        "graph": graph.layout(definition, execution),
    }
