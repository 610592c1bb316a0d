"""Reading SageMaker data-capture files back into feature columns.

A capture record (one JSON line) holds one request and its response: ``captureData.
endpointInput`` / ``endpointOutput`` with ``observedContentType``, ``mode``, ``data`` and
``encoding`` (``CSV``, ``JSON`` or ``BASE64``), and ``eventMetadata.inferenceTime``. A request
may hold many rows; each becomes one row of the window, its prediction read from the response
at the same position. Inputs are decoded the way ``serve`` accepts them (CSV rows in schema
order, JSON ``{"instances": [...]}`` of lists or objects, JSON Lines, NPY), outputs as ``serve``
writes them (``ml_containers.serve.encoding``), so this reader and the server agree by
construction. Records it cannot decode are counted, never fatal: one odd client must not stop
the monitor.
"""

from __future__ import annotations

import base64
import csv
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

MAX_ROWS = 200_000  # beyond this a window is judged on a uniform sample (bounded memory)
PREDICTION = "_prediction"  # the predicted label (classification) or value (regression)
SCORE = "_score"  # binary classification: the positive (last) class's probability


@dataclass
class CapturedWindow:
    """The window's rows as columns of raw values, and what could not be read."""

    columns: dict[str, list[Any]]
    rows: int = 0  # rows kept (a uniform sample of rows_seen beyond max_rows)
    rows_seen: int = 0
    max_rows: int = MAX_ROWS
    records: int = 0
    undecodable: int = 0
    narrow_rows: int = 0
    wide_rows: int = 0
    first: datetime | None = None
    last: datetime | None = None
    files: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(19), repr=False)

    def add(self, values: dict[str, Any]) -> None:
        """Keep a row; past ``max_rows``, reservoir sampling (algorithm R) keeps a uniform
        sample of every row seen, so memory stays bounded whatever the window's traffic."""
        self.rows_seen += 1
        if self.rows < self.max_rows:
            for name, value in values.items():
                self.columns[name].append(value)
            self.rows += 1
            return
        slot = self.rng.randrange(self.rows_seen)
        if slot < self.max_rows:
            for name, value in values.items():
                self.columns[name][slot] = value


def parse_time(text: str) -> datetime:
    """An ISO 8601 UTC time (``2019-12-01T15:20:00Z``, fractions allowed) as an aware datetime;
    ValueError otherwise."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def capture_files(root: Path) -> list[Path]:
    """Every ``.jsonl`` file below ``root``, in path order (the hour folders sort by time)."""
    return sorted(p for p in root.rglob("*.jsonl") if p.is_file()) if root.is_dir() else []


def read_window(
    files: Iterable[Path],
    features: Sequence[str],
    outputs: Sequence[str],
    start: datetime | None = None,
    end: datetime | None = None,
    max_rows: int = MAX_ROWS,
) -> CapturedWindow:
    """The rows captured in ``[start, end)`` from ``files``: the input ``features`` (in request
    order) and the prediction columns named in ``outputs`` (:data:`PREDICTION`, :data:`SCORE`)."""
    window = CapturedWindow(columns={name: [] for name in [*features, *outputs]}, max_rows=max_rows)
    for path in files:
        window.files.append(str(path))
        with open(path, "rb") as handle:
            for line in handle:
                if line.strip():
                    _add_record(window, line, features, outputs, start, end)
    return window


def _add_record(
    window: CapturedWindow,
    line: bytes,
    features: Sequence[str],
    outputs: Sequence[str],
    start: datetime | None,
    end: datetime | None,
) -> None:
    try:
        record = orjson.loads(line)
        when = parse_time(record["eventMetadata"]["inferenceTime"])
        if (start is not None and when < start) or (end is not None and when >= end):
            return
        window.records += 1
        capture = record["captureData"]
        rows = _input_rows(capture["endpointInput"], features)
        predictions = _predictions(capture.get("endpointOutput"), len(rows))
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        window.undecodable += 1
        return
    window.first = when if window.first is None else min(window.first, when)
    window.last = when if window.last is None else max(window.last, when)
    for row, prediction in zip(rows, predictions, strict=True):
        if len(row) != len(features):
            if len(row) < len(features):
                window.narrow_rows += 1
            else:
                window.wide_rows += 1
            continue
        values = dict(zip(features, row, strict=True))
        if PREDICTION in outputs:
            values[PREDICTION] = prediction[0]
        if SCORE in outputs:
            values[SCORE] = prediction[1]
        window.add(values)


def _payload(section: dict[str, Any]) -> tuple[str, bytes]:
    content_type = str(section.get("observedContentType") or "").split(";")[0].strip().lower()
    data = section["data"]
    if str(section.get("encoding", "")).upper() == "BASE64":
        return content_type, base64.b64decode(data)
    return content_type, str(data).encode()


def _input_rows(section: dict[str, Any], features: Sequence[str]) -> list[list[Any]]:
    content_type, body = _payload(section)
    if content_type in ("text/csv", "text/plain"):
        text = body.decode("utf-8-sig")
        return [row for row in csv.reader(io.StringIO(text)) if row]
    if content_type == "application/json":
        instances = orjson.loads(body)["instances"]
    elif content_type in ("application/jsonlines", "application/x-jsonlines"):
        instances = [orjson.loads(x) for x in body.splitlines() if x.strip()]
    elif content_type == "application/x-npy":
        array = np.load(io.BytesIO(body), allow_pickle=False)
        instances = np.atleast_2d(array).tolist()
    else:
        raise ValueError(f"content type {content_type!r} is not one serve accepts")
    return [_instance_row(instance, features) for instance in instances]


def _instance_row(instance: Any, features: Sequence[str]) -> list[Any]:
    if isinstance(instance, dict):
        return [instance.get(name) for name in features]
    if isinstance(instance, list):
        return instance
    raise ValueError("an instance must be a list or an object")


def _predictions(section: dict[str, Any] | None, rows: int) -> list[tuple[Any, Any]]:
    """(label or value, positive-class probability or None) per row."""
    if section is None:
        return [(None, None)] * rows
    content_type, body = _payload(section)
    if content_type == "text/csv":
        lines = [row for row in csv.reader(io.StringIO(body.decode())) if row]
        found = [(r[0], float(r[-1]) if len(r) > 2 else None) for r in lines]
        if len(lines) == rows and all(len(r) == 1 for r in lines):
            found = [(float(r[0]), None) for r in lines]
    else:
        if content_type == "application/json":
            objects = orjson.loads(body)["predictions"]
        else:
            objects = [orjson.loads(x) for x in body.splitlines() if x.strip()]
        found = [_prediction(p) for p in objects]
    if len(found) != rows:
        raise ValueError(f"{len(found)} predictions for {rows} rows")
    return found


def _prediction(entry: dict[str, Any]) -> tuple[Any, Any]:
    if "label" in entry:
        probabilities = list((entry.get("probabilities") or {}).values())
        return entry["label"], probabilities[-1] if len(probabilities) == 2 else None
    return entry["value"], None
