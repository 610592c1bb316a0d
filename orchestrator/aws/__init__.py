"""The AWS backend: SageMaker pipeline, model registry, endpoint and batch transform.

Module map (each module has one job):

- ``clients``: boto3 clients with standard retries and bounded attempts; credential/region
  checks; ``aws_errors`` turns botocore errors into one-paragraph user errors.
- ``errors``: user errors (exit 2) and operation failures (exit 1) of this backend.
- ``polling``: the one bounded wait loop (timeout, interval, injectable clock and sleep).
- ``pagination``: every list call, all pages.
- ``registry``: :class:`AwsModelRegistry`, the ``ModelRegistry`` protocol on SageMaker.
- ``pipelines``: upsert (diff, skip unchanged), start (checked overrides), wait (failing step).
- ``names``, ``models``: resource names and the Model of a registered version.
- ``endpoint_requests``: endpoint settings and the requests built from them (no AWS calls);
  ``endpoints``: blue/green deploy with verification and rollback; ``autoscaling``: the
  variant's target-tracking policy.
- ``transform``: batch transform jobs.
"""

from .autoscaling import AutoscalingSettings, AutoscalingState, ensure_autoscaling
from .clients import AwsClients, aws_errors, client_config, connect
from .endpoint_requests import DeploymentResult, EndpointSettings, TrafficShiftSettings
from .endpoints import deploy, prune_endpoint_configs, resolve_model_package, rollback
from .errors import (
    AwsOperationFailed,
    AwsRequestError,
    AwsSetupError,
    DeploymentFailed,
    DeploymentRolledBack,
    PipelineExecutionFailed,
    TransformJobFailed,
    WaitTimeout,
)
from .pipelines import (
    ExecutionState,
    ParameterOverrideError,
    StepState,
    UpsertResult,
    definition_diff,
    execution_state,
    start_execution,
    stop_execution,
    upsert_pipeline,
    wait_for_execution,
)
from .polling import PollSettings
from .registry import AwsModelRegistry
from .transform import TransformResult, TransformSettings, run_batch_transform

__all__ = [
    "AutoscalingSettings",
    "AutoscalingState",
    "AwsClients",
    "AwsModelRegistry",
    "AwsOperationFailed",
    "AwsRequestError",
    "AwsSetupError",
    "DeploymentFailed",
    "DeploymentResult",
    "DeploymentRolledBack",
    "EndpointSettings",
    "ExecutionState",
    "ParameterOverrideError",
    "PipelineExecutionFailed",
    "PollSettings",
    "StepState",
    "TrafficShiftSettings",
    "TransformJobFailed",
    "TransformResult",
    "TransformSettings",
    "UpsertResult",
    "WaitTimeout",
    "aws_errors",
    "client_config",
    "connect",
    "definition_diff",
    "deploy",
    "ensure_autoscaling",
    "execution_state",
    "prune_endpoint_configs",
    "resolve_model_package",
    "rollback",
    "run_batch_transform",
    "start_execution",
    "stop_execution",
    "upsert_pipeline",
    "wait_for_execution",
]
