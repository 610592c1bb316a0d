"""Where the extensions keep their state: moto's own SageMaker backend (so ``mock_aws`` resets
it between tests), and the scripted execution states tests set up (SageMaker's side of a run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.utils import get_pipeline_execution_from_arn

ACCOUNT = "123456789012"
REGION = "us-east-1"


def backend(account: str = ACCOUNT, region: str = REGION) -> SageMakerModelBackend:
    return sagemaker_backends[account][region]


@dataclass
class ExecutionState:
    """One state of a scripted execution: its status, reason and steps at that moment."""

    status: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    failure_reason: str = ""


def step(name: str, status: str, reason: str = "", step_type: str = "Processing") -> dict[str, Any]:
    """A ListPipelineExecutionSteps entry as SageMaker returns it."""
    entry: dict[str, Any] = {
        "StepName": name,
        "StepDisplayName": name,
        "StepStatus": status,
        "StartTime": datetime.now(UTC),
        "AttemptCount": 1,
        "Metadata": {},
    }
    if step_type == "Processing":
        entry["Metadata"] = {
            "ProcessingJob": {"Arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}"}
        }
    if status in ("Succeeded", "Failed", "Stopped"):
        entry["EndTime"] = datetime.now(UTC)
    if reason:
        entry["FailureReason"] = reason
    return entry


def _scripts(sm: SageMakerModelBackend) -> dict[str, list[ExecutionState]]:
    kept: dict[str, list[ExecutionState]] = sm.__dict__.setdefault("_test_execution_scripts", {})
    return kept


def _steps(sm: SageMakerModelBackend) -> dict[str, list[dict[str, Any]]]:
    kept: dict[str, list[dict[str, Any]]] = sm.__dict__.setdefault("_test_execution_steps", {})
    return kept


def script_execution(execution_arn: str, states: list[ExecutionState]) -> None:
    """Each DescribePipelineExecution of ``execution_arn`` moves to the next state (the last one
    stays), as a running execution advances on SageMaker."""
    sm = backend()
    get_pipeline_execution_from_arn(sm.pipelines, execution_arn)  # must exist
    _scripts(sm)[execution_arn] = list(states)
    _apply_state(sm, execution_arn, states[0])


def _apply_state(sm: SageMakerModelBackend, arn: str, state: ExecutionState) -> None:
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    execution.pipeline_execution_status = state.status
    # moto annotates the attribute as always None; SageMaker reports a reason for a failure.
    execution.pipeline_execution_failure_reason = state.failure_reason or None  # type: ignore[assignment]
    _steps(sm)[arn] = state.steps
