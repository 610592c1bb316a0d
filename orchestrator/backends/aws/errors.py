"""Errors of the AWS backend, sorted the way the CLI sorts them.

:class:`AwsSetupError` and :class:`AwsRequestError` are :class:`~orchestrator.errors.UserError`
subclasses (exit 2): missing credentials or region, a refused request, a bad override. The rest
derive from :class:`AwsOperationFailed` (exit 1): the request was fine but the work failed or
did not finish in time (a failed pipeline execution, a rolled-back deployment, a wait timeout).
"""

from __future__ import annotations

from typing import Any

from orchestrator.backends.polling import WaitTimeout
from orchestrator.errors import OperationFailed, TransientFailure, UserError

__all__ = [
    "AwsOperationFailed",
    "AwsRequestError",
    "AwsSetupError",
    "AwsTransientError",
    "DeploymentFailed",
    "DeploymentRolledBack",
    "NotYetVisible",
    "PipelineExecutionFailed",
    "TransformJobFailed",
    "WaitTimeout",
]


class AwsSetupError(UserError):
    """No usable credentials or region; the message is one sentence saying how to fix it."""


class AwsRequestError(UserError):
    """AWS refused a request (access denied, validation, unknown resource); says which and why."""


class AwsOperationFailed(OperationFailed):
    """Work submitted to AWS failed or did not finish; the CLI exits 1 with the message."""


class AwsTransientError(AwsOperationFailed, TransientFailure):
    """AWS throttled the request or failed on its side (5xx) beyond the client's retry budget;
    waits retry it until their timeout, elsewhere the CLI exits 1."""


class NotYetVisible(AwsTransientError):
    """SageMaker refused a request naming a resource this command has just created, as not
    found: its own eventual consistency (the CreateEndpointConfig API reference tells callers of
    CreateEndpoint to retry), retried with backoff, and exit 1 when it lasts."""


class PipelineExecutionFailed(AwsOperationFailed):
    """A pipeline execution ended Failed or Stopped; ``result`` holds its steps."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


class DeploymentFailed(AwsOperationFailed):
    """An endpoint create/update did not end InService on the requested config."""


class DeploymentRolledBack(DeploymentFailed):
    """An update did not take: the endpoint still (or again) runs the previous config."""

    def __init__(self, message: str, *, serving_config: str | None, requested_config: str) -> None:
        super().__init__(message)
        self.serving_config = serving_config
        self.requested_config = requested_config


class TransformJobFailed(AwsOperationFailed):
    """A batch transform job ended Failed or Stopped."""
