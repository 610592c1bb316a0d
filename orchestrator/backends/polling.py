"""One bounded poll loop for every wait (pipeline executions, endpoints, transform jobs), on
every backend, and one bounded backoff for a single call AWS may answer "not now".

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
Result = TypeVar("Result")


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


@dataclass(frozen=True)
class Backoff:
    """How often and how long to retry one call: ``attempts`` tries in all, sleeping
    ``first_delay_seconds`` after the first failure and doubling up to ``max_delay_seconds``,
    so the total sleep is bounded (1 + 2 + 4 + 8 = 15 s by default)."""

    attempts: int = 5
    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"a call needs at least one attempt, got {self.attempts}")
        if not 0 < self.first_delay_seconds <= self.max_delay_seconds:
            raise ValueError("backoff delays must be positive, the first no longer than the max")

    @classmethod
    def within(cls, settings: PollSettings) -> Backoff:
        """The backoff of a call made on the way to a wait: its sleep (tests inject one that
        does not sleep), and no delay longer than the wait's own interval."""
        interval = settings.interval_seconds
        return cls(
            first_delay_seconds=min(1.0, interval),
            max_delay_seconds=min(8.0, interval),
            sleep=settings.sleep,
        )

    def delays(self) -> list[float]:
        """The sleeps between the attempts, in order."""
        delays: list[float] = []
        delay = self.first_delay_seconds
        for _ in range(self.attempts - 1):
            delays.append(delay)
            delay = min(delay * 2, self.max_delay_seconds)
        return delays

    @property
    def total_delay_seconds(self) -> float:
        return sum(self.delays())


def retry_transient(
    call: Callable[[], Result],
    backoff: Backoff,
    *,
    retry_on: tuple[type[Exception], ...] = (TransientFailure,),
) -> Result:
    """``call()``, tried again with exponential backoff while it raises one of ``retry_on``
    (by default :class:`TransientFailure`: throttling or a 5xx beyond the client's retries).

    Any other error ends it at once; after ``backoff.attempts`` the last error is raised as is,
    so the caller's message stands (it may add the attempts and seconds, from ``backoff``).
    A long wait uses :func:`poll` instead, which retries at its interval until its timeout.
    """
    for delay in backoff.delays():
        try:
            return call()
        except retry_on:
            backoff.sleep(delay)
    return call()
