"""One structured log line per request in CloudWatch Embedded Metric Format (EMF).

SageMaker ships a container's stdout to CloudWatch Logs, and CloudWatch turns each EMF line
into metric data points, so latency, rows and error counts become CloudWatch metrics with no
API call from the server. The line also carries the request's status, id and model version for
log queries.

Writes are whole lines, at most ``PIPE_BUF`` bytes at a time, so lines from several worker
processes sharing stdout never interleave. Inside an event loop, the lines of the requests that
finish in one loop iteration leave in one ``os.write`` at the end of that iteration (under load
that is several requests per system call; idle, it is still one line per request within
microseconds); outside a loop, and at exit, every line is written at once.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import select
import threading
import time
from typing import Any

import orjson

METRICS = [
    {"Name": "Latency", "Unit": "Milliseconds"},
    {"Name": "InferenceLatency", "Unit": "Milliseconds"},
    {"Name": "Rows", "Unit": "Count"},
    {"Name": "ClientErrors", "Unit": "Count"},
    {"Name": "ServerErrors", "Unit": "Count"},
]
DIMENSIONS = [["ModelId", "ModelVersion"]]
_MAX_MESSAGE = 300
# Writes up to this size are atomic on a pipe (POSIX guarantees at least 512; Linux 4096).
_ATOMIC_WRITE = getattr(select, "PIPE_BUF", 512)


class MetricsLog:
    """Writes EMF lines for one model to a file descriptor (stdout by default)."""

    def __init__(self, namespace: str, model_id: str, model_version: str, fd: int = 1) -> None:
        self._fd = fd
        directive = [{"Namespace": namespace, "Dimensions": DIMENSIONS, "Metrics": METRICS}]
        # The directive never changes: serialize it once and splice it into each line.
        self._directive = orjson.Fragment(orjson.dumps(directive))
        self._model_id = model_id
        self._model_version = model_version
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        # The loop that flushes. Remembered because asyncio.get_running_loop() makes a getpid
        # system call (it guards against forks) and this runs on every request.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        atexit.register(self.flush)  # a worker that exits between a line and its flush

    def invocation(
        self,
        *,
        status: int,
        latency_ms: float,
        inference_ms: float,
        rows: int,
        request_id: str,
        content_type: bytes | None,
        accept: bytes | None,
        error: str | None,
    ) -> None:
        """The per-request line for ``POST /invocations`` (the hot path: header bytes are
        decoded only here, and only when present). Arguments go to :meth:`record` by position:
        this runs on every request, and a keyword call costs more."""
        self.record(
            "POST",
            "/invocations",
            status,
            latency_ms,
            inference_ms,
            rows,
            request_id,
            content_type.decode("latin-1")[:100] if content_type else None,
            accept.decode("latin-1")[:100] if accept else None,
            error,
        )

    def record(
        self,
        method: str,
        path: str,
        status: int,
        latency_ms: float,
        inference_ms: float,
        rows: int,
        request_id: str,
        content_type: str | None = None,
        accept: str | None = None,
        error: str | None = None,
    ) -> None:
        event: dict[str, Any] = {
            "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": self._directive},
            "ModelId": self._model_id,
            "ModelVersion": self._model_version,
            "Latency": latency_ms,
            "InferenceLatency": inference_ms,
            "Rows": rows,
            "ClientErrors": 1 if 400 <= status < 500 else 0,
            "ServerErrors": 1 if status >= 500 else 0,
            "Status": status,
            "RequestId": request_id,
            "Method": method,
            "Path": path,
        }
        if content_type:
            event["ContentType"] = content_type
        if accept:
            event["Accept"] = accept
        if error:
            event["Error"] = error[:_MAX_MESSAGE]
        self._emit(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))

    def _emit(self, line: bytes) -> None:
        if not self._pending:
            loop = self._loop
            if loop is None or loop.is_closed() or threading.get_ident() != self._loop_thread:
                try:
                    loop = self._loop = asyncio.get_running_loop()
                except RuntimeError:  # no event loop in this thread: nothing would flush later
                    self._write(line)
                    return
                self._loop_thread = threading.get_ident()
            loop.call_soon(self.flush)
        elif self._pending_bytes + len(line) > _ATOMIC_WRITE:
            self.flush()
        self._pending.append(line)
        self._pending_bytes += len(line)

    def flush(self) -> None:
        """Write the buffered lines (a no-op when there are none)."""
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        self._write(data)

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # a closed log stream must never fail a request
            os.write(self._fd, data)
