"""Business metrics of the served model as CloudWatch embedded metric format (EMF) lines:
prediction class counts, a score histogram on fixed bucket edges, requests and rows per request,
dimensioned by ``EndpointName`` and ``VariantName``.

Unlike the per-request line of :mod:`.emf`, these are aggregated in the worker and written at most
once per ``SERVE_METRICS_INTERVAL`` seconds (a timer on the worker's event loop, started by the
first request after a flush, so an idle worker writes nothing and never wakes up), plus once when
the worker stops (``worker.py``'s shutdown; ``atexit`` outside a worker). A request adds a few
integer increments; the lines cost nothing per request.

EMF (CloudWatch User Guide, "Specification: Embedded metric format",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
a log event is one JSON object whose ``_aws`` member holds ``Timestamp`` (ms since the epoch) and
``CloudWatchMetrics``, an array of MetricDirectives (``Namespace``, ``Dimensions``: an array of
dimension sets naming root members whose values are strings, ``Metrics``: at most 100
``{"Name", "Unit"}``); each metric's value is the root member of its name. A dimension has one
value per event, so each class and each bucket is its own line (``PredictedClass`` /
``ScoreBucket`` dimensions), all written in one ``os.write``.

Settings (environment; a bad value stops the server with exit 2, see :func:`business_settings`):

* ``SERVE_ENDPOINT_NAME``, ``SERVE_VARIANT_NAME``: the dimensions (the orchestrator sets them on
  the endpoint's model; else ``DATA_CAPTURE_ENDPOINT`` / ``DATA_CAPTURE_VARIANT``, else ``local``
  / ``AllTraffic``);
* ``SERVE_METRICS_INTERVAL``: seconds between flushes, 1-3600 (default 60, CloudWatch's standard
  resolution);
* ``SERVE_SCORE_BUCKETS``: increasing bucket edges, comma separated. Classification scores are
  the positive class's probability (binary) or the winning class's (multiclass), default edges
  ``0,0.1,...,1``; a regression's score is its value, with no histogram unless edges are given.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import math
import os
import select
import time
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import orjson

ENV_ENDPOINT = "SERVE_ENDPOINT_NAME"
ENV_VARIANT = "SERVE_VARIANT_NAME"
ENV_INTERVAL = "SERVE_METRICS_INTERVAL"
ENV_BUCKETS = "SERVE_SCORE_BUCKETS"
DEFAULT_INTERVAL_S = 60.0
PROBABILITY_EDGES = tuple(i / 10 for i in range(11))
MAX_BUCKETS = 50
_ATOMIC_WRITE = getattr(select, "PIPE_BUF", 512)
_NAME_LIMIT = 250  # CloudWatch dimension values are at most 1024 characters; keep lines short


class BusinessConfigError(ValueError):
    """A SERVE_* business-metrics variable has a value the server cannot use."""


@dataclass(frozen=True, slots=True)
class BusinessSettings:
    endpoint: str
    variant: str
    interval_s: float
    edges: tuple[float, ...] | None  # None: the problem type's default


def business_settings(env: Mapping[str, str] | None = None) -> BusinessSettings:
    """The settings from the environment; raises :class:`BusinessConfigError` naming the
    variable and what it accepts."""
    env = os.environ if env is None else env
    endpoint = _text(env, ENV_ENDPOINT, "DATA_CAPTURE_ENDPOINT", "local")
    variant = _text(env, ENV_VARIANT, "DATA_CAPTURE_VARIANT", "AllTraffic")
    raw = (env.get(ENV_INTERVAL) or "").strip()
    interval = DEFAULT_INTERVAL_S
    if raw:
        try:
            interval = float(raw)
        except ValueError:
            interval = math.nan
        if not 1 <= interval <= 3600:
            raise BusinessConfigError(
                f"${ENV_INTERVAL} must be a number of seconds from 1 to 3600, got {raw!r}"
            )
    return BusinessSettings(endpoint, variant, interval, _edges(env.get(ENV_BUCKETS)))


def _text(env: Mapping[str, str], name: str, fallback: str, default: str) -> str:
    value = (env.get(name) or env.get(fallback) or default).strip() or default
    return value[:_NAME_LIMIT]


def _edges(raw: str | None) -> tuple[float, ...] | None:
    if raw is None or not raw.strip():
        return None
    try:
        edges = tuple(float(part) for part in raw.split(","))
    except ValueError:
        edges = ()
    increasing = all(a < b for a, b in pairwise(edges))
    if len(edges) < 2 or len(edges) > MAX_BUCKETS or not increasing:
        raise BusinessConfigError(
            f"${ENV_BUCKETS} must be 2 to {MAX_BUCKETS} increasing numbers separated by commas "
            f"(e.g. 0,0.25,0.5,0.75,1), got {raw!r}"
        )
    if not all(math.isfinite(e) for e in edges):
        raise BusinessConfigError(f"${ENV_BUCKETS} must hold finite numbers, got {raw!r}")
    return edges


def _number(value: float) -> str:
    return f"{value:g}"


class BusinessMetrics:
    """One worker's aggregate, flushed as EMF lines to ``fd`` (stdout by default)."""

    def __init__(
        self,
        namespace: str,
        settings: BusinessSettings,
        classes: list[str] | None,
        fd: int = 1,
        clock: Any = time.time,
    ) -> None:
        self.settings = settings
        self.classes = list(classes) if classes else None
        self._binary = self.classes is not None and len(self.classes) == 2
        edges = settings.edges
        if edges is None and self.classes is not None:
            edges = PROBABILITY_EDGES
        self.edges = edges
        # Scores below the first edge count in the first bucket, above the last in the last:
        # bisect over the inner edges gives the bucket index directly.
        self._inner = list(edges[1:-1]) if edges else []
        self.bucket_names = (
            [f"{_number(a)}-{_number(b)}" for a, b in pairwise(edges)] if edges else []
        )
        self._fd = fd
        self._clock = clock
        self._dimensions = {"EndpointName": settings.endpoint, "VariantName": settings.variant}
        self._namespace = namespace
        self._timer: asyncio.TimerHandle | None = None
        self._scheduled = False
        self._reset()
        atexit.register(self.flush)

    def _reset(self) -> None:
        self.requests = 0
        self.rows = 0
        self.max_rows = 0
        self.class_counts = [0] * len(self.classes) if self.classes else []
        self.bucket_counts = [0] * len(self.bucket_names)

    def observe(self, output: np.ndarray) -> None:
        """Count one answered request's predictions (rows x classes, or values)."""
        rows = len(output)
        self.requests += 1
        self.rows += rows
        if rows > self.max_rows:
            self.max_rows = rows
        if self.classes is not None:
            self._classes(output, rows)
        elif self.bucket_names:
            self._buckets(output, rows)
        if not self._scheduled:
            self._schedule()

    def _classes(self, output: np.ndarray, rows: int) -> None:
        if rows == 1:  # the common real-time request: plain Python beats numpy's call overhead
            row = output[0].tolist()
            if self._binary:
                winner, score = int(row[1] > row[0]), row[1]
            else:
                winner = max(range(len(row)), key=row.__getitem__)
                score = row[winner]
            self.class_counts[winner] += 1
            self.bucket_counts[bisect_right(self._inner, score)] += 1
            return
        winners = output.argmax(axis=1)
        scores = output[:, 1] if self._binary else output.max(axis=1)
        for index, count in enumerate(
            np.bincount(winners, minlength=len(self.classes or ())).tolist()
        ):
            self.class_counts[index] += count
        self._add_buckets(scores)

    def _buckets(self, output: np.ndarray, rows: int) -> None:
        if rows == 1:
            self.bucket_counts[bisect_right(self._inner, float(output[0]))] += 1
        else:
            self._add_buckets(output)

    def _add_buckets(self, scores: np.ndarray) -> None:
        indices = np.searchsorted(np.asarray(self._inner), scores, side="right")
        counts = np.bincount(indices, minlength=len(self.bucket_names)).tolist()
        for index, count in enumerate(counts):
            self.bucket_counts[index] += count

    def _schedule(self) -> None:
        self._scheduled = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop (scripts, tests): flushed at exit or by hand
            return
        self._timer = loop.call_later(self.settings.interval_s, self.flush)

    def lines(self) -> list[bytes]:
        """The EMF lines of what was counted since the last flush (none when nothing was)."""
        if not self.requests:
            return []
        stamp = int(self._clock() * 1000)
        out = [
            self._line(
                stamp,
                {},
                {"Requests": ("Count", self.requests), "Rows": ("Count", self.rows),
                 "MaxRowsPerRequest": ("Count", self.max_rows),
                 "RowsPerRequest": ("Count", round(self.rows / self.requests, 3))},
            )
        ]  # fmt: skip
        for name, count in zip(self.classes or (), self.class_counts, strict=False):
            if count:
                out.append(
                    self._line(
                        stamp,
                        {"PredictedClass": name[:_NAME_LIMIT]},
                        {"Predictions": ("Count", count)},
                    )
                )
        for name, count in zip(self.bucket_names, self.bucket_counts, strict=True):
            if count:
                out.append(
                    self._line(stamp, {"ScoreBucket": name}, {"ScoreCount": ("Count", count)})
                )
        return out

    def _line(
        self, stamp: int, extra: dict[str, str], metrics: dict[str, tuple[str, float]]
    ) -> bytes:
        dimensions = [["EndpointName", "VariantName", *extra]]
        directive = {
            "Namespace": self._namespace,
            "Dimensions": dimensions,
            "Metrics": [{"Name": name, "Unit": unit} for name, (unit, _) in metrics.items()],
        }
        event: dict[str, Any] = {
            "_aws": {"Timestamp": stamp, "CloudWatchMetrics": [directive]},
            **self._dimensions,
            **extra,
            **{name: value for name, (_, value) in metrics.items()},
        }
        return orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)

    def flush(self) -> None:
        """Write the aggregate and start counting afresh (a no-op when nothing was counted)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._scheduled = False
        lines = self.lines()
        self._reset()
        # Whole lines, at most PIPE_BUF bytes per write, so workers sharing stdout never
        # interleave inside a line.
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            if chunk and size + len(line) > _ATOMIC_WRITE:
                self._write(b"".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        if chunk:
            self._write(b"".join(chunk))

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # a closed log stream must never fail a request
            os.write(self._fd, data)
