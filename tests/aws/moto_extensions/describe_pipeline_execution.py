"""DescribePipelineExecution: report the execution's FailureReason.

AWS: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribePipelineExecution.html
documents ``FailureReason`` ("If the execution failed, a message describing why") in the
response; moto 5 always answers "". Scripted executions (:func:`state.script_execution`) also
advance one state per call here, as a running execution does between two polls.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import get_pipeline_execution_from_arn

from moto_extensions.state import _apply_state, _scripts


def _describe_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    script = _scripts(sm).get(arn)
    if script:
        _apply_state(sm, arn, script.pop(0) if len(script) > 1 else script[0])
    response = sm.describe_pipeline_execution(arn)
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    response["FailureReason"] = execution.pipeline_execution_failure_reason or ""
    return ActionResult(response)
