"""The local backend's :class:`~orchestrator.backends.logs.LogReader`: the log files it writes.

* an execution: ``<state>/executions/<id>/logs/<step>.log`` (and ``<step>.<n>.log`` for a
  step's further hosts or attempts), the folder ``ExecutionSummary.logs`` names;
* the endpoint (``local``): each served version's ``serve.stdout.log`` (the EMF lines, one per
  request, with its ``RequestId``) and ``serve.stderr.log`` under ``<endpoints>/logs/``.

The cursor is a byte offset per file, so ``--follow`` reads what was appended since (a file
that shrank was rewritten: it is read again from the start). Lines carry no time except the
structured ones (EMF's ``_aws.Timestamp``); ``--since`` skips files last written before it and
structured lines older than it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.backends.local.endpoint_manager import LOCAL_ENDPOINT_NAME
from orchestrator.backends.logs import LogBatch, LogEvent, LogSource, request_id_of, timestamp_of
from orchestrator.errors import UserError

if TYPE_CHECKING:
    from orchestrator.backends.base import ExecutionSummary

MAX_READ_BYTES = 64 * 1024 * 1024  # one read of one file; the rest comes on the next read


class LocalLogReader:
    def __init__(self, endpoints_root: Path) -> None:
        self.endpoints_root = endpoints_root

    def execution_sources(self, execution: ExecutionSummary) -> list[LogSource]:
        folder = Path(execution.logs) if execution.logs else None
        if folder is None or not folder.is_dir():
            return []
        files = sorted(folder.glob("*.log"), key=lambda p: (_step_of(p.name), p.name))
        return [LogSource(_step_of(p.name), str(p)) for p in files]

    def endpoint_sources(self, endpoint: str) -> list[LogSource]:
        if endpoint != LOCAL_ENDPOINT_NAME:
            raise UserError(
                f"a local environment has one endpoint, {LOCAL_ENDPOINT_NAME!r}, not "
                f"{endpoint!r}; pass --endpoint {LOCAL_ENDPOINT_NAME}"
            )
        root = self.endpoints_root / "logs"
        files = sorted(root.glob("*/serve.*.log")) if root.is_dir() else []
        files.sort(key=lambda p: p.stat().st_mtime)
        return [LogSource(f"endpoint {p.parent.name}", str(p)) for p in files]

    def read(
        self, sources: list[LogSource], since: datetime | None, cursor: dict[str, Any] | None
    ) -> LogBatch:
        offsets = dict(cursor or {})
        events: list[LogEvent] = []
        missing: list[LogSource] = []
        for source in sources:
            path = Path(source.location)
            try:
                stat = path.stat()
            except FileNotFoundError:
                missing.append(source)
                continue
            offset = int(offsets.get(source.location, 0))
            if stat.st_size < offset:  # rewritten: read it again
                offset = 0
            if since is not None and offset == 0 and _mtime(stat.st_mtime) < since:
                offsets[source.location] = stat.st_size
                continue
            lines, offset = _read_lines(path, offset)
            offsets[source.location] = offset
            events.extend(_events(source, path, lines, since))
        return LogBatch(events, offsets, missing)


def _step_of(name: str) -> str:
    return name.split(".", 1)[0]


def _mtime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _read_lines(path: Path, offset: int) -> tuple[list[str], int]:
    """Whole lines from ``offset`` (a line still being written waits for the next read)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(MAX_READ_BYTES)
    end = data.rfind(b"\n") + 1
    return data[:end].decode(errors="replace").splitlines(), offset + end


def _events(
    source: LogSource, path: Path, lines: list[str], since: datetime | None
) -> list[LogEvent]:
    events = []
    for line in lines:
        if not line.strip():
            continue
        when = timestamp_of(line)
        if since is not None and when is not None and when < since:
            continue
        events.append(LogEvent(source.name, path.name, line, when, request_id_of(line)))
    return events
