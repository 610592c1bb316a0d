"""Progress events the runner emits while it works, so a CLI can show what is happening.

The runner never prints; it calls the ``progress`` callback it was given (none by default) with
one :class:`ProgressEvent` per state change, always from the thread that called ``start``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

EventKind = Literal[
    "execution_started",
    "step_started",
    "step_succeeded",
    "step_failed",
    "step_cached",
    "trial_finished",
    "execution_finished",
]


@dataclass(frozen=True)
class ProgressEvent:
    kind: EventKind
    execution_id: str
    step: str | None = None
    step_type: str | None = None
    message: str = ""
    trial: int | None = None  # 1-based trial number, for trial_finished
    trials: int | None = None  # the tuning job's MaxNumberOfTrainingJobs
    objective: float | None = None  # None when the trial failed
    status: str | None = None  # execution status, for execution_finished
    cache_source: str | None = None  # for step_cached: the execution whose run is reused


ProgressCallback = Callable[[ProgressEvent], None]
