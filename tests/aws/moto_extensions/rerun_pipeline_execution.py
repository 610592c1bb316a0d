"""RetryPipelineExecution, which moto 5 lacks, and StartPipelineExecution's
SelectiveExecutionConfig, which moto 5 ignores.

AWS, RetryPipelineExecution
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_RetryPipelineExecution.html):
"Retry the execution of the pipeline"; it takes ``PipelineExecutionArn``,
``ClientRequestToken`` (required, 32-128 characters) and an optional
``ParallelismConfiguration``, answers the same ``PipelineExecutionArn`` and documents the errors
``ConflictException``, ``ResourceNotFound`` and ``ResourceLimitExceeded``. The reference does not
list the statuses that may be retried; this model answers ``ConflictException`` for an execution
still running (Executing, Stopping) and for one that Succeeded (nothing failed to retry), and
retries a Failed or Stopped one: the steps that succeeded stay as they were, the others (and the
definition's steps that never ran) run again, here succeeding at once as moto's executions do.

AWS, SelectiveExecutionConfig
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_SelectiveExecutionConfig.html):
``SelectedSteps`` ("A list of pipeline steps to run") and ``SourcePipelineExecutionArn``, "The
ARN from a reference execution of the current pipeline", whose status "can be either Failed or
Success"; PipelineExecutionStep.SelectiveExecutionResult: "The ARN from an execution of the
current pipeline from which results are reused for this step". The developer guide ("Selective
execution of pipeline steps") adds that unselected steps reuse the reference's outputs and
unselected steps downstream of the selection do not run. The error code of a refused reference
is not documented; this model answers ``ValidationException``.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ConflictException, ResourceNotFound, ValidationError
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import get_pipeline_execution_from_arn

from moto_extensions.state import _scripts, _steps, step

_ORIGINAL_START = SageMakerResponse.start_pipeline_execution


def _retry_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    try:
        execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    except ValidationError:  # moto's lookup answers a missing execution this way
        raise ResourceNotFound(f"Pipeline execution {arn} does not exist.") from None
    status = execution.pipeline_execution_status
    if status in ("Executing", "Stopping", "Succeeded"):
        raise ConflictException(
            f"Pipeline execution {arn} is {status}; only a failed or stopped pipeline "
            "execution can be retried."
        )
    kept = [s for s in _steps(sm).get(arn, []) if s["StepStatus"] == "Succeeded"]
    done = {s["StepName"] for s in kept}
    definition = json.loads(execution.pipeline_definition_for_execution or "{}")
    rerun = [
        step(s["Name"], "Succeeded", step_type=s.get("Type", ""))
        for s in definition.get("Steps", [])
        if s["Name"] not in done
    ]
    _scripts(sm).pop(arn, None)
    _steps(sm)[arn] = kept + rerun
    execution.pipeline_execution_status = "Succeeded"
    execution.pipeline_execution_failure_reason = None
    return ActionResult({"PipelineExecutionArn": arn})


def _start_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    config = self._get_param("SelectiveExecutionConfig")
    if not config:
        return _ORIGINAL_START(self)
    sm = self.sagemaker_backend
    source_arn = config.get("SourcePipelineExecutionArn")
    pipeline_name = self._get_param("PipelineName")
    if source_arn:
        _check_source(sm, source_arn, pipeline_name)
    result = _ORIGINAL_START(self)
    arn = list(sm.pipelines[pipeline_name].pipeline_executions)[-1]  # the one just started
    selected = [s["StepName"] for s in config.get("SelectedSteps") or []]
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    _steps(sm)[arn] = _selective_steps(execution, selected, source_arn)
    return result


def _check_source(sm: Any, source_arn: str, pipeline_name: str) -> None:
    if source_arn.split(":pipeline/", 1)[-1].split("/", 1)[0] != pipeline_name:
        raise ValidationError(
            f"SourcePipelineExecutionArn {source_arn} is not an execution of pipeline "
            f"{pipeline_name}; the reference must be an execution of the current pipeline."
        )
    try:
        source = get_pipeline_execution_from_arn(sm.pipelines, source_arn)
    except ValidationError:
        raise ResourceNotFound(f"Pipeline execution {source_arn} does not exist.") from None
    if source.pipeline_execution_status not in ("Succeeded", "Failed"):
        raise ValidationError(
            f"Pipeline execution {source_arn} is {source.pipeline_execution_status}; a "
            "reference execution must be Succeeded or Failed."
        )


def _selective_steps(
    execution: Any, selected: list[str], source: str | None
) -> list[dict[str, Any]]:
    """The selected top-level steps ran; the unselected ones before the first selected step
    reused the reference's results; those after the selection did not run."""
    names = json.loads(execution.pipeline_definition_for_execution or "{}").get("Steps", [])
    first = min((i for i, s in enumerate(names) if s["Name"] in selected), default=len(names))
    steps = []
    for index, entry in enumerate(names):
        if entry["Name"] in selected:
            steps.append(step(entry["Name"], "Succeeded", step_type=entry.get("Type", "")))
        elif index < first and source:
            reused = step(entry["Name"], "Succeeded", step_type=entry.get("Type", ""))
            reused["SelectiveExecutionResult"] = {"SourcePipelineExecutionArn": source}
            steps.append(reused)
    return steps
