"""One structured log line per request in CloudWatch Embedded Metric Format (EMF).

SageMaker ships a container's stdout to CloudWatch Logs, and CloudWatch turns each EMF line
into metric data points, so latency, rows and error counts become CloudWatch metrics with no
API call from the server. The line also carries the request's status, id and model version for
log queries. Lines are written with one ``os.write`` each: below the pipe's atomic-write size,
lines from several worker processes never interleave.
"""

from __future__ import annotations

import contextlib
import os
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


class MetricsLog:
    """Writes EMF lines for one model to a file descriptor (stdout by default)."""

    def __init__(self, namespace: str, model_id: str, model_version: str, fd: int = 1) -> None:
        self._fd = fd
        directive = [{"Namespace": namespace, "Dimensions": DIMENSIONS, "Metrics": METRICS}]
        # The directive never changes: serialize it once and splice it into each line.
        self._directive = orjson.Fragment(orjson.dumps(directive))
        self._model_id = model_id
        self._model_version = model_version

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
        decoded only here, and only when present)."""
        self.record(
            method="POST",
            path="/invocations",
            status=status,
            latency_ms=latency_ms,
            inference_ms=inference_ms,
            rows=rows,
            request_id=request_id,
            content_type=content_type.decode("latin-1")[:100] if content_type else None,
            accept=accept.decode("latin-1")[:100] if accept else None,
            error=error,
        )

    def record(
        self,
        *,
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
        with contextlib.suppress(OSError):  # a closed log stream must never fail a request
            os.write(self._fd, orjson.dumps(event) + b"\n")
