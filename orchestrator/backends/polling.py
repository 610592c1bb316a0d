"""One bounded poll loop for every wait (pipeline executions, endpoints, transform jobs), on
every backend.

Every wait has a timeout and a poll interval; the clock and the sleep are injectable so tests
run in milliseconds while production waits in seconds. botocore's own waiters are not used:
they have fixed delays and attempt counts per waiter, report nothing while waiting, and cannot
show the failing step of a pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from orchestrator.errors import OperationFailed, TransientFailure

State = TypeVar("State")


class WaitTimeout(OperationFailed):
    """A bounded wait ran out; ``last`` is the last state seen (the work may still be running)."""

    def __init__(self, message: str, last: Any = None) -> None:
        super().__init__(message)
        self.last = last


@dataclass(frozen=True)
class PollSettings:
    """How long to wait at most and how often to look."""

    timeout_seconds: float
    interval_seconds: float = 15.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if not self.timeout_seconds > 0:
            raise ValueError(f"a wait needs a positive timeout, got {self.timeout_seconds}")
        if not self.interval_seconds > 0:
            raise ValueError(f"a wait needs a positive interval, got {self.interval_seconds}")


def poll(
    fetch: Callable[[], State],
    finished: Callable[[State], bool],
    settings: PollSettings,
    *,
    what: str,
    on_state: Callable[[State], None] | None = None,
    on_timeout: str = "",
) -> State:
    """Call ``fetch`` until ``finished(state)``; :class:`WaitTimeout` after the timeout.

    ``on_state`` sees every state fetched (for progress). The timeout message names ``what``
    and adds ``on_timeout`` (what the user can do next).
    """
    deadline = settings.clock() + settings.timeout_seconds
    state: State | None = None
    while True:
        try:
            state = fetch()
        except TransientFailure as transient:  # throttling or a 5xx: the wait goes on
            if deadline - settings.clock() <= 0:
                raise WaitTimeout(
                    f"{what} did not finish within {settings.timeout_seconds:g} s; the last "
                    f"check failed: {transient}",
                    last=state,
                ) from None
        else:
            if on_state is not None:
                on_state(state)
            if finished(state):
                return state
        remaining = deadline - settings.clock()
        if remaining <= 0:
            raise WaitTimeout(
                f"{what} did not finish within {settings.timeout_seconds:g} s"
                + (f"; {on_timeout}" if on_timeout else ""),
                last=state,
            )
        settings.sleep(min(settings.interval_seconds, remaining))
