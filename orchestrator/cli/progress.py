"""Progress while a command works: one timestamped line per event on stderr.

The local runner reports step events (:class:`ProgressEvent`) as they happen; the flows report
plain lines (infrastructure, deploys, batch jobs). Both go through one printer so a run reads as
one log with one clock.
"""

from __future__ import annotations

import time
from typing import TextIO

from orchestrator.backends.local.progress import ProgressEvent


class ProgressPrinter:
    """Prints one line per pipeline event on a stream (stderr, so ``--output json`` stays clean)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()

    def __call__(self, event: ProgressEvent) -> None:
        line = self.describe(event)
        if line:
            self.note(line)

    @staticmethod
    def describe(event: ProgressEvent) -> str | None:
        step = f"{event.step or '':<18}"
        if event.kind == "step_started":
            return f"{step}started"
        if event.kind == "step_succeeded":
            return f"{step}succeeded {event.message}".rstrip()
        if event.kind == "step_cached":
            return f"{step}reused from cache (execution {event.cache_source})"
        if event.kind == "step_failed":
            return f"{step}FAILED: {event.message}"
        if event.kind == "trial_finished":
            result = f"objective {event.objective:.6g}" if event.objective is not None else "failed"
            return f"{step}trial {event.trial}/{event.trials}: {result}"
        if event.kind == "execution_finished":
            return f"execution {event.execution_id} {event.status}"
        return None

    def note(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stream.write(f"[{elapsed:6.1f}s] {message}\n")
        self.stream.flush()
