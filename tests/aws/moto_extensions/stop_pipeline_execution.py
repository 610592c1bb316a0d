"""StopPipelineExecution, which moto 5 lacks.

AWS: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopPipelineExecution.html:
"Stops a pipeline execution"; the execution passes through Stopping (PipelineExecutionStatus)
and ends "Stopped" (here at once, no callback or Lambda step can hold it). The action's
documented errors are ``ResourceNotFound`` ("Resource being access is not found.") and
``ConflictException``; the reference does not say which one an execution that already ended
gets, so this model answers the conflict one (the execution's state forbids the change).
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ConflictException, ResourceNotFound, ValidationError
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import get_pipeline_execution_from_arn

from moto_extensions.state import _scripts


def _stop_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    try:
        execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    except ValidationError:  # moto's lookup answers a missing execution this way
        raise ResourceNotFound(f"Pipeline execution {arn} does not exist.") from None
    if execution.pipeline_execution_status not in ("Executing", "Stopping"):
        raise ConflictException(
            f"Pipeline execution {arn} is {execution.pipeline_execution_status}; only an "
            "executing pipeline execution can be stopped."
        )
    execution.pipeline_execution_status = "Stopped"
    _scripts(sm).pop(arn, None)
    return ActionResult({"PipelineExecutionArn": arn})
