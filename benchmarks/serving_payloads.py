"""Request bodies for each serving peer and how to read their answers back.

``serve`` gets raw rows (it applies the bundle's fitted transform itself); the bare servers and
MLflow get the same rows already transformed, because they only score the booster. So every peer
returns the same probabilities, which the benchmark checks before it measures anything.
MLflow's CSV input needs a header row and its JSON input is ``dataframe_split``, its documented
formats; ours and the bare server take ``{"instances": [...]}``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import orjson
from ml_containers.bundle import load_bundle

PeerKind = Literal["ours", "bare", "bare-direct", "mlflow"]
Encoding = Literal["csv", "json"]


@dataclass(frozen=True)
class Payload:
    body: bytes
    content_type: str
    accept: str


@dataclass(frozen=True)
class DemoRows:
    """Raw rows as text (what a client sends ``serve``) and the same rows transformed."""

    raw_text: list[list[str]]
    transformed: np.ndarray
    feature_names: list[str]  # the booster's (f0, f1, ... when it has none)

    def take(self, rows: int) -> DemoRows:
        count = len(self.raw_text)
        picked = [i % count for i in range(rows)]
        return DemoRows(
            [self.raw_text[i] for i in picked], self.transformed[picked], self.feature_names
        )


def load_rows(model_dir: Path, raw_text: list[list[str]]) -> DemoRows:
    """Transform raw numeric rows with the bundle's own transform (all-numeric schemas)."""
    bundle = load_bundle(model_dir)
    matrix = np.array(
        [[float(v) if v != "" else np.nan for v in row] for row in raw_text], dtype=np.float64
    )
    transformed = bundle.transform.apply_numeric_matrix(matrix)
    names = [f"f{i}" for i in range(transformed.shape[1])]
    return DemoRows(raw_text, transformed, names)


def rows_from_csv(path: Path, features: int) -> list[list[str]]:
    """The first ``features`` fields of every data row of a CSV with a header (the target and
    anything else after them are dropped)."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [row[:features] for row in reader]


def _number(value: float) -> str:
    return f"{value:.9g}"  # float32 round-trips in 9 significant digits


def payload(kind: PeerKind, encoding: Encoding, rows: DemoRows) -> Payload:
    if kind == "ours":
        if encoding == "csv":
            text = "".join(",".join(row) + "\n" for row in rows.raw_text)
            return Payload(text.encode(), "text/csv", "text/csv")
        instances = [[float(v) for v in row] for row in rows.raw_text]
        return Payload(
            orjson.dumps({"instances": instances}), "application/json", "application/json"
        )
    values = [[_number(v) for v in row] for row in rows.transformed.tolist()]
    if encoding == "csv":
        lines = [",".join(row) for row in values]
        if kind == "mlflow":
            lines.insert(0, ",".join(rows.feature_names))
        return Payload(
            ("\n".join(lines) + "\n").encode(),
            "text/csv",
            "application/json" if kind == "mlflow" else "text/csv",
        )
    numbers = [[float(v) for v in row] for row in values]
    if kind == "mlflow":
        document = {"dataframe_split": {"columns": rows.feature_names, "data": numbers}}
    else:
        document = {"instances": numbers}
    return Payload(orjson.dumps(document), "application/json", "application/json")


def positive_probabilities(kind: PeerKind, accept: str, body: bytes) -> np.ndarray:
    """P(second class) per row from a peer's answer (binary models)."""
    if accept == "text/csv":
        lines = [line for line in body.decode().splitlines() if line]
        return np.array([float(line.split(",")[-1]) for line in lines])
    document = orjson.loads(body)
    predictions = document["predictions"]
    if kind == "ours":
        return np.array([list(p["probabilities"].values())[-1] for p in predictions])
    return np.asarray(predictions, dtype=np.float64).reshape(-1)
