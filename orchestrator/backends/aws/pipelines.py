"""The pipeline on SageMaker: upsert the definition, start executions, wait for them.

- :func:`upsert_pipeline` compares the built definition with the deployed one *as JSON values*
  (key order and whitespace do not count) and sends nothing when they are equal, so re-running
  CI does not create a new pipeline version; otherwise it shows the unified diff and updates.
- :func:`start_execution` checks parameter overrides against the deployed definition's
  declared parameters (name, type, allowed values) before StartPipelineExecution, which would
  accept an unknown name and fail the run later.
- :func:`wait_for_execution` polls with a timeout, reports progress when a step changes state,
  and on failure names the failing step and its reason from ListPipelineExecutionSteps (the
  execution's own FailureReason is often only "step X failed").
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator.backends.aws.clients import aws_errors, describe_or_none
from orchestrator.backends.aws.errors import AwsRequestError, PipelineExecutionFailed
from orchestrator.backends.aws.pagination import list_all
from orchestrator.backends.base import UpsertResult
from orchestrator.backends.polling import PollSettings, poll
from orchestrator.pipeline import PipelineDefinition
from orchestrator.pipeline.diff import definition_diff

TERMINAL_STATUSES = ("Succeeded", "Failed", "Stopped")


# -- upsert ---------------------------------------------------------------------------------------
def deployed_pipeline(sagemaker: Any, pipeline_name: str) -> dict[str, Any] | None:
    """DescribePipeline's answer, or None when no pipeline has that name."""
    return describe_or_none(
        f"describe pipeline {pipeline_name}",
        lambda: sagemaker.describe_pipeline(PipelineName=pipeline_name),
    )


def upsert_pipeline(
    sagemaker: Any,
    definition: PipelineDefinition,
    *,
    role_arn: str,
    description: str = "",
    tags: Mapping[str, str] | None = None,
) -> UpsertResult:
    """Create the pipeline, update it when its definition or role changed, or skip it.

    ``role_arn`` is the stack's ``pipeline_role_arn``. Tags are set on creation only (SageMaker
    keeps a pipeline's tags across UpdatePipeline).
    """
    name = definition.pipeline_name
    new_text = definition.to_json()
    deployed = deployed_pipeline(sagemaker, name)
    if deployed is None:
        request: dict[str, Any] = {
            "PipelineName": name,
            "PipelineDefinition": new_text,
            "RoleArn": role_arn,
            "ClientRequestToken": str(uuid.uuid4()),
        }
        if description:
            request["PipelineDescription"] = description
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        with aws_errors(f"create pipeline {name}"):
            arn = sagemaker.create_pipeline(**request)["PipelineArn"]
        return UpsertResult(name, arn, "created")
    deployed_text = str(deployed.get("PipelineDefinition") or "{}")
    diff = definition_diff(deployed_text, new_text, name)
    role_changed = deployed.get("RoleArn") != role_arn
    if not diff and not role_changed:
        return UpsertResult(name, str(deployed["PipelineArn"]), "unchanged")
    if role_changed:
        diff += f"RoleArn: {deployed.get('RoleArn')} -> {role_arn}\n"
    update: dict[str, Any] = {
        "PipelineName": name,
        "PipelineDefinition": new_text,
        "RoleArn": role_arn,
    }
    if description:
        update["PipelineDescription"] = description
    with aws_errors(f"update pipeline {name}"):
        arn = sagemaker.update_pipeline(**update)["PipelineArn"]
    return UpsertResult(name, arn, "updated", diff)


# -- start ----------------------------------------------------------------------------------------
class ParameterOverrideError(AwsRequestError):
    """A parameter override names no declared parameter or has the wrong type or value."""


