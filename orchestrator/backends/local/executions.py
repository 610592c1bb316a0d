"""Execution records: ``<state_root>/executions/<id>/execution.json`` plus ``logs/``.

The record is rewritten (temp file + rename) after every state change, so ``list``/``describe``
from another process always read a whole record, and a runner killed at any instant leaves the
last consistent state behind. Such a record still says ``Executing``; since it also stores the
runner's PID and that process's start time, a reader can tell a live run from a dead one and
reports the latter as ``Crashed`` (the file is left as evidence; ``executions retry`` continues
it under the same id, keeping the finished steps, and a new run reuses them through the cache).
"""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from orchestrator.backends.local.errors import UnknownExecutionError

ExecutionStatus = Literal["Executing", "Succeeded", "Failed", "Stopped", "Crashed"]
StepStatus = Literal["Executing", "Succeeded", "Failed", "Crashed"]
RECORD_FILE = "execution.json"


_EXECUTION_ID = re.compile(r"[a-z0-9]{1,64}")


def utcnow() -> datetime:
    return datetime.now(UTC)


class StepRecord(BaseModel):
    """One step's run, like SageMaker's PipelineExecutionStep plus the step's properties."""

    name: str
    type: str
    status: StepStatus = "Executing"
    start_time: datetime = Field(default_factory=utcnow)
    end_time: datetime | None = None
    failure_reason: str | None = None
    job_name: str | None = None
    cache_key: str | None = None
    cache_hit_source: str | None = None  # the execution whose run this step reused
    # How many times the step ran (retries under its RetryPolicies included; SageMaker's
    # AttemptCount); 0 for a step reused from the cache or recorded before retries existed.
    attempts: int = 0
    # Retried execution (``executions retry``): the step had succeeded before and was not rerun.
    kept_on_retry: bool = False
    # Selective run (``run --from-execution``): the step did not run; its record, properties
    # and artifacts are copied from this (reference) execution.
    reused_from: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[str] = Field(default_factory=list)  # s3:// URIs the step published
    log_files: list[str] = Field(default_factory=list)  # relative to the execution directory


class Execution(BaseModel):
    execution_id: str
    execution_arn: str
    pipeline_name: str
    status: ExecutionStatus = "Executing"
    start_time: datetime = Field(default_factory=utcnow)
    end_time: datetime | None = None
    failure_reason: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    retries: int = 0  # how many times ``executions retry`` continued this execution
    selected_steps: list[str] | None = None  # a selective run's steps (None: every step)
    runner_pid: int = Field(default_factory=os.getpid)
    runner_started: str | None = Field(default_factory=lambda: process_start_marker(os.getpid()))
    steps: list[StepRecord] = Field(default_factory=list)

    def step(self, name: str) -> StepRecord | None:
        return next((s for s in self.steps if s.name == name), None)


def process_start_marker(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), which tells a live runner from a new process
    that happens to reuse a dead runner's PID."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        if state == "Z":  # exited, not yet reaped
            return False
    except OSError:
        pass
    current = process_start_marker(pid)
    return started is None or current is None or current == started


class ExecutionStore:
    """Reads and writes execution records under ``<state_root>/executions``."""

    def __init__(self, state_root: Path) -> None:
        self.root = Path(state_root) / "executions"
        self._lock = threading.Lock()

    def directory(self, execution_id: str) -> Path:
        """The execution's folder; an id that is not one the runner makes (12 lowercase letters
        and digits) names no execution, so ``../x`` can never reach outside the store."""
        if not _EXECUTION_ID.fullmatch(execution_id):
            raise UnknownExecutionError(
                f"no execution {execution_id!r}: execution ids are lowercase letters and digits; "
                "list executions to see the ids that exist"
            )
        return self.root / execution_id

    def log_path(self, execution_id: str, name: str) -> Path:
        return self.directory(execution_id) / "logs" / f"{name}.log"

    def save(self, execution: Execution) -> None:
        """Atomically replace the record (temp file in the same folder, fsync, rename)."""
        with self._lock:
            folder = self.directory(execution.execution_id)
            (folder / "logs").mkdir(parents=True, exist_ok=True)
            temporary = folder / f".{RECORD_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
            data = execution.model_dump_json(indent=2).encode()
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, folder / RECORD_FILE)

    def load(self, execution_id: str) -> Execution:
        path = self.directory(execution_id) / RECORD_FILE
        if not path.is_file():
            raise UnknownExecutionError(
                f"no execution {execution_id!r} under {self.root}; list executions to see the "
                "ids that exist"
            )
        return _with_liveness(Execution.model_validate_json(path.read_bytes()))

    def list(self, pipeline_name: str | None = None) -> list[Execution]:
        """Every readable record, newest first."""
        executions = []
        if self.root.is_dir():
            for path in self.root.glob(f"*/{RECORD_FILE}"):
                try:
                    execution = _with_liveness(Execution.model_validate_json(path.read_bytes()))
                except (OSError, ValidationError):
                    continue  # not ours or from an incompatible version: skip, don't crash
                if pipeline_name is None or execution.pipeline_name == pipeline_name:
                    executions.append(execution)
        return sorted(executions, key=lambda e: e.start_time, reverse=True)


def _with_liveness(execution: Execution) -> Execution:
    if execution.status != "Executing" or process_alive(
        execution.runner_pid, execution.runner_started
    ):
        return execution
    view = execution.model_copy(deep=True)
    view.status = "Crashed"
    view.failure_reason = (
        f"the runner process (pid {execution.runner_pid}) ended without finishing this "
        "execution (killed or crashed); retry it (`orchestrator executions retry`): the steps "
        "that finished are kept and the rest run"
    )
    for step in view.steps:
        if step.status == "Executing":
            step.status = "Crashed"
    return view
