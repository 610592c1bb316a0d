"""Running part of the pipeline again on SageMaker: RetryPipelineExecution and selective runs.

- :func:`retry_execution`: RetryPipelineExecution continues the execution under its ARN; the
  steps that succeeded are not run again (SageMaker reruns the failed step and those after it).
  The API reference lists ``ConflictException``, ``ResourceNotFound`` and
  ``ResourceLimitExceeded`` but not which statuses may be retried, so the execution's status is
  read first and one still running (Executing, Stopping) or one that Succeeded is refused here
  with the fix; whatever else SageMaker refuses (ConflictException) is reported with its reason.
  ``ClientRequestToken`` (32-128 characters, required) makes the request idempotent;
  ``ParallelismConfiguration`` is not sent, so the pipeline's own applies.
- :func:`selective_config`: StartPipelineExecution's ``SelectiveExecutionConfig``:
  ``SelectedSteps`` (1-50 ``{"StepName"}``) and ``SourcePipelineExecutionArn``, "the ARN from
  a reference execution of the current pipeline [...] used to copy input collaterals needed
  for the selected steps to run", which must have ended Failed or Succeeded.

API reference: RetryPipelineExecution, StartPipelineExecution, SelectiveExecutionConfig,
PipelineExecutionStep (``SelectiveExecutionResult``); botocore's sagemaker service model
(``RetryPipelineExecutionRequest``, ``SelectiveExecutionConfig``); developer guide, "Selective
execution of pipeline steps" (pipelines-selective-ex.html). docs/aws-behaviours.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.backends.aws.clients import aws_errors, error_code, error_message
from orchestrator.backends.aws.errors import AwsRequestError

RUNNING = ("Executing", "Stopping")


def retry_execution(sagemaker: Any, execution_arn: str) -> str:
    """RetryPipelineExecution of a Failed or Stopped execution; its ARN (unchanged).
    AwsRequestError (exit 2) for one still running, one that Succeeded, or one SageMaker
    refuses to retry."""
    with aws_errors(f"describe pipeline execution {execution_arn}"):
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
    status = str(described.get("PipelineExecutionStatus", ""))
    if status in RUNNING:
        raise AwsRequestError(
            f"pipeline execution {execution_arn} is still running ({status}); wait for it to "
            "end (`orchestrator pipeline wait`) and retry it only if it fails, or stop it first"
        )
    if status == "Succeeded":
        raise AwsRequestError(
            f"pipeline execution {execution_arn} Succeeded: there is nothing to retry. To run "
            f"some of its steps again: `orchestrator run --from-execution {execution_arn} "
            "--steps STEP[,STEP...]`"
        )
    with aws_errors(f"retry pipeline execution {execution_arn}"):
        try:
            answer = sagemaker.retry_pipeline_execution(
                PipelineExecutionArn=execution_arn, ClientRequestToken=str(uuid.uuid4())
            )
        except ClientError as exc:
            if error_code(exc) != "ConflictException":
                raise
            raise AwsRequestError(
                f"SageMaker refuses to retry pipeline execution {execution_arn} ({status}): "
                f"{error_message(exc)}; start a new run (`orchestrator run`) or a selective "
                f"one (`orchestrator run --from-execution {execution_arn} --steps ...`)"
            ) from None
    return str(answer.get("PipelineExecutionArn") or execution_arn)


def selective_config(source_arn: str, steps: Sequence[str]) -> dict[str, Any]:
    """StartPipelineExecution's SelectiveExecutionConfig for ``steps`` reusing ``source_arn``."""
    return {
        "SourcePipelineExecutionArn": source_arn,
        "SelectedSteps": [{"StepName": name} for name in steps],
    }
