"""The model's drift baseline: Model Monitor ``statistics.json`` and ``constraints.json`` of the
training split, in the features' raw units, plus the model's predictions on those rows.

Evaluate is where the baseline is made because it is the one job that holds both the model and
(through its ``train`` input, the preprocess step's train output) the rows it learned from. That
split is stored transformed, so the raw values are recovered from the fitted transform, which is
exact up to float32 rounding: a number is ``value * scale + mean`` (integers rounded back), a
category is its one-hot column. A missing value was imputed before the split was written, so it
comes back as its imputed value (the median, the most frequent category): the baseline's
completeness is 1 (docs/monitoring.md). The capture records raw requests, which is why the
baseline must be raw too.

The train input holds ``train.csv``, ``train-part-KKKKK.csv`` per training host, or
``train-part-KKKKK-HHHHH.csv`` per preprocessing and training host; all of its parts are read, in
name order (``ml_containers.split_layout``). Without a ``train`` input (an older pipeline
definition) the test split stands in, and the statistics say so under ``dataset.source``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import paths
from ..bundle import ModelBundle
from ..monitor.captured import PREDICTION, SCORE
from ..monitor.statistics import (
    Column,
    dataset_constraints,
    dataset_statistics,
    numeric_column,
    string_column,
)
from ..schema import ColumnType, ProblemType
from ..split_layout import SplitLayoutError, split_files
from ..train.failure import JobFailure
from ..train.labeled_csv import LabeledData, data_files, read_labeled_csv

TRAIN_INPUT = "/opt/ml/processing/input/train"
TRAIN_SPLIT = "train"
STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
MAX_ROWS = 100_000  # a seeded sample beyond this: statistics converge long before
SEED = 7


def train_input_dir() -> Path:
    return paths.reroot(TRAIN_INPUT)


def baseline_rows(
    train_input: Path, test: LabeledData, bundle: ModelBundle
) -> tuple[np.ndarray, str]:
    """The transformed rows the baseline describes, and which split they are."""
    if not (train_input.is_dir() and data_files(train_input)):
        return _sample(test.features), "test"
    try:
        files = split_files(train_input, TRAIN_SPLIT)
    except SplitLayoutError as exc:
        raise JobFailure(f"the train input (the drift baseline's rows): {exc}") from None
    width = len(bundle.manifest.feature_names)
    return _sample(read_labeled_csv(files, width, "the train split").features), "train"


def raw_columns(bundle: ModelBundle, features: np.ndarray) -> list[Column]:
    """The schema's features in raw units, recovered through the fitted transform."""
    kinds = {c.name: c.type for c in bundle.schema.features}
    columns: list[Column] = []
    at = 0
    for spec in bundle.transform.columns:
        name = spec["name"]
        if spec["kind"] == "numeric":
            values = features[:, at].astype(np.float64) * spec["scale"] + spec["mean"]
            integral = kinds.get(name) is ColumnType.INTEGER
            columns.append(numeric_column(name, np.round(values) if integral else values, integral))
            at += 1
        else:
            categories = spec["categories"]
            block = features[:, at : at + len(categories)]
            codes = block.argmax(axis=1)
            hot = block.max(axis=1) > 0.5
            columns.append(
                string_column(
                    name, [categories[c] if h else None for c, h in zip(codes, hot, strict=True)]
                )
            )
            at += len(categories)
    return columns


def prediction_columns(bundle: ModelBundle, features: np.ndarray) -> list[Column]:
    """What the endpoint answers for these rows: the label (or value), and for a binary model
    the positive class's probability."""
    output = bundle.predict(features)
    if bundle.problem_type is ProblemType.REGRESSION:
        return [numeric_column(PREDICTION, output, integral=False)]
    classes = list(bundle.manifest.classes or [])
    labels = [classes[i] for i in output.argmax(axis=1)]
    columns = [string_column(PREDICTION, labels)]
    if output.shape[1] == 2:
        columns.append(numeric_column(SCORE, output[:, 1], integral=False))
    return columns


def write_baseline(
    bundle: ModelBundle, features: np.ndarray, source: str, output: Path
) -> list[str]:
    """Write statistics.json and constraints.json into ``output``; their file names."""
    statistics = dataset_statistics(
        [*raw_columns(bundle, features), *prediction_columns(bundle, features)]
    )
    statistics["dataset"]["source"] = source
    output.mkdir(parents=True, exist_ok=True)
    (output / STATISTICS_FILE).write_text(json.dumps(statistics, indent=2) + "\n")
    constraints = dataset_constraints(statistics)
    (output / CONSTRAINTS_FILE).write_text(json.dumps(constraints, indent=2) + "\n")
    return [STATISTICS_FILE, CONSTRAINTS_FILE]


def _sample(features: np.ndarray) -> np.ndarray:
    if features.shape[0] <= MAX_ROWS:
        return features
    keep = np.sort(np.random.default_rng(SEED).choice(features.shape[0], MAX_ROWS, replace=False))
    return np.ascontiguousarray(features[keep])
