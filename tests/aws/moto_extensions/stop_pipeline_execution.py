"""StopPipelineExecution, which moto 5 lacks.

AWS: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopPipelineExecution.html:
"Stops a pipeline execution" (it goes Stopping, then Stopped; here at once); an execution that
already ended cannot be stopped (a ValidationException).
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import get_pipeline_execution_from_arn

from moto_extensions.state import _scripts


def _stop_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    if execution.pipeline_execution_status in ("Executing", "Stopping"):
        execution.pipeline_execution_status = "Stopped"
        _scripts(sm).pop(arn, None)
    else:
        raise ValidationError(
            f"Pipeline execution {arn} is {execution.pipeline_execution_status}; only an "
            "executing pipeline execution can be stopped."
        )
    return ActionResult({"PipelineExecutionArn": arn})
