"""The AWS backend assembled for one environment's stack: SageMaker and S3 behind the protocols
of :mod:`orchestrator.backends.base`, each a thin adapter over the modules of this package."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from orchestrator.backends.aws.artifacts import S3ArtifactStore
from orchestrator.backends.aws.caller import caller_identity, check_account
from orchestrator.backends.aws.clients import (
    AwsClients,
    aws_errors,
    client_config,
    connect,
    is_missing,
)
from orchestrator.backends.aws.endpoint_lookups import describe_endpoint
from orchestrator.backends.aws.endpoints import deploy, rollback
from orchestrator.backends.aws.errors import AwsRequestError, PipelineExecutionFailed
from orchestrator.backends.aws.executions import retry_execution, selective_config
from orchestrator.backends.aws.images import AwsImageSource, repository_images
from orchestrator.backends.aws.logs import AwsLogReader
from orchestrator.backends.aws.models import MODEL_PACKAGE_TAG
from orchestrator.backends.aws.pagination import list_all
from orchestrator.backends.aws.pipelines import (
    ExecutionState,
    deployed_pipeline,
    execution_state,
    start_execution,
    upsert_pipeline,
    wait_for_execution,
)
from orchestrator.backends.aws.registry import AwsModelRegistry
from orchestrator.backends.aws.transform import run_batch_transform
from orchestrator.backends.base import (
    Backend,
    BatchRequest,
    BatchResult,
    DeploymentResult,
    ExecutionSummary,
    Invocation,
    Progress,
    StepSummary,
    UnknownExecution,
    UpsertResult,
    step_seconds,
)
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.polling import PollSettings
from orchestrator.pipeline import PipelineDefinition
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.stack_outputs import StackOutputs


class AwsPipelineRunner:
    """SageMaker Pipelines: CreatePipeline/UpdatePipeline, StartPipelineExecution, polling,
    RetryPipelineExecution and selective runs (``executions.py``)."""

    def __init__(self, clients: AwsClients, outputs: StackOutputs) -> None:
        self.sagemaker = clients.sagemaker
        self.outputs = outputs

    def upsert(
        self, definition: PipelineDefinition, *, description: str, tags: Mapping[str, str]
    ) -> UpsertResult:
        return upsert_pipeline(
            self.sagemaker,
            definition,
            role_arn=self.outputs.pipeline_role_arn,
            description=description,
            tags=tags,
        )

    def stored_definition(self, pipeline_name: str) -> str | None:
        found = deployed_pipeline(self.sagemaker, pipeline_name)  # DescribePipeline
        return str(found["PipelineDefinition"]) if found else None

    def start(
        self, pipeline_name: str, overrides: Mapping[str, Any], *, description: str = ""
    ) -> str:
        return start_execution(
            self.sagemaker, pipeline_name, dict(overrides), description=description
        )

    def wait(
        self,
        execution_id: str,
        poll: PollSettings,
        progress: Callable[[ExecutionSummary], None] | None = None,
    ) -> ExecutionSummary:
        report = (lambda state: progress(_summary(state))) if progress else None
        try:
            final = wait_for_execution(self.sagemaker, execution_id, poll, progress=report)
        except PipelineExecutionFailed as exc:
            return _summary(exc.result)
        return _summary(final)

    def describe(self, execution_id: str) -> ExecutionSummary:
        unknown = UnknownExecution(
            f"there is no pipeline execution {execution_id} (SageMaker names executions by "
            "ARN: arn:aws:sagemaker:<region>:<account>:pipeline/<name>/execution/<id>)"
        )
        if not self._execution_arn.fullmatch(execution_id):
            # SageMaker refuses such an id as a malformed request; no execution has it.
            raise unknown
        with aws_errors(f"describe pipeline execution {execution_id}"):
            try:
                self.sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_id)
            except ClientError as exc:
                if is_missing(exc):
                    raise unknown from None
                raise
        return _summary(execution_state(self.sagemaker, execution_id))

    @property
    def _execution_arn(self) -> re.Pattern[str]:
        """The execution ARN pattern of the client's own service model (DescribePipelineExecution
        takes nothing else)."""
        operation = self.sagemaker.meta.service_model.operation_model("DescribePipelineExecution")
        shape = operation.input_shape.members["PipelineExecutionArn"]
        return re.compile(str(shape.metadata["pattern"]))

    def retry(self, execution_id: str) -> str:
        self.describe(execution_id)  # UnknownExecution for an id SageMaker has no execution of
        return retry_execution(self.sagemaker, execution_id)

    def start_selected(
        self, pipeline: str, overrides: Mapping[str, Any], source: str, steps: Sequence[str]
    ) -> str:
        config = selective_config(source, steps)
        return start_execution(self.sagemaker, pipeline, dict(overrides), selective=config)

    def list_executions(self, pipeline_name: str | None = None) -> list[ExecutionSummary]:
        """Newest first; none for a pipeline that does not exist yet (SageMaker refuses to list
        its executions), as for one that was created and never started."""
        name = pipeline_name or self.outputs.pipeline_name
        with aws_errors(f"list the executions of {name}"):
            try:
                found = list_all(
                    self.sagemaker,
                    "list_pipeline_executions",
                    "PipelineExecutionSummaries",
                    PipelineName=name,
                    SortBy="CreationTime",
                    SortOrder="Descending",
                )
            except ClientError as exc:
                if is_missing(exc):
                    return []
                raise
        return [
            ExecutionSummary(
                id=str(e["PipelineExecutionArn"]),
                pipeline=name,
                status=str(e.get("PipelineExecutionStatus", "")),
                started=e.get("StartTime"),
            )
            for e in found
        ]


def _summary(state: ExecutionState) -> ExecutionSummary:
    pipeline = state.arn.split(":pipeline/", 1)[-1].split("/", 1)[0]
    return ExecutionSummary(
        id=state.arn,
        pipeline=pipeline,
        status=state.status,
        failure_reason=state.describe_failure() if state.status != "Succeeded" else None,
        steps=tuple(
            StepSummary(
                name=s.name,
                status=s.status,
                cached=s.cache_hit,
                cache_source=s.cache_source,
                seconds=step_seconds(s.start_time, s.end_time, s.status),
                failure_reason=s.failure_reason or None,
                started=s.start_time,
                ended=s.end_time,
                job_arn=s.job_arn,
                attempts=s.attempts,
                reused_from=s.reused_from,
            )
            for s in state.steps
        ),
        logs="CloudWatch Logs: /aws/sagemaker/ProcessingJobs, /aws/sagemaker/TrainingJobs",
    )


class AwsEndpointManager:
    """The stack's SageMaker endpoint: blue/green UpdateEndpoint with alarm rollback."""

    def __init__(
        self, clients: AwsClients, runtime: Any, outputs: StackOutputs, settings: EndpointSettings
    ) -> None:
        self.clients = clients
        self.runtime = runtime
        self.outputs = outputs
        self.settings = settings

    @property
    def endpoint_name(self) -> str:
        return self.outputs.endpoint_name

    @property
    def url(self) -> str | None:
        """SageMaker Runtime's address for the endpoint (InvokeEndpoint signs requests to it);
        None while the endpoint does not exist or is not InService."""
        if self._in_service() is None:
            return None
        return (
            f"https://runtime.sagemaker.{self.outputs.region}.amazonaws.com/endpoints/"
            f"{self.endpoint_name}"
        )

    def _in_service(self) -> dict[str, Any] | None:
        """DescribeEndpoint's answer while the endpoint serves, else None."""
        current = describe_endpoint(self.clients.sagemaker, self.endpoint_name)
        if current is None or current.get("EndpointStatus") != "InService":
            return None
        return dict(current)

    def deploy(
        self,
        package: ModelPackage,
        poll: PollSettings,
        progress: Progress,
        *,
        recreate_failed: bool = False,
    ) -> DeploymentResult:
        return deploy(
            self.clients,
            self.outputs,
            package,
            self.settings,
            poll,
            progress=progress,
            recreate_failed=recreate_failed,
        )

    def rollback(self, poll: PollSettings, progress: Progress) -> DeploymentResult:
        return rollback(self.clients, self.outputs, self.settings, poll, progress=progress)

    def serving(self) -> str | None:
        """The model package ARN the serving endpoint config was tagged with at deploy."""
        sm = self.clients.sagemaker
        current = self._in_service()
        if current is None:
            return None
        name = str(current["EndpointConfigName"])
        with aws_errors(f"read the tags of endpoint config {name}"):
            config = sm.describe_endpoint_config(EndpointConfigName=name)
            tags = list_all(sm, "list_tags", "Tags", ResourceArn=config["EndpointConfigArn"])
        return next((str(t["Value"]) for t in tags if t["Key"] == MODEL_PACKAGE_TAG), None)

    def invoke(self, body: bytes, content_type: str, accept: str) -> Invocation:
        with aws_errors(f"invoke endpoint {self.endpoint_name}"):
            answer = self.runtime.invoke_endpoint(
                EndpointName=self.endpoint_name, Body=body, ContentType=content_type, Accept=accept
            )
        return Invocation(
            status_code=200,
            content_type=str(answer.get("ContentType", "")),
            body=answer["Body"].read(),
            headers={"x-model-version": str(answer.get("InvokedProductionVariant", ""))},
        )

    def close(self) -> None:
        """Nothing is held here: the endpoint keeps serving on AWS."""