def start_execution(
    sagemaker: Any,
    pipeline_name: str,
    overrides: Mapping[str, Any] | None = None,
    *,
    display_name: str | None = None,
    description: str = "",
    selective: Mapping[str, Any] | None = None,
) -> str:
    """Start an execution of the *deployed* pipeline with ``overrides``; returns its ARN.

    Overrides are checked against the deployed definition's Parameters and sent as the strings
    SageMaker takes. Raises :class:`ParameterOverrideError` (exit 2) listing every bad override.
    """
    deployed = deployed_pipeline(sagemaker, pipeline_name)
    if deployed is None:
        raise AwsRequestError(
            f"pipeline {pipeline_name} does not exist; run `orchestrator pipeline upsert` first"
        )
    declared = {
        p["Name"]: p
        for p in json.loads(str(deployed.get("PipelineDefinition") or "{}")).get("Parameters", [])
    }
    parameters = override_parameters(declared, dict(overrides or {}), pipeline_name)
    request: dict[str, Any] = {
        "PipelineName": pipeline_name,
        "PipelineParameters": parameters,
        "ClientRequestToken": str(uuid.uuid4()),
    }
    if display_name:
        request["PipelineExecutionDisplayName"] = display_name
    if description:
        request["PipelineExecutionDescription"] = description
    if selective:  # executions.selective_config: run only some steps, reuse the rest
        request["SelectiveExecutionConfig"] = dict(selective)
    with aws_errors(f"start pipeline {pipeline_name}"):
        return str(sagemaker.start_pipeline_execution(**request)["PipelineExecutionArn"])


def override_parameters(
    declared: Mapping[str, Mapping[str, Any]], overrides: Mapping[str, Any], pipeline: str
) -> list[dict[str, str]]:
    """PipelineParameters for ``overrides`` (values as text), checked against ``declared``."""
    problems: list[str] = []
    parameters: list[dict[str, str]] = []
    for name in sorted(overrides):
        value = overrides[name]
        spec = declared.get(name)
        if spec is None:
            problems.append(
                f"{name!r} is not a parameter of {pipeline} (it declares "
                f"{', '.join(sorted(declared)) or 'none'})"
            )
            continue
        text, problem = _as_parameter_text(value, str(spec.get("Type", "String")))
        if problem:
            problems.append(f"{name}: {problem}")
            continue
        allowed = spec.get("EnumValues")
        if allowed and text not in allowed:
            problems.append(f"{name}: {text!r} is not one of {list(allowed)}")
            continue
        parameters.append({"Name": name, "Value": text})
    if problems:
        raise ParameterOverrideError(
            "bad parameter overrides: " + "; ".join(problems) + ". Use NAME=VALUE with a declared "
            "parameter and a value of its type."
        )
    return parameters


def _as_parameter_text(value: Any, kind: str) -> tuple[str, str]:
    """(text, problem): the override as SageMaker's string value, or why it does not fit."""
    if kind == "Boolean":
        if isinstance(value, bool):
            return ("true" if value else "false"), ""
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower(), ""
        return "", f"{value!r} is not a Boolean (true or false)"
    if kind == "Integer":
        try:
            number = int(value) if not isinstance(value, (bool, float)) else None
        except (TypeError, ValueError):
            number = None
        if number is None:
            return "", f"{value!r} is not an Integer"
        return str(number), ""
    if kind == "Float":
        try:
            number_f = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number_f = math.nan
        if not math.isfinite(number_f):
            return "", f"{value!r} is not a finite Float"
        return repr(number_f), ""
    return str(value), ""


# -- wait -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepState:
    """One step of an execution as ListPipelineExecutionSteps reports it."""

    name: str
    status: str
    failure_reason: str = ""
    start_time: datetime | None = None
    cache_hit: bool = False
    cache_source: str | None = None  # CacheHitResult.SourcePipelineExecutionArn
    end_time: datetime | None = None
    job_arn: str | None = None
    attempts: int = 0  # AttemptCount: runs of the step, retries under its RetryPolicies included
    reused_from: str | None = None  # SelectiveExecutionResult.SourcePipelineExecutionArn


@dataclass(frozen=True)
class ExecutionState:
    """An execution's status and steps (oldest step first) at one poll."""

    arn: str
    status: str
    failure_reason: str = ""
    steps: tuple[StepState, ...] = field(default_factory=tuple)

    @property
    def failed_steps(self) -> list[StepState]:
        return [s for s in self.steps if s.status == "Failed"]

    def describe_failure(self) -> str:
        """The failing step(s) and reason(s), or the execution's own reason."""
        failed = self.failed_steps
        if failed:
            return "; ".join(
                f"step {s.name!r} failed: {s.failure_reason or '(no reason given)'}" for s in failed
            )
        return self.failure_reason or f"the execution ended {self.status} without a reason"


