"""The AWS environments' flows: stack outputs in, SageMaker work out.

Each function sequences modules that do the work (the renderer, the Terraform runner, the
pipeline builder, :mod:`backends.aws`) for one environment file, and reports what happened
as a plain summary (the CLI prints it as a table or JSON). ``run_aws`` is the whole chain that
CI runs per environment: render -> apply -> upsert -> start -> wait; with a ``--stack-outputs``
file (from a separate apply job) it starts at upsert.

The stack outputs must belong to the environment being run: outputs of prod passed with
``--env dev`` would deploy dev's settings into prod, so environment, region and account are
compared before any AWS call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError
from ml_containers.schema import DatasetSchema, SchemaError, parse_schema

from orchestrator.backends.aws import (
    AwsClients,
    AwsModelRegistry,
    EndpointSettings,
    ExecutionState,
    PollSettings,
    TransformSettings,
    aws_errors,
    client_config,
    connect,
    execution_state,
    start_execution,
    upsert_pipeline,
    wait_for_execution,
)
from orchestrator.backends.aws.errors import AwsRequestError, PipelineExecutionFailed
from orchestrator.backends.aws.pagination import list_all
from orchestrator.errors import UserError
from orchestrator.infra.render import render
from orchestrator.infra.stack import (  # noqa: F401 (re-exported until the CLI moves to flows)
    InfraResult,
    check_outputs_match,
    infra_apply,
    infra_outputs,
    infra_plan,
    require_aws,
    stack_outputs,
    terraform_runner,
    work_dir,
)
from orchestrator.pipeline import PipelineConfig, PipelineDefinition, build_definition
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.pipeline import pipeline_config
from orchestrator.settings.stack_outputs import StackOutputs

Progress = Callable[[str], None]
DEFAULT_PIPELINE_TIMEOUT_SECONDS = 6 * 3600.0
DEFAULT_ENDPOINT_TIMEOUT_SECONDS = 3600.0
DEFAULT_POLL_SECONDS = 30.0


# -- AWS clients -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AwsContext:
    """One environment's stack outputs and clients."""

    config: EnvironmentConfig
    outputs: StackOutputs
    clients: AwsClients
    s3: Any

    @property
    def registry(self) -> AwsModelRegistry:
        return AwsModelRegistry(self.clients.sagemaker)


def aws_context(config: EnvironmentConfig, outputs: StackOutputs) -> AwsContext:
    """Clients in the stack's region; missing credentials or region fail here (exit 2)."""
    session = boto3.Session()
    clients = connect(outputs.region, session=session)
    s3 = session.client("s3", region_name=outputs.region, config=client_config())
    return AwsContext(config, outputs, clients, s3)


# -- pipeline ------------------------------------------------------------------------------------
def read_dataset_schema(s3: Any, uri: str) -> DatasetSchema:
    """The dataset schema file at an ``s3://`` URI (YAML or JSON), validated."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not key or key.endswith("/"):
        raise UserError(
            f"dataset.schema {uri} must name the schema file itself (…/schema.yaml), not a prefix"
        )
    with aws_errors(f"read the dataset schema {uri}"):
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
                raise UserError(
                    f"the dataset schema {uri} does not exist; upload it (e.g. `aws s3 cp "
                    f"schema.yaml {uri}`) or fix dataset.schema in the environment file"
                ) from None
            raise
    try:
        text = body.decode()
        data = json.loads(text) if key.endswith(".json") else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"the dataset schema {uri} is not readable YAML/JSON: {exc}") from None
    try:
        return parse_schema(data, uri)
    except SchemaError as exc:
        raise UserError(str(exc)) from None


def aws_pipeline_config(
    config: EnvironmentConfig, outputs: StackOutputs, schema: DatasetSchema
) -> PipelineConfig:
    """The builder's config for an aws environment (the same builder as the local runner)."""
    settings = config.pipeline
    if settings.name and settings.name != outputs.pipeline_name:
        raise UserError(
            f"pipeline.name {settings.name!r} differs from the stack's pipeline_name "
            f"{outputs.pipeline_name!r}, the only name the IAM policies allow; remove pipeline.name"
        )
    return pipeline_config(config, schema, config.dataset.data, str(config.dataset.schema_file))


def pipeline_definition(context: AwsContext) -> PipelineDefinition:
    schema = read_dataset_schema(context.s3, str(context.config.dataset.schema_file))
    return build_definition(
        aws_pipeline_config(context.config, context.outputs, schema), context.outputs
    )


