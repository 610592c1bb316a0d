"""The AWS backend's :class:`~orchestrator.backends.logs.LogReader`: SageMaker's CloudWatch Logs.

Where SageMaker writes (SageMaker developer guide, "Log Amazon SageMaker AI Events with Amazon
CloudWatch"): processing jobs to ``/aws/sagemaker/ProcessingJobs``, training jobs to
``/aws/sagemaker/TrainingJobs`` and transform jobs to ``/aws/sagemaker/TransformJobs``, in streams
named ``<job name>/<host>...``; an endpoint to ``/aws/sagemaker/Endpoints/<endpoint name>``. The
groups come from the stack's ``log_group_names`` output. An execution's jobs come from its steps'
metadata (ListPipelineExecutionSteps, read by the pipeline runner), each job's exact name from
Describe*Job (ARNs lowercase it; streams do not); a tuning step's training jobs are named
``<tuning job>-<nnn>-<id>``, so the tuning job's name is their common stream prefix.

Reads are FilterLogEvents over every page (``nextToken``); the cursor keeps, per source, the
newest timestamp seen and the ids of the events at it, so a follow-up read starts at that
millisecond and skips what it already returned.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orchestrator.backends.aws.clients import aws_errors
from orchestrator.backends.logs import LogBatch, LogEvent, LogSource, request_id_of
from orchestrator.errors import UserError
from orchestrator.settings.stack_outputs import StackOutputs

if TYPE_CHECKING:
    from orchestrator.backends.base import ExecutionSummary

# ARN resource type of a step's job -> the stack's log group (log_group_names key).
JOB_LOG_GROUPS = {
    "processing-job": "processing_jobs",
    "training-job": "training_jobs",
    "hyper-parameter-tuning-job": "training_jobs",
    "transform-job": "transform_jobs",
}
DEFAULT_GROUPS = {
    "processing_jobs": "/aws/sagemaker/ProcessingJobs",
    "training_jobs": "/aws/sagemaker/TrainingJobs",
    "transform_jobs": "/aws/sagemaker/TransformJobs",
}
MAX_PAGES = 1000  # a guard against a token that never ends, far above any real read


# ARN resource type -> (Describe* operation, its name parameter and answer key).
DESCRIBE = {
    "processing-job": ("describe_processing_job", "ProcessingJobName"),
    "training-job": ("describe_training_job", "TrainingJobName"),
    "hyper-parameter-tuning-job": (
        "describe_hyper_parameter_tuning_job",
        "HyperParameterTuningJobName",
    ),
    "transform-job": ("describe_transform_job", "TransformJobName"),
}


class AwsLogReader:
    def __init__(
        self,
        logs: Any,
        outputs: StackOutputs,
        sagemaker: Any = None,
        page_size: int | None = None,
    ) -> None:
        self.logs = logs
        self.outputs = outputs
        self.sagemaker = sagemaker  # finds a job's exact name (its log streams' prefix)
        self.page_size = page_size  # FilterLogEvents' limit (None: the service's, 10,000)
        self._names: dict[str, str] = {}  # a job's name never changes: described once

    def _group(self, key: str) -> str:
        return str(self.outputs.log_group_names.get(key) or DEFAULT_GROUPS[key])

    def execution_sources(self, execution: ExecutionSummary) -> list[LogSource]:
        sources = []
        for step in execution.steps:
            if not step.job_arn or ":" not in step.job_arn:
                continue
            kind, _, name = step.job_arn.rsplit(":", 1)[1].partition("/")
            key = JOB_LOG_GROUPS.get(kind)
            if key is None or not name:
                continue
            name = self._job_name(kind, name)
            prefix = f"{name}-" if kind == "hyper-parameter-tuning-job" else f"{name}/"
            sources.append(LogSource(step.name, self._group(key), prefix))
        return sources

    def _job_name(self, kind: str, arn_name: str) -> str:
        """The job's name as created: SageMaker lowercases names in ARNs, but a job's log
        streams carry its name as given (a pipeline's jobs have the step's name in theirs).
        Describe* accepts the ARN's form, as the SageMaker Python SDK's
        ``ProcessingJob.from_processing_arn`` relies on. A job Describe* no longer knows keeps
        the ARN's form."""
        if self.sagemaker is None:
            return arn_name
        if f"{kind}/{arn_name}" not in self._names:
            self._names[f"{kind}/{arn_name}"] = self._describe_name(kind, arn_name)
        return self._names[f"{kind}/{arn_name}"]

    def _describe_name(self, kind: str, arn_name: str) -> str:
        operation, key = DESCRIBE[kind]
        with aws_errors(f"describe the {kind} {arn_name}"):
            try:
                answer = getattr(self.sagemaker, operation)(**{key: arn_name})
            except self.sagemaker.exceptions.ResourceNotFound:
                return arn_name
            except ClientError as exc:  # moto and some APIs answer ValidationException
                if exc.response.get("Error", {}).get("Code") != "ValidationException":
                    raise
                return arn_name
        return str(answer.get(key) or arn_name)

    def endpoint_sources(self, endpoint: str) -> list[LogSource]:
        ours = self.outputs.endpoint_name
        if endpoint != ours:
            raise UserError(
                f"this environment's endpoint is {ours!r}, not {endpoint!r} (the orchestrator "
                f"may read only the stack's log groups); pass --endpoint {ours}"
            )
        group = self.outputs.log_group_names.get("endpoint") or f"/aws/sagemaker/Endpoints/{ours}"
        return [LogSource("endpoint", str(group))]

    def read(
        self, sources: list[LogSource], since: datetime | None, cursor: dict[str, Any] | None
    ) -> LogBatch:
        state = dict(cursor or {})
        events: list[LogEvent] = []
        missing: list[LogSource] = []
        for source in sources:
            key = f"{source.location}|{source.prefix}"
            last, seen = state.get(key, (None, []))
            start = last if last is not None else _millis(since)
            found = self._filter(source, start)
            if found is None:
                missing.append(source)
                continue
            fresh = [e for e in found if e["eventId"] not in seen or e["timestamp"] != last]
            events.extend(_event(source, e) for e in fresh)
            if found:
                newest = max(int(e["timestamp"]) for e in found)
                at_newest = [e["eventId"] for e in found if e["timestamp"] == newest]
                if newest == last:
                    at_newest = sorted(set(seen) | set(at_newest))
                state[key] = (newest, at_newest)
        return LogBatch(events, state, missing)

    def _filter(self, source: LogSource, start: int | None) -> list[dict[str, Any]] | None:
        """Every event of the source from ``start`` (ms), all pages; None: no such group."""
        params: dict[str, Any] = {"logGroupName": source.location}
        if source.prefix:
            params["logStreamNamePrefix"] = source.prefix
        if start is not None:
            params["startTime"] = start
        if self.page_size is not None:
            params["limit"] = self.page_size
        found: list[dict[str, Any]] = []
        token: str | None = None
        with aws_errors(f"read the log group {source.location}"):
            for _ in range(MAX_PAGES):
                try:
                    page = self.logs.filter_log_events(
                        **params, **({"nextToken": token} if token else {})
                    )
                except self.logs.exceptions.ResourceNotFoundException:
                    return None
                found.extend(page.get("events", []))
                next_token = page.get("nextToken")
                if not next_token or next_token == token:
                    break
                token = next_token
        found.sort(key=lambda e: (int(e["timestamp"]), str(e["eventId"])))
        return found


def _millis(when: datetime | None) -> int | None:
    return int(when.timestamp() * 1000) if when is not None else None


def _event(source: LogSource, event: dict[str, Any]) -> LogEvent:
    message = str(event.get("message", "")).rstrip("\n")
    return LogEvent(
        source=source.name,
        stream=str(event.get("logStreamName", "")),
        message=message,
        timestamp=datetime.fromtimestamp(int(event["timestamp"]) / 1000, UTC),
        request_id=request_id_of(message),
    )
