"""The seams between the flows and the backends: one protocol per job, one set of result types.

The flows (``orchestrator.flows``) are written once against these protocols; ``backends.local``
implements them on this machine (subprocesses, a directory for S3, SQLite, a loopback endpoint)
and ``backends.aws`` on SageMaker and S3. One conformance suite per protocol
(``tests/conformance/``) runs the same test functions against both, so "works locally" means
"works on SageMaker" as far as the protocol goes.

Semantics follow SageMaker's, because that is where the production pipeline runs: executions
have SageMaker's statuses, model versions SageMaker's approval statuses, a deploy either serves
the new version or leaves the old one serving.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from orchestrator.backends.model_registry import ModelRegistry

if TYPE_CHECKING:
    from orchestrator.backends.logs import LogReader
    from orchestrator.backends.metrics import MetricSink
    from orchestrator.backends.polling import PollSettings
    from orchestrator.pipeline import PipelineDefinition
    from orchestrator.settings.stack_outputs import StackOutputs


class UnknownExecution(LookupError):
    """No execution has the id asked for (each backend raises a subclass of this)."""


Progress = Callable[[str], None]
"""One line of progress for a person (the CLI prints it on stderr)."""

BackendName = Literal["local", "aws"]

__all__ = [
    "ArtifactStore",
    "Backend",
    "BatchRequest",
    "BatchResult",
    "BatchTransformer",
    "DeploymentResult",
    "EndpointManager",
    "ExecutionSummary",
    "ImageSource",
    "Invocation",
    "ModelRegistry",
    "PipelineRunner",
    "Progress",
    "StepSummary",
    "UnknownExecution",
    "UpsertResult",
]


# -- pipelines ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UpsertResult:
    """What creating or updating a pipeline did; ``diff`` is a unified diff of the definition."""

    pipeline_name: str
    pipeline_arn: str
    action: Literal["created", "updated", "unchanged"]
    diff: str = ""


RUNNING_STEP_STATUSES = frozenset({"Starting", "Executing", "Stopping"})


def step_seconds(started: datetime | None, ended: datetime | None, status: str) -> float:
    """A step's duration in seconds: ended - started, or so far while it runs, 0 before it
    starts (or when an ended step reports no end); never None, so tables and JSON always
    carry a number."""
    if started is None or (ended is None and status not in RUNNING_STEP_STATUSES):
        return 0.0
    end = ended or datetime.now(started.tzinfo)
    return round(max((end - started).total_seconds(), 0.0), 2)


@dataclass(frozen=True)
class StepSummary:
    """One step of an execution, as both backends report it.

    ``properties`` holds what the step produced in SageMaker's property names where the backend
    knows them (``BestTrainingJob`` of a tuning step, ``ModelPackageArn`` of a registration).
    """

    name: str
    status: str
    type: str = ""
    cached: bool = False
    cache_source: str | None = None  # the execution whose result was reused, where known
    seconds: float = 0.0  # ended - started; for a running step, so far; 0 before it starts
    failure_reason: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    started: datetime | None = None
    ended: datetime | None = None
    job_arn: str | None = None  # the SageMaker job or resource the step ran, where there is one
    attempts: int = 0  # runs of the step, retries under its RetryPolicies included; 0: not run
    reused_from: str | None = None  # selective run: the execution whose outputs it took
    kept_on_retry: bool = False  # it succeeded before its execution was retried: not rerun


@dataclass(frozen=True)
class ExecutionSummary:
    """A pipeline execution: SageMaker's statuses (Executing, Stopping, Stopped, Failed,
    Succeeded), its steps oldest first, and the reason it failed."""

    id: str
    pipeline: str
    status: str
    failure_reason: str | None = None
    started: datetime | None = None
    ended: datetime | None = None
    steps: tuple[StepSummary, ...] = ()
    logs: str | None = None  # where the steps' logs are: a folder, or CloudWatch log groups

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"

    @property
    def finished(self) -> bool:
        return self.status in ("Succeeded", "Failed", "Stopped")

    def step(self, name: str) -> StepSummary | None:
        return next((s for s in self.steps if s.name == name), None)

    def describe_failure(self) -> str:
        """The failing steps and their reasons, else the execution's own reason."""
        failed = [s for s in self.steps if s.status == "Failed"]
        if failed:
            return "; ".join(
                f"step {s.name!r} failed: {s.failure_reason or '(no reason given)'}" for s in failed
            )
        return self.failure_reason or f"the execution ended {self.status} without a reason"

    def to_dict(self) -> dict[str, Any]:
        """The summary the CLI prints (stable keys for ``--output json``)."""
        return {
            "id": self.id,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "steps": [
                {
                    "name": s.name,
                    "status": s.status,
                    "cached": s.cached,
                    "started": s.started.isoformat() if s.started else None,
                    "ended": s.ended.isoformat() if s.ended else None,
                    "seconds": s.seconds,
                    "job_arn": s.job_arn,
                    "attempts": s.attempts,
                    "failure_reason": s.failure_reason,
                    "reused_from": s.reused_from,
                }
                for s in self.steps
            ],
        }