def upsert(context: AwsContext) -> dict[str, Any]:
    definition = pipeline_definition(context)
    result = upsert_pipeline(
        context.clients.sagemaker,
        definition,
        role_arn=context.outputs.pipeline_role_arn,
        description=f"{context.config.project} {context.config.name} training pipeline",
        tags={"project": context.config.project, "environment": context.config.name},
    )
    return {
        "pipeline": result.pipeline_name,
        "arn": result.pipeline_arn,
        "action": result.action,
        "diff": result.diff,
    }


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` flags -> overrides (types are checked against the deployed pipeline)."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UserError(f"--parameter {pair!r} must be NAME=VALUE, e.g. MaxTuningJobs=4")
        overrides[name.strip()] = value.strip()
    return overrides


def start(context: AwsContext, overrides: Mapping[str, str]) -> str:
    merged: dict[str, Any] = {}
    if context.config.pipeline.metric_threshold is not None:
        merged["MetricThreshold"] = context.config.pipeline.metric_threshold
    merged.update(overrides)
    return start_execution(
        context.clients.sagemaker,
        context.outputs.pipeline_name,
        merged,
        description=f"orchestrator {context.config.name}",
    )


def latest_execution_arn(context: AwsContext) -> str:
    name = context.outputs.pipeline_name
    with aws_errors(f"list the executions of {name}"):
        executions = list_all(
            context.clients.sagemaker,
            "list_pipeline_executions",
            "PipelineExecutionSummaries",
            PipelineName=name,
            SortBy="CreationTime",
            SortOrder="Descending",
        )
    if not executions:
        raise AwsRequestError(
            f"pipeline {name} has no executions; start one with `orchestrator pipeline start`"
        )
    return str(executions[0]["PipelineExecutionArn"])


def execution_summary(state: ExecutionState) -> dict[str, Any]:
    return {
        "id": state.arn,
        "status": state.status,
        "failure_reason": state.describe_failure() if state.status != "Succeeded" else None,
        "steps": [
            {
                "name": s.name,
                "status": s.status,
                "cached": s.cache_hit,
                "seconds": None,
                "failure_reason": s.failure_reason or None,
            }
            for s in state.steps
        ],
    }


def wait(
    context: AwsContext, execution_arn: str, poll_settings: PollSettings, progress: Progress
) -> tuple[dict[str, Any], int]:
    """(execution summary, exit code): 0 Succeeded, 1 Failed/Stopped (with the failing step)."""

    def report(state: ExecutionState) -> None:
        running = [s.name for s in state.steps if s.status in ("Executing", "Starting")]
        done = sum(1 for s in state.steps if s.status == "Succeeded")
        progress(
            f"execution {state.status}: {done} steps succeeded"
            + (f", running {', '.join(running)}" if running else "")
        )

    try:
        final = wait_for_execution(
            context.clients.sagemaker, execution_arn, poll_settings, progress=report
        )
    except PipelineExecutionFailed as exc:
        summary = execution_summary(exc.result)
        return summary, 1
    return execution_summary(final), 0


def describe_execution(context: AwsContext, execution_arn: str) -> dict[str, Any]:
    return execution_summary(execution_state(context.clients.sagemaker, execution_arn))


# -- endpoint and batch transform ----------------------------------------------------------------
def endpoint_settings(
    config: EnvironmentConfig, outputs: StackOutputs | None = None
) -> EndpointSettings:
    """The backend's endpoint settings; rollback alarms: the file's ``alarm_names``, else the
    stack's ``alarm_names`` output, else every alarm named ``<endpoint>-*`` (found at deploy)."""
    endpoint = config.endpoint
    alarms = endpoint.alarm_names
    if alarms is None and outputs is not None and outputs.alarm_names:
        alarms = tuple(outputs.alarm_names)
    return EndpointSettings(
        instance_type=endpoint.instance_type,
        initial_instance_count=endpoint.initial_instance_count,
        data_capture_percent=endpoint.data_capture_percent,
        traffic=endpoint.deployment,
        autoscaling=endpoint.autoscaling,
        alarm_names=alarms,
    )


def transform_settings(config: EnvironmentConfig, **overrides: Any) -> TransformSettings:
    return config.transform.model_copy(update={k: v for k, v in overrides.items() if v})


def poll_settings(timeout_seconds: float, interval_seconds: float) -> PollSettings:
    try:
        return PollSettings(timeout_seconds=timeout_seconds, interval_seconds=interval_seconds)
    except ValueError as exc:
        raise UserError(f"{exc}; pass a positive --timeout and --poll-interval") from None


def deployment_summary(result: Any) -> dict[str, Any]:
    summary = asdict(result)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in summary.items()}


# -- the whole chain -------------------------------------------------------------------------------
def run_aws(
    config: EnvironmentConfig,
    *,
    stack_outputs_file: Path | None,
    module_dir: Path | None,
    overrides: Mapping[str, str],
    poll: PollSettings,
    progress: Progress,
) -> tuple[dict[str, Any], int]:
    """render -> apply -> upsert -> start -> wait (or upsert -> start -> wait with outputs)."""
    require_aws(config, "run")
    started = time.monotonic()
    summary: dict[str, Any] = {"environment": config.name, "backend": "aws"}
    if stack_outputs_file is None:
        rendered = render(config, module_dir)
        progress(f"render: {rendered.path} " + ("unchanged" if rendered.up_to_date else "updated"))
        summary["tfvars"] = {"path": str(rendered.path), "changed": not rendered.up_to_date}
        applied = infra_apply(config, module_dir, progress=progress)
        assert applied.outputs is not None
        outputs = applied.outputs
        summary["infrastructure"] = {"changed": applied.has_changes, "plan": str(applied.plan_file)}
    else:
        outputs = stack_outputs(config, stack_outputs_file)
        summary["infrastructure"] = {"stack_outputs": str(stack_outputs_file)}
    context = aws_context(config, outputs)
    upserted = upsert(context)
    progress(f"pipeline {upserted['pipeline']}: {upserted['action']}")
    if upserted["diff"]:
        progress(upserted["diff"].rstrip())
    summary["pipeline"] = upserted
    execution_arn = start(context, overrides)
    progress(f"started {execution_arn}")
    execution, code = wait(context, execution_arn, poll, progress)
    summary["execution"] = execution
    summary["duration_seconds"] = round(time.monotonic() - started, 1)
    return summary, code
