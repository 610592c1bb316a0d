"""What was measured on this machine, and the file that carries it to an aws environment.

``orchestrator recommend --env local --save-measurements FILE`` writes it; ``orchestrator
recommend --env dev --measurements FILE`` reads it back, because an aws environment's model
cannot be served on this machine without its account. Every number says where it came from.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.errors import UserError

FILE_KIND = "orchestrator-recommend-measurements"
FILE_VERSION = 1
MIB = 1024 * 1024


class EndpointMeasurement(BaseModel):
    """The real ``serve`` program on this machine, answering held-out rows one request at a
    time: latency per request (client side, through the local endpoint), server CPU per request
    (the serve processes' user + system time over the requests), resident memory per process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    requests: int = Field(ge=1)
    rows_per_request: int = Field(ge=1)
    latency_p50_ms: float = Field(gt=0)
    latency_p99_ms: float = Field(gt=0)
    latency_mean_ms: float = Field(gt=0)
    server_cpu_ms_per_request: float | None = Field(None, ge=0)
    workers: int = Field(ge=1)
    worker_rss_mib: tuple[float, ...] = Field(min_length=1)
    master_rss_mib: float = Field(ge=0)
    model_mib: float = Field(ge=0)

    @property
    def largest_worker_mib(self) -> float:
        return max(self.worker_rss_mib)

    @property
    def service_ms(self) -> float:
        """Time one request occupies a CPU: the server's CPU time per request when /proc's clock
        ticks resolved it, else (conservatively) the whole request latency."""
        if self.server_cpu_ms_per_request:
            return self.server_cpu_ms_per_request
        return self.latency_mean_ms


class TrainingMeasurement(BaseModel):
    """Training time from a recorded execution: the tuning step's trials (median wall time of
    one trial) and the rows they trained on (Preprocess's report)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str  # "recorded execution <id>"
    execution: str
    trials: int = Field(ge=1)
    trial_seconds: float = Field(gt=0)
    train_rows: int = Field(ge=1)
    validation_rows: int = Field(ge=0)
    rows_in: int = Field(ge=1)
    features: int = Field(ge=1)
    threads_per_trial: float = Field(gt=0)

    @property
    def seconds_per_million_rows(self) -> float:
        return self.trial_seconds * 1_000_000 / self.train_rows


class Measurements(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: str
    dataset: str
    measured_at: str
    machine: str
    cpus: int = Field(ge=1)
    endpoint: EndpointMeasurement
    training: TrainingMeasurement

    def to_dict(self) -> dict[str, Any]:
        return {"kind": FILE_KIND, "version": FILE_VERSION, **self.model_dump(mode="json")}


@dataclass(frozen=True)
class Derived:
    """The figures a reader wants next to the raw ones."""

    seconds_per_million_rows: float
    service_ms: float
    largest_worker_mib: float

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in asdict(self).items()}


def derived(measured: Measurements) -> Derived:
    return Derived(
        seconds_per_million_rows=measured.training.seconds_per_million_rows,
        service_ms=measured.endpoint.service_ms,
        largest_worker_mib=measured.endpoint.largest_worker_mib,
    )


def save(measured: Measurements, path: Path) -> None:
    try:
        path.write_text(json.dumps(measured.to_dict(), indent=2) + "\n")
    except OSError as exc:
        raise UserError(f"cannot write the measurements to {path}: {exc.strerror}") from None


def load(path: Path) -> Measurements:
    """A measurements file; anything else is exit 2 naming the file and the fix."""
    fix = "write one with `orchestrator recommend --env local --save-measurements FILE`"
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise UserError(f"cannot read measurements file {path}: {exc.strerror}; {fix}") from None
    except ValueError as exc:
        raise UserError(f"{path} is not JSON ({exc}); {fix}") from None
    if not isinstance(data, dict) or data.get("kind") != FILE_KIND:
        raise UserError(f"{path} is not a measurements file (no kind {FILE_KIND!r}); {fix}")
    if data.get("version") != FILE_VERSION:
        raise UserError(
            f"{path} is measurements file version {data.get('version')!r}; this orchestrator "
            f"reads version {FILE_VERSION}: {fix}"
        )
    body = {k: v for k, v in data.items() if k not in ("kind", "version")}
    try:
        return Measurements.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise UserError(f"{path} has bad measurements ({problems}); {fix}") from None
