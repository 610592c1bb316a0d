"""The log seam: where an execution's or an endpoint's logs are, and reading them, one protocol
for both backends (``orchestrator logs``).

Locally the logs are the files the local backend writes (each step's ``<step>.log`` in the
execution's folder, each served version's ``serve.stdout.log`` / ``serve.stderr.log``); on AWS
they are SageMaker's CloudWatch Logs groups (``/aws/sagemaker/ProcessingJobs``,
``TrainingJobs``, ``TransformJobs`` with the job's name as the stream prefix,
``/aws/sagemaker/Endpoints/<endpoint>``). A read returns the events after a cursor, so
``--follow`` asks again with the cursor it got and sees each event once.

The protocol lives here, not in ``base.py`` (at the 400-line module limit); ``Backend.logs``
holds one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import orjson

if TYPE_CHECKING:
    from orchestrator.backends.base import ExecutionSummary

__all__ = ["LogBatch", "LogEvent", "LogReader", "LogSource", "request_id_of"]


@dataclass(frozen=True)
class LogSource:
    """One place logs are read from: ``name`` as shown (a step, ``endpoint``), ``location`` a
    file, or a CloudWatch log group; ``prefix`` the log stream prefix within the group."""

    name: str
    location: str
    prefix: str = ""

    def describe(self) -> str:
        return f"{self.location} (streams {self.prefix}*)" if self.prefix else self.location


@dataclass(frozen=True)
class LogEvent:
    """One log line. ``timestamp`` is None for a local line that carries none."""

    source: str
    stream: str
    message: str
    timestamp: datetime | None = None
    request_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON line ``--output json`` prints (stable keys)."""
        return {
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "source": self.source,
            "stream": self.stream,
            "request_id": self.request_id,
            "message": self.message,
        }


@dataclass
class LogBatch:
    """What one read found: the events in time order (per source), the cursor to continue
    from, and the sources that do not exist (yet: a job that has not started logs nothing)."""

    events: list[LogEvent]
    cursor: dict[str, Any]
    missing: list[LogSource] = field(default_factory=list)


@runtime_checkable
class LogReader(Protocol):
    """Finds and reads the logs of executions and endpoints."""

    def execution_sources(self, execution: ExecutionSummary) -> list[LogSource]:
        """Where the steps of ``execution`` logged (steps that ran no job log nothing)."""
        ...

    def endpoint_sources(self, endpoint: str) -> list[LogSource]:
        """Where the endpoint ``endpoint`` logs; UserError when this environment has no such
        endpoint (naming the one it has)."""
        ...

    def read(
        self, sources: list[LogSource], since: datetime | None, cursor: dict[str, Any] | None
    ) -> LogBatch:
        """Events of ``sources`` at or after ``since`` and after ``cursor`` (None: from the
        start), every page."""
        ...


def request_id_of(message: str) -> str | None:
    """The request id of a structured (JSON) serving line: ``RequestId`` (the serving
    container's EMF line) or ``request_id``; None for anything else."""
    text = message.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    value = data.get("RequestId", data.get("request_id"))
    return str(value) if value is not None else None


def timestamp_of(message: str) -> datetime | None:
    """The time of a structured line: EMF's ``_aws.Timestamp`` (ms since the epoch)."""
    if '"_aws"' not in message:
        return None
    try:
        data = orjson.loads(message)
        millis = data["_aws"]["Timestamp"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    if not isinstance(millis, int | float):
        return None
    return datetime.fromtimestamp(millis / 1000, UTC)