class AwsBatchTransformer:
    """SageMaker batch transform jobs on S3 input and output."""

    def __init__(
        self, clients: AwsClients, outputs: StackOutputs, config: EnvironmentConfig
    ) -> None:
        self.clients = clients
        self.outputs = outputs
        self.config = config

    def check(self, request: BatchRequest) -> None:
        for flag, value in (("--input", request.input), ("--output", request.output)):
            if value is not None and not value.startswith("s3://"):
                raise AwsRequestError(
                    f"{flag} {value} is a local path; an aws environment reads and writes S3: "
                    "pass s3://<bucket>/<key> (upload the input to the stack's data bucket first)"
                )
        json_path = self.clients.sagemaker.meta.service_model.shape_for("JsonPath")
        for flag, value in (
            ("--input-filter", request.input_filter),
            ("--output-filter", request.output_filter),
        ):
            problem = jsonpath_problem(value, int(json_path.metadata["max"]))
            if problem:
                raise AwsRequestError(
                    f"{flag} {value!r} is not a JSONPath filter SageMaker accepts: {problem}; "
                    "e.g. '$[1:]' drops the first field of a CSV record"
                )

    def transform(
        self, package: ModelPackage, request: BatchRequest, poll: PollSettings, progress: Progress
    ) -> BatchResult:
        self.check(request)
        overrides = {
            "content_type": request.content_type,
            "accept": request.accept or request.content_type,
            "input_filter": None if request.input_filter == "$" else request.input_filter,
            "output_filter": None if request.output_filter == "$" else request.output_filter,
            "join_source": None if request.join_source == "None" else request.join_source,
        }
        settings = self.config.transform.model_copy(
            update={k: v for k, v in overrides.items() if v}
        )
        result = run_batch_transform(
            self.clients, self.outputs, package, settings, poll,
            input_uri=request.input, output_uri=request.output, progress=progress,
        )  # fmt: skip
        return BatchResult(output=result.output_uri, job_name=result.job_name, status=result.status)


