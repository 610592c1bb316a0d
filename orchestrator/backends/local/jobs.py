"""Runs one job's program as a subprocess, the way a SageMaker job runs its container.

The program gets SageMaker's directory layout re-rooted (``OPT_ML_ROOT``), its environment from
the job's arguments and ``PYTHONUNBUFFERED=1`` so its log lines arrive as they happen. Both output
streams go to the step's log file; the last stderr lines are kept to explain a failure when the
program wrote no failure file. ``MaxRuntimeInSeconds`` is enforced as SageMaker does, by stopping
the job.

A job process that dies by a signal (the OOM killer's SIGKILL, a SIGTERM, a crash) failed for a
reason outside the program, as a SageMaker job that ends in InternalServerError does: it raises
:class:`JobKilled`, which the runner retries under the step's RetryPolicies as
``SageMaker.JOB_INTERNAL_ERROR``. A non-zero exit is the program's own failure (AlgorithmError in
SageMaker's terms, which no retry policy covers). SIGINT is the user's Ctrl-C stopping the run,
so it is no transient failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ml_containers.paths import ENV_ROOT

from orchestrator.backends.local.errors import StepFailed

MAX_FAILURE_REASON = 1024  # SageMaker's limit on FailureReason
JOB_INTERNAL_ERROR = "SageMaker.JOB_INTERNAL_ERROR"


class JobKilled(StepFailed):
    """The job process died by a signal: a transient failure, SageMaker.JOB_INTERNAL_ERROR."""

    exception_type = JOB_INTERNAL_ERROR

    def __init__(self, signal_number: int, log_path: Path, host: str | None = None) -> None:
        try:
            name = signal.Signals(signal_number).name
        except ValueError:
            name = f"signal {signal_number}"
        process = f"host {host}'s process" if host else "the job process"
        super().__init__(
            f"{process} was killed by {name} ({signal_number}), e.g. by the OOM killer; "
            f"treated as {JOB_INTERNAL_ERROR} (log: {log_path})"
        )
        self.signal_number = signal_number


@dataclass(frozen=True)
class JobResult:
    exit_code: int
    stderr_tail: tuple[str, ...]
    timed_out: bool
    stopped: bool = False  # stopped because another host of the job failed


def resolve_program(name: str) -> str:
    """A program named in a job (``preprocess``, ``python3``...) as an executable path: the
    virtualenv's own copy next to ``sys.executable`` first, so the runner uses the programs
    installed with it, then ``PATH``."""
    if os.sep in name:
        return name
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise StepFailed(
        f"the job's program {name!r} was not found next to {sys.executable} or on PATH; "
        "install the container programs (make install) or fix the job's entrypoint"
    )


def job_environment(opt_ml_root: Path, extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env.update({str(k): str(v) for k, v in extra.items()})
    env[ENV_ROOT] = str(opt_ml_root)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_job(
    command: list[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    cwd: Path,
    max_runtime_seconds: float | None = None,
) -> JobResult:
    """Run ``command`` to completion, appending its output to ``log_path``."""
    (result,) = run_jobs(
        [HostCommand(command, env, log_path, cwd)], max_runtime_seconds=max_runtime_seconds
    )
    return result


@dataclass(frozen=True)
class HostCommand:
    """One host's process of a job (a job on N instances runs N of them at once)."""

    command: list[str]
    env: Mapping[str, str]
    log_path: Path
    cwd: Path
    host: str | None = None  # named in failures when the job has several hosts