ProgressCallback = Callable[[ExecutionState], None]


def execution_state(sagemaker: Any, execution_arn: str) -> ExecutionState:
    """The execution's status and every step (all pages)."""
    with aws_errors(f"describe pipeline execution {execution_arn}"):
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        steps = list_all(
            sagemaker,
            "list_pipeline_execution_steps",
            "PipelineExecutionSteps",
            PipelineExecutionArn=execution_arn,
            SortOrder="Ascending",
        )
    return ExecutionState(
        arn=execution_arn,
        status=str(described["PipelineExecutionStatus"]),
        failure_reason=str(described.get("FailureReason") or ""),
        steps=tuple(
            StepState(
                name=str(s["StepName"]),
                status=str(s.get("StepStatus", "")),
                failure_reason=str(s.get("FailureReason") or ""),
                start_time=s.get("StartTime"),
                cache_hit="CacheHitResult" in s,
                cache_source=(s.get("CacheHitResult") or {}).get("SourcePipelineExecutionArn"),
                end_time=s.get("EndTime"),
                job_arn=step_job_arn(s.get("Metadata") or {}),
                attempts=int(s.get("AttemptCount") or 0),
                reused_from=(s.get("SelectiveExecutionResult") or {}).get(
                    "SourcePipelineExecutionArn"
                ),
            )
            for s in sorted(steps, key=_started)
        ),
    )


def wait_for_execution(
    sagemaker: Any,
    execution_arn: str,
    poll_settings: PollSettings,
    *,
    progress: ProgressCallback | None = None,
) -> ExecutionState:
    """Wait until the execution ends; return its final state when it Succeeded.

    ``progress`` gets the state whenever the execution's or a step's status changed. Raises
    :class:`PipelineExecutionFailed` (naming the failing step and its reason) when it ends
    Failed or Stopped, and :class:`~orchestrator.backends.aws.errors.WaitTimeout` when the timeout
    passes first (the execution keeps running).
    """
    last_seen: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def report(state: ExecutionState) -> None:
        signature = (state.status, tuple((s.name, s.status) for s in state.steps))
        if progress is not None and (not last_seen or last_seen[-1] != signature):
            progress(state)
        last_seen[:] = [signature]

    final = poll(
        lambda: execution_state(sagemaker, execution_arn),
        lambda state: state.status in TERMINAL_STATUSES,
        poll_settings,
        what=f"pipeline execution {execution_arn}",
        on_state=report,
        on_timeout=(
            "it keeps running on SageMaker; wait again with `orchestrator pipeline wait`, or "
            "stop it in the console or with StopPipelineExecution"
        ),
    )
    if final.status != "Succeeded":
        raise PipelineExecutionFailed(
            f"pipeline execution {execution_arn} ended {final.status}: {final.describe_failure()}",
            final,
        )
    return final


def stop_execution(sagemaker: Any, execution_arn: str) -> None:
    """Ask SageMaker to stop a running execution (it ends Stopped)."""
    with aws_errors(f"stop pipeline execution {execution_arn}"):
        sagemaker.stop_pipeline_execution(
            PipelineExecutionArn=execution_arn, ClientRequestToken=str(uuid.uuid4())
        )


def step_job_arn(metadata: Mapping[str, Any]) -> str | None:
    """The ARN in a step's Metadata (API reference, PipelineExecutionStepMetadata: one member
    per step type, e.g. ProcessingJob, TuningJob, RegisterModel, each with an Arn)."""
    for value in metadata.values():
        if isinstance(value, Mapping) and isinstance(value.get("Arn"), str):
            return str(value["Arn"])
    return None


def _started(step: Mapping[str, Any]) -> tuple[int, Any]:
    start = step.get("StartTime")
    return (0, start) if start is not None else (1, 0)