def jsonpath_problem(expression: str, longest: int) -> str | None:
    """Why SageMaker would refuse ``expression`` as a DataProcessing filter, found before a model
    or job is created: a JSONPath starts at the record (``$``), closes its brackets and quotes,
    and has at most ``longest`` characters (botocore's JsonPath shape)."""
    if not expression.startswith("$"):
        return "it must start with '$' (the record)"
    if len(expression) > longest:
        return f"it has {len(expression)} characters, at most {longest} are allowed"
    depth, quote = 0, ""
    for char in expression:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[]":
            depth += 1 if char == "[" else -1
            if depth < 0:
                return "a ']' closes no '['"
    if quote or depth:
        return f"a {quote or '['} is never closed"
    return None


def endpoint_settings(config: EnvironmentConfig, outputs: StackOutputs) -> EndpointSettings:
    """The environment's endpoint settings; rollback alarms: the file's ``alarm_names``, else
    the stack's ``alarm_names`` output, else every alarm named ``<endpoint>-*`` (found at
    deploy)."""
    if config.endpoint.alarm_names is None and outputs.alarm_names:
        return config.endpoint.model_copy(update={"alarm_names": tuple(outputs.alarm_names)})
    return config.endpoint


def aws_backend(
    config: EnvironmentConfig, outputs: StackOutputs, session: boto3.Session | None = None
) -> Backend:
    """Clients in the stack's region (missing credentials or region fail here, exit 2) and the
    adapters over them."""
    session = session or boto3.Session()
    clients = connect(outputs.region, session=session)
    s3 = session.client("s3", region_name=outputs.region, config=client_config())
    runtime = session.client(
        "sagemaker-runtime", region_name=outputs.region, config=client_config()
    )
    ecr = session.client("ecr", region_name=outputs.region, config=client_config())
    logs = session.client("logs", region_name=outputs.region, config=client_config())
    identity = caller_identity(
        session.client("sts", region_name=outputs.region, config=client_config())
    )
    check_account(identity, config.account_id, config.name)  # before anything else
    from orchestrator.backends.aws.metrics import CloudWatchMetricSink
    from orchestrator.backends.aws.monitoring_schedule import MonitoredEndpointManager

    kms_keys = {
        outputs.data_bucket: outputs.data_kms_key_arn,
        outputs.artifacts_bucket: outputs.artifacts_kms_key_arn,
    }
    return Backend(
        name="aws",
        outputs=outputs,
        pipelines=AwsPipelineRunner(clients, outputs),
        registry=AwsModelRegistry(clients.sagemaker),
        endpoints=MonitoredEndpointManager(
            clients, runtime, outputs, endpoint_settings(config, outputs), config.monitoring
        ),
        transformer=AwsBatchTransformer(clients, outputs, config),
        artifacts=S3ArtifactStore(s3, kms_keys),
        images=AwsImageSource(repository_images(ecr), outputs.ecr_repository_url, config.name),
        serves_after_run=False,
        work_dir=Path.cwd() / ".mlops" / "aws" / config.name,
        logs=AwsLogReader(logs, outputs, clients.sagemaker),
        metrics=CloudWatchMetricSink(clients.cloudwatch),
        identity=identity,
    )