@runtime_checkable
class PipelineRunner(Protocol):
    """Creates pipelines from definition JSON and runs executions of them."""

    def upsert(
        self, definition: PipelineDefinition, *, description: str, tags: Mapping[str, str]
    ) -> UpsertResult:
        """Create the pipeline, update it when the definition changed, or leave it."""

    def start(
        self, pipeline_name: str, overrides: Mapping[str, Any], *, description: str = ""
    ) -> str:
        """Start an execution with ``overrides`` (checked before anything starts); its id."""

    def wait(
        self,
        execution_id: str,
        poll: PollSettings,
        progress: Callable[[ExecutionSummary], None] | None = None,
    ) -> ExecutionSummary:
        """The execution once it ended; WaitTimeout past ``poll.timeout_seconds``."""

    def describe(self, execution_id: str) -> ExecutionSummary:
        """The execution now; UnknownExecution when there is none with that id."""

    def list_executions(self, pipeline_name: str | None = None) -> list[ExecutionSummary]:
        """Newest first; None: of every pipeline the backend may read (AWS: the stack's)."""

    def retry(self, execution_id: str) -> str:
        """Continue a Failed/Stopped/Crashed execution (same id, succeeded steps kept)."""

    def start_selected(
        self, pipeline: str, overrides: Mapping[str, Any], source: str, steps: Sequence[str]
    ) -> str: ...  # a new execution running only ``steps``, reusing ``source``'s outputs


# -- endpoints ------------------------------------------------------------------------------------
# "unchanged": the version asked for already serves; nothing was created, changed or pruned.
DeployAction = Literal["created", "recreated", "updated", "rolled-back", "unchanged"]


@dataclass(frozen=True)
class DeploymentResult:
    """What serves after a deploy or rollback, and what it replaced."""

    endpoint_name: str
    action: DeployAction
    endpoint_config_name: str
    previous_config_name: str | None
    model_name: str
    model_package_arn: str | None
    rollback_alarms: tuple[str, ...] = ()
    autoscaling: Any = None
    deleted_configs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Invocation:
    """An endpoint's answer to one request."""

    status_code: int
    content_type: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def model_version(self) -> str | None:
        """The version that answered (serve's ``X-Model-Version`` header)."""
        return self.headers.get("x-model-version")


@runtime_checkable
class EndpointManager(Protocol):
    """The environment's real-time endpoint: blue/green deploys of approved model versions."""

    @property
    def endpoint_name(self) -> str: ...

    @property
    def url(self) -> str | None:
        """Where clients send requests (``{url}/invocations``); None while nothing serves."""

    def deploy(
        self, package: Any, poll: PollSettings, progress: Progress, *, recreate_failed: bool = False
    ) -> DeploymentResult:
        """Serve ``package`` (an Approved ModelPackage), or keep the old version serving and
        raise when the new one does not come up. ``recreate_failed``: an endpoint its service
        left Failed is deleted and created again instead of refused (SageMaker only)."""

    def rollback(self, poll: PollSettings, progress: Progress) -> DeploymentResult:
        """Serve the version that served before the current one."""

    def serving(self) -> str | None:
        """The ARN of the model package serving now, or None when nothing serves."""

    def invoke(self, body: bytes, content_type: str, accept: str) -> Invocation:
        """One request to the serving model."""

    def close(self) -> None:
        """Release what this manager holds on this machine (the AWS endpoint keeps serving)."""


