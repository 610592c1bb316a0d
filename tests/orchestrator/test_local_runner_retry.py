"""The local runner honours a step's RetryPolicies (issue #24): a job process killed by a signal
(SIGKILL, as the OOM killer sends) is SageMaker.JOB_INTERNAL_ERROR and runs again after
IntervalSeconds x BackoffRate^n, up to MaxAttempts retries; a program that exits non-zero
(AlgorithmError) is never retried. The waits go to an injected sleep, so nothing here sleeps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.backends.local.pipeline_runner import execution_summary
from orchestrator.backends.local.runner import LocalRunner
from orchestrator.pipeline.retry import EXCEPTION_TYPES, RetrySettings, retry_policies
from tests.orchestrator.local_runner_support import MemoryRegistry, definition, processing_step

# Counts its runs in RUNS_DIR and kills itself with SIGKILL on the first KILLS of them.
PROGRAM = """
import os, pathlib, signal, sys
runs = pathlib.Path(os.environ["RUNS_DIR"])
run = len(list(runs.iterdir())) + 1
(runs / str(run)).touch()
print(f"run {run}", flush=True)
if os.environ.get("EXIT_CODE"):
    sys.exit(int(os.environ["EXIT_CODE"]))
if run <= int(os.environ["KILLS"]):
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def runner(tmp_path: Path, delays: list[float]) -> LocalRunner:
    return LocalRunner(
        tmp_path / "store", tmp_path / "state", MemoryRegistry(), sleep=delays.append
    )


def job(
    tmp_path: Path, *, kills: int, exit_code: int | None = None, retries: bool = True
) -> dict[str, Any]:
    runs = tmp_path / "runs"
    runs.mkdir()
    environment = {"RUNS_DIR": str(runs), "KILLS": str(kills)}
    if exit_code is not None:
        environment["EXIT_CODE"] = str(exit_code)
    step = processing_step("Job", PROGRAM, environment=environment)
    if retries:
        settings = RetrySettings(max_attempts=2, interval_seconds=5, backoff_rate=3.0)
        step["RetryPolicies"] = retry_policies(EXCEPTION_TYPES, settings)
    return definition([step])


def runs(tmp_path: Path) -> int:
    return len(list((tmp_path / "runs").iterdir()))


def test_a_job_killed_on_its_first_attempt_succeeds_on_the_second(
    runner: LocalRunner, tmp_path: Path, delays: list[float]
) -> None:
    execution = runner.start(job(tmp_path, kills=1))
    assert execution.status == "Succeeded", execution.failure_reason
    step = execution.step("Job")
    assert step is not None and step.attempts == 2 and runs(tmp_path) == 2
    assert delays == [5.0]  # IntervalSeconds before the first retry
    # The attempts are in the persisted record, as `executions describe` reads it.
    record = runner.executions.directory(execution.execution_id) / "execution.json"
    assert json.loads(record.read_text())["steps"][0]["attempts"] == 2
    assert runner.describe(execution.execution_id).steps[0].attempts == 2
    # ... and in what `executions describe --output json` prints.
    summary = execution_summary(runner.describe(execution.execution_id)).to_dict()
    assert summary["steps"][0]["attempts"] == 2
    log = runner.log_dir(execution.execution_id) / "Job.log"
    assert "attempt 1 failed: the job process was killed by SIGKILL" in log.read_text()


def test_a_job_killed_every_time_fails_after_max_attempts_naming_them(
    runner: LocalRunner, tmp_path: Path, delays: list[float]
) -> None:
    execution = runner.start(job(tmp_path, kills=99))
    assert execution.status == "Failed"
    step = execution.step("Job")
    assert step is not None and step.attempts == 3 and runs(tmp_path) == 3  # 1 + 2 retries
    assert delays == [5.0, 15.0]  # x BackoffRate 3.0
    reason = step.failure_reason or ""
    assert "killed by SIGKILL (9)" in reason and "SageMaker.JOB_INTERNAL_ERROR" in reason
    assert "failed on all 3 attempts" in reason
    assert reason in (execution.failure_reason or "")


def test_a_program_that_exits_1_is_not_retried(
    runner: LocalRunner, tmp_path: Path, delays: list[float]
) -> None:
    execution = runner.start(job(tmp_path, kills=0, exit_code=1))
    assert execution.status == "Failed"
    step = execution.step("Job")
    assert step is not None and step.attempts == 1 and runs(tmp_path) == 1
    assert delays == []
    assert "exit code 1" in (step.failure_reason or "")
    assert "attempts" not in (step.failure_reason or "")


def test_without_retry_policies_a_killed_job_fails_at_once(
    runner: LocalRunner, tmp_path: Path, delays: list[float]
) -> None:
    execution = runner.start(job(tmp_path, kills=1, retries=False))
    assert execution.status == "Failed"
    step = execution.step("Job")
    assert step is not None and step.attempts == 1 and runs(tmp_path) == 1
    assert delays == [] and "killed by SIGKILL" in (step.failure_reason or "")