class _Running:
    """A started host process with the threads copying its output into its log."""

    def __init__(self, host: HostCommand) -> None:
        host.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.tail: deque[str] = deque(maxlen=20)
        self.log = open(host.log_path, "ab")  # noqa: SIM115 (closed in finish)
        lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                host.command,
                cwd=host.cwd,
                env=dict(host.env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            self.log.close()
            raise StepFailed(f"cannot start {host.command[0]!r}: {exc}") from None
        assert self.process.stdout is not None and self.process.stderr is not None
        self.readers = [
            threading.Thread(target=_pump, args=(self.process.stdout, self.log, lock, None)),
            threading.Thread(target=_pump, args=(self.process.stderr, self.log, lock, self.tail)),
        ]
        for reader in self.readers:
            reader.daemon = True
            reader.start()
        self.stopped = False  # killed because another host failed or time ran out

    def stop(self) -> None:
        if self.process.poll() is None:
            self.stopped = True
            self.process.kill()

    def finish(self, timed_out: bool, log_path: Path, host: str | None = None) -> JobResult:
        self.process.wait()
        for reader in self.readers:
            reader.join()
        self.log.close()
        killed_by = -self.process.returncode
        if not timed_out and not self.stopped and killed_by > 0 and killed_by != signal.SIGINT:
            raise JobKilled(killed_by, log_path, host)
        return JobResult(self.process.returncode, tuple(self.tail), timed_out, self.stopped)


def run_jobs(
    hosts: list[HostCommand], *, max_runtime_seconds: float | None = None
) -> list[JobResult]:
    """Run one process per host at once, as SageMaker runs a job's instances. When one fails
    (non-zero exit or a signal) the others are stopped at once, as SageMaker stops a job's other
    instances, so a lost host never leaves the rest waiting on it; their results say
    ``stopped``. A host killed by a signal raises :class:`JobKilled` naming its log."""
    running: list[_Running] = []
    try:
        for host in hosts:
            running.append(_Running(host))
    except StepFailed:
        for started in running:
            started.stop()
            started.finish(False, hosts[0].log_path)
        raise
    timed_out = _wait_all(running, max_runtime_seconds)
    results: list[JobResult] = []
    killed: JobKilled | None = None
    for r, host in zip(running, hosts, strict=True):
        try:
            results.append(r.finish(timed_out, host.log_path, host.host))
        except JobKilled as exc:
            killed = killed or exc
    if killed is not None:
        raise killed
    return results


def _wait_all(running: list[_Running], max_runtime_seconds: float | None) -> bool:
    """Wait until every process ended, stopping all once one fails or time runs out; whether
    time ran out."""
    if len(running) == 1:
        try:
            running[0].process.wait(timeout=max_runtime_seconds)
            return False
        except subprocess.TimeoutExpired:
            running[0].stop()
            return True
    deadline = None if max_runtime_seconds is None else time.monotonic() + max_runtime_seconds
    while [r.process.poll() for r in running].count(None):  # poll every one, each round
        if deadline is not None and time.monotonic() > deadline:
            for r in running:
                r.stop()
            return True
        if any(r.process.returncode not in (None, 0) for r in running):
            for r in running:
                r.stop()
            return False
        time.sleep(0.05)
    return False


def _pump(stream: IO[bytes], log: IO[bytes], lock: threading.Lock, tail: deque[str] | None) -> None:
    for line in iter(stream.readline, b""):
        with lock:
            log.write(line)
            log.flush()
        if tail is not None:
            text = line.decode(errors="replace").rstrip()
            if text:
                tail.append(text)
    stream.close()


def failure_reason(result: JobResult, written: Path, log_path: Path, limit: float | None) -> str:
    """The job's own explanation (``written``: /opt/ml/output/message or .../failure), else its
    last stderr lines, else the exit code; capped at SageMaker's 1024 characters."""
    if result.timed_out:
        text = f"MaxRuntimeExceeded: the job ran longer than MaxRuntimeInSeconds ({limit:g}s)"
    else:
        text = written.read_text(errors="replace").strip() if written.is_file() else ""
        if not text:
            text = " | ".join(result.stderr_tail[-5:])
        text = text or f"the program exited with code {result.exit_code} and wrote no message"
    suffix = f" (exit code {result.exit_code}; log: {log_path})"
    return text[: MAX_FAILURE_REASON - len(suffix)] + suffix