# -- batch transform ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchRequest:
    """A batch transform: input and output locations and SageMaker's DataProcessing settings.

    ``input``/``output`` are what the backend reads and writes: files for the local backend,
    ``s3://`` URIs on AWS; each backend refuses the other kind by name.
    """

    input: str
    output: str | None = None
    content_type: str = "text/csv"
    accept: str | None = None
    input_filter: str = "$"
    join_source: Literal["None", "Input"] = "None"
    output_filter: str = "$"


@dataclass(frozen=True)
class BatchResult:
    """Where the predictions went; counts where the backend knows them."""

    output: str
    job_name: str | None = None
    status: str | None = None
    records: int | None = None
    requests: int | None = None


@runtime_checkable
class BatchTransformer(Protocol):
    def check(self, request: BatchRequest) -> None:
        """Refuse, before anything runs, a request this backend cannot honour (a local path on
        AWS, an S3 URI locally, a filter that does not parse)."""

    def transform(
        self, package: Any, request: BatchRequest, poll: PollSettings, progress: Progress
    ) -> BatchResult:
        """Predict every record of ``request.input`` with ``package`` (Approved)."""


# -- artifacts ------------------------------------------------------------------------------------
@runtime_checkable
class ArtifactStore(Protocol):
    """``s3://bucket/key`` objects and prefixes: S3 itself, or a directory standing in for it."""

    def exists(self, uri: str) -> bool:
        """Whether an object, or any object under a prefix ending in ``/``, exists."""

    def read_bytes(self, uri: str) -> bytes:
        """One object's content; ArtifactError when there is none."""

    def publish(self, source: Path, uri: str) -> str:
        """Upload a file (to ``uri``) or a directory (under the prefix ``uri``); the URI."""

    def download(self, uri: str, destination: Path) -> list[Path]:
        """Copy an object, or every object under a prefix, into ``destination``."""

    def fingerprint(self, uri: str) -> str | None:
        """A digest of what a job reading ``uri`` as an S3Prefix input gets: every object's
        key (relative to ``uri``), size and content tag (S3's ETag), in key order. It changes
        when an object is added, removed or rewritten; None when no object is stored there."""


# -- images ---------------------------------------------------------------------------------------
@runtime_checkable
class ImageSource(Protocol):
    """Which container image this backend's jobs and models run.

    On AWS that is an image of the stack's repository, pinned by digest and checked to be there
    before anything changes; locally the jobs run the containers package of this checkout, so
    there is no image to choose and asking for one is refused by name."""

    def for_pipeline(self, requested: str | None) -> str:
        """The image reference the pipeline definition's steps and model packages use.
        ``requested`` is ``--image`` (a tag, digest or reference), None for this commit's."""
        ...

    def check_serving(self, image_uri: str) -> None:
        """Refuse (UserError) to serve a model whose image the repository no longer holds."""
        ...


def local_user() -> str:
    """The user running this process (``getpass``: $USER, then passwd), as ``local:<name>``."""
    import getpass

    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return "local:unknown"


# -- one environment's backend --------------------------------------------------------------------
@dataclass
class Backend:
    """Everything the flows use for one environment, from one backend.

    ``work_dir``: this machine's folder for the flows' own files (downloads, batch outputs).
    ``serves_after_run``: whether ``orchestrator run`` ends by deploying the approved model and
    scoring the test split: true locally, where an endpoint lives only as long as the command and
    the run proves a model serves; false on AWS, where deploying is its own gated step (`deploy`).
    """

    name: BackendName
    outputs: StackOutputs
    pipelines: PipelineRunner
    registry: ModelRegistry
    endpoints: EndpointManager
    transformer: BatchTransformer
    artifacts: ArtifactStore
    images: ImageSource
    serves_after_run: bool
    work_dir: Path
    logs: LogReader  # where executions and endpoints log, and reading it (backends/logs.py)
    metrics: MetricSink  # where `monitor run` publishes its metrics (backends/metrics.py)
    infrastructure: dict[str, Any] = field(default_factory=dict)  # what opening did to the stack
    # Who acts, for the deployment history: the caller's ARN on AWS, locally this machine's user.
    identity: Callable[[], str] = field(default=lambda: local_user())

    def close(self) -> None:
        self.endpoints.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
