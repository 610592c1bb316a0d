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

    def __init__(self, signal_number: int, log_path: Path) -> None:
        try:
            name = signal.Signals(signal_number).name
        except ValueError:
            name = f"signal {signal_number}"
        super().__init__(
            f"the job process was killed by {name} ({signal_number}), e.g. by the OOM killer; "
            f"treated as {JOB_INTERNAL_ERROR} (log: {log_path})"
        )
        self.signal_number = signal_number


@dataclass(frozen=True)
class JobResult:
    exit_code: int
    stderr_tail: tuple[str, ...]
    timed_out: bool


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
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=20)
    lock = threading.Lock()
    with open(log_path, "ab") as log:
        try:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise StepFailed(f"cannot start {command[0]!r}: {exc}") from None
        assert process.stdout is not None and process.stderr is not None
        readers = [
            threading.Thread(target=_pump, args=(process.stdout, log, lock, None), daemon=True),
            threading.Thread(target=_pump, args=(process.stderr, log, lock, tail), daemon=True),
        ]
        for reader in readers:
            reader.start()
        timed_out = False
        try:
            process.wait(timeout=max_runtime_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            process.kill()
            process.wait()
        for reader in readers:
            reader.join()
    killed_by = -process.returncode
    if not timed_out and killed_by > 0 and killed_by != signal.SIGINT:
        raise JobKilled(killed_by, log_path)
    return JobResult(process.returncode, tuple(tail), timed_out)


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
