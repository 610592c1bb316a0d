"""The deployment history of an environment's endpoint: who served which model version when.

Every deploy, rollback, recreate and no-op appends one event: when, who (the caller's ARN on
AWS, the local user here), the model package (group, version, registered metrics, image,
dataset and serving signature), the endpoint config before and after, and the outcome
(InService; RolledBack with the reason naming the alarm; Failed or TimedOut with the reason).

Events live in the backend's artifact store under ``deployments/<endpoint>/``, one object per
event named by its time and a random suffix, never rewritten: append-only by construction. On
AWS that is the stack's artifacts bucket (versioned, SSE-KMS, kept when the deploying machine
is gone, and inside what the disaster-recovery backups copy); locally the local store.
"""

from __future__ import annotations

import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.errors import OperationFailed

HISTORY_PREFIX = "deployments"
Outcome = Literal["InService", "RolledBack", "Failed", "TimedOut"]


class PackageRecord(BaseModel):
    """The model package an event served or tried to serve."""

    arn: str
    group: str
    version: int
    metrics: dict[str, float] = {}
    image_uri: str = ""
    dataset: str | None = None
    serving_signature: str | None = None

    @classmethod
    def of(cls, package: ModelPackage) -> PackageRecord:
        return cls(
            arn=package.arn,
            group=package.group,
            version=package.version,
            metrics=dict(package.metrics),
            image_uri=package.image_uri,
            dataset=package.metadata.get("schema_name"),
            serving_signature=package.metadata.get("serving_signature"),
        )


class DeploymentEvent(BaseModel):
    """One deploy, rollback, recreate or no-op, as it ended."""

    at: datetime
    who: str
    environment: str
    endpoint: str
    command: Literal["deploy", "rollback", "run", "endpoint-test"]
    action: str  # created, updated, recreated, unchanged, rolled-back; "none" when refused
    outcome: Outcome
    reason: str = ""
    package: PackageRecord | None = None
    package_before: str | None = None  # the ARN of the package that served before, if any
    config_before: str | None = None
    config_after: str | None = None


def history_prefix(backend: Backend) -> str:
    outputs = backend.outputs
    return f"s3://{outputs.artifacts_bucket}/{HISTORY_PREFIX}/{outputs.endpoint_name}/"


def record(backend: Backend, event: DeploymentEvent) -> str:
    """Append ``event``; the URI of its object."""
    name = f"{event.at:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.json"
    uri = history_prefix(backend) + name
    with tempfile.TemporaryDirectory(prefix="history-") as scratch:
        path = Path(scratch) / name
        path.write_text(event.model_dump_json(indent=2) + "\n")
        backend.artifacts.publish(path, uri)
    return uri


def read(backend: Backend) -> list[DeploymentEvent]:
    """Every event of the environment's endpoint, oldest first."""
    prefix = history_prefix(backend)
    if not backend.artifacts.exists(prefix):
        return []
    with tempfile.TemporaryDirectory(prefix="history-") as scratch:
        files = backend.artifacts.download(prefix, Path(scratch))
        events = []
        for path in sorted(files, key=lambda p: p.name):
            try:
                events.append(DeploymentEvent.model_validate_json(path.read_text()))
            except (ValidationError, UnicodeDecodeError) as exc:
                raise OperationFailed(
                    f"the deployment history object {prefix}{path.name} is not a deployment "
                    f"event ({exc.__class__.__name__}); it was written by something else: move "
                    "it out of the prefix"
                ) from None
    return sorted(events, key=lambda e: e.at)


def now() -> datetime:
    return datetime.now(UTC)


def served(events: list[DeploymentEvent]) -> list[DeploymentEvent]:
    """The events after which a package served InService, oldest first."""
    return [e for e in events if e.outcome == "InService" and e.package is not None]
