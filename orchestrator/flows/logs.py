"""``orchestrator logs``: an execution's or an endpoint's logs, once or followed, from either
backend through :class:`~orchestrator.backends.logs.LogReader`.

``--since`` is a duration back from now (``90s``, ``15m``, ``1h``, ``2d``) or an ISO 8601 time;
an execution's logs are read from its start by default, an endpoint's from an hour ago.
``follow`` reads again every ``interval`` seconds with the cursor of the last read, so every
event is printed once, until ``timeout`` (None: until interrupted; the CLI turns Ctrl-C into
exit 0).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.backends.base import Backend
from orchestrator.backends.logs import LogEvent, LogSource
from orchestrator.errors import UserError
from orchestrator.flows.pipeline import find_execution

DEFAULT_ENDPOINT_SINCE = timedelta(hours=1)
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class LogTarget:
    """What to read: ``execution`` (an id or ``latest``) or ``endpoint`` (a name)."""

    execution: str | None = None
    endpoint: str | None = None


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    """``--since``: a duration back from ``now`` or an ISO 8601 time (UTC unless it says)."""
    if text is None:
        return None
    now = now or datetime.now(UTC)
    match = _DURATION.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--since {text!r} is neither a duration (90s, 15m, 1h, 2d) nor an ISO 8601 time "
            "(2026-12-05T10:00:00Z); pass one of those"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def sources_for(backend: Backend, target: LogTarget) -> tuple[str, list[LogSource]]:
    """(what is read, its sources); an unknown execution or endpoint is a UserError."""
    if target.endpoint is not None:
        return f"endpoint {target.endpoint}", backend.logs.endpoint_sources(target.endpoint)
    assert target.execution is not None
    execution = find_execution(backend, target.execution)
    return f"execution {execution.id}", backend.logs.execution_sources(execution)


def refresher(backend: Backend, target: LogTarget) -> Callable[[], list[LogSource]] | None:
    """For ``--follow`` on an execution: its sources found again (its steps, by id, even when
    asked for ``latest``); None for an endpoint, whose sources do not change."""
    if target.execution is None:
        return None
    execution_id = find_execution(backend, target.execution).id
    return lambda: backend.logs.execution_sources(backend.pipelines.describe(execution_id))


def default_since(target: LogTarget) -> datetime | None:
    return datetime.now(UTC) - DEFAULT_ENDPOINT_SINCE if target.endpoint is not None else None


def read_logs(
    backend: Backend,
    sources: list[LogSource],
    since: datetime | None,
    emit: Callable[[LogEvent], None],
    note: Callable[[str], None],
    *,
    follow: bool = False,
    interval: float = 5.0,
    timeout: float | None = None,
    refresh: Callable[[], list[LogSource]] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Print the events (``emit``) and, following, keep reading; the number of events.
    ``refresh`` (following a running execution) finds the sources again before each read, so
    a step that starts later is read too; the cursor carries over for the sources seen before."""
    deadline = None if timeout is None else clock() + timeout
    cursor: dict[str, Any] | None = None
    told: set[str] = set()
    count = 0
    while True:
        if refresh is not None and cursor is not None:
            sources = refresh()
        batch = backend.logs.read(sources, since, cursor)
        cursor = batch.cursor
        for source in batch.missing:
            if source.describe() not in told:
                told.add(source.describe())
                note(f"{source.name}: {source.describe()} does not exist (yet)")
        for event in batch.events:
            emit(event)
        count += len(batch.events)
        if not follow or (deadline is not None and clock() >= deadline):
            return count
        wait = interval if deadline is None else max(0.0, min(interval, deadline - clock()))
        sleep(wait)
