"""The AWS backend: SageMaker pipeline, model registry, endpoint and batch transform.

Module map (each module has one job):

- ``backend``: the protocols of ``backends.base`` as thin adapters over the modules below;
  ``artifacts``: the S3 artifact store.
- ``clients``: boto3 clients with standard retries and bounded attempts; credential/region
  checks; ``aws_errors`` turns botocore errors into one-paragraph user errors.
- ``errors``: user errors (exit 2) and operation failures (exit 1) of this backend.
- ``pagination``: every list call, all pages.
- ``registry``: :class:`AwsModelRegistry`, the ``ModelRegistry`` protocol on SageMaker.
- ``pipelines``: upsert (diff, skip unchanged), start (checked overrides), wait (failing step).
- ``names``, ``models``: resource names and the Model of a registered version.
- ``endpoints``: deploy (blue/green) and rollback, built from ``endpoint_requests`` (the
  requests, no AWS calls), ``endpoint_lookups`` (the endpoint, its configs and tags, the
  rollback alarms), ``endpoint_switch`` (create or update, then wait and verify),
  ``endpoint_configs`` (old configs pruned) and ``autoscaling`` (the variant's target
  tracking).
- ``transform``: batch transform jobs.
"""

from orchestrator.backends.aws.autoscaling import AutoscalingState, ensure_autoscaling
from orchestrator.backends.aws.clients import AwsClients, aws_errors, client_config, connect
from orchestrator.backends.aws.endpoint_configs import prune_endpoint_configs
from orchestrator.backends.aws.endpoints import deploy, rollback
from orchestrator.backends.aws.errors import (
    AwsOperationFailed,
    AwsRequestError,
    AwsSetupError,
    DeploymentFailed,
    DeploymentRolledBack,
    PipelineExecutionFailed,
    TransformJobFailed,
    WaitTimeout,
)
from orchestrator.backends.aws.pipelines import (
    ExecutionState,
    ParameterOverrideError,
    StepState,
    execution_state,
    start_execution,
    stop_execution,
    upsert_pipeline,
    wait_for_execution,
)
from orchestrator.backends.aws.registry import AwsModelRegistry
from orchestrator.backends.aws.transform import (
    TransformResult,
    run_batch_transform,
)
from orchestrator.backends.polling import PollSettings

__all__ = [
    "AutoscalingState",
    "AwsClients",
    "AwsModelRegistry",
    "AwsOperationFailed",
    "AwsRequestError",
    "AwsSetupError",
    "DeploymentFailed",
    "DeploymentRolledBack",
    "ExecutionState",
    "ParameterOverrideError",
    "PipelineExecutionFailed",
    "PollSettings",
    "StepState",
    "TransformJobFailed",
    "TransformResult",
    "WaitTimeout",
    "aws_errors",
    "client_config",
    "connect",
    "deploy",
    "ensure_autoscaling",
    "execution_state",
    "prune_endpoint_configs",
    "rollback",
    "run_batch_transform",
    "start_execution",
    "stop_execution",
    "upsert_pipeline",
    "wait_for_execution",
]
