"""Read the transformed, label-first, header-less CSVs that ``preprocess`` writes.

This is SageMaker's built-in XGBoost CSV convention, shared by ``train`` (train and validation
channels) and ``evaluate`` (the test split). It must be fast at millions of rows, so parsing is
pyarrow's multithreaded CSV reader with the column types fixed up front, and the feature matrix is
filled column by column with numpy: no pandas, no Python loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..schema import DatasetSchema, ProblemType
from .failure import JobFailure


@dataclass(frozen=True)
class LabeledData:
    """Features (rows, columns) as float32, C-contiguous (what XGBoost copies least), and labels."""

    features: np.ndarray
    labels: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.labels.shape[0])


def data_files(directory: Path) -> list[Path]:
    """The data files of a channel directory: every visible regular file, in name order."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))


def read_labeled_csv(
    files: list[Path], n_features: int, what: str, allow_empty: bool = False
) -> LabeledData:
    """Read and concatenate ``files``; each row is ``label,feature_1,...,feature_n``.

    ``allow_empty``: no rows at all gives empty data instead of failing (one host's shard).

    ``what`` names the data in errors ("the train channel"). A wrong column count, a value that is
    not a number, or no rows at all is a :class:`JobFailure` saying which file and what to fix.
    """
    tables = [_read_one(path, n_features, what) for path in files]
    tables = [t for t in tables if t.num_rows]
    if not tables and allow_empty:
        return LabeledData(
            features=np.empty((0, n_features), dtype=np.float32),
            labels=np.empty(0, dtype=np.float64),
        )
    if not tables:
        names = ", ".join(p.name for p in files) or "no files"
        raise JobFailure(
            f"{what} has no data rows ({names}); point it at the split preprocess wrote"
        )
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    labels = np.asarray(table.column(0).to_numpy(), dtype=np.float64)
    features = np.empty((table.num_rows, n_features), dtype=np.float32)
    for j in range(n_features):
        at = 0
        for chunk in table.column(j + 1).chunks:
            size = len(chunk)
            features[at : at + size, j] = chunk.to_numpy(zero_copy_only=False)
            at += size
    return LabeledData(features=features, labels=labels)


def _read_one(path: Path, n_features: int, what: str) -> pa.Table:
    width = _first_row_width(path, what)
    if width is None:
        return pa.table({})
    if width != n_features + 1:
        raise JobFailure(
            f"{what}: {path.name} has {width} columns per row but the fitted transform produces "
            f"{n_features} features, so each row must have {n_features + 1} columns (the label "
            "first, then the features); train, validation and test must come from the same "
            "preprocess run as transform.json"
        )
    names = [f"c{i}" for i in range(width)]
    types = {name: pa.float32() for name in names[1:]}
    types[names[0]] = pa.float64()
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, block_size=16 << 20),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        detail = str(exc).replace("In CSV column #0", "In the label column")
        raise JobFailure(
            f"{what}: {path.name} is not a numeric label-first CSV without a header ({detail}); "
            "every value must be a number (empty means missing) and every row must have "
            f"{width} columns"
        ) from None


def _first_row_width(path: Path, what: str) -> int | None:
    """Columns per row, from the first block only; None for an empty file. pyarrow's streaming
    reader handles quoting and .gz/.bz2 the same way the full read does."""
    try:
        reader = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(autogenerate_column_names=True)
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV" in str(exc):
            return None
        raise JobFailure(f"{what}: cannot parse {path.name} as CSV ({exc})") from None
    return len(reader.schema)


def check_labels(labels: np.ndarray, schema: DatasetSchema, what: str) -> None:
    """Labels must be present and finite; classification labels are class indices 0..K-1."""
    missing = ~np.isfinite(labels)
    if missing.any():
        row = int(np.argmax(missing)) + 1
        raise JobFailure(
            f"{what}: {int(missing.sum())} rows have a missing or non-finite label (first at row "
            f"{row}); preprocess rejects rows without a target, so re-run it on the raw data"
        )
    if schema.problem_type is ProblemType.REGRESSION:
        return
    k = schema.num_classes
    bad = (labels < 0) | (labels > k - 1) | (labels != np.floor(labels))
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise JobFailure(
            f"{what}: label {labels[row - 1]:g} at row {row} is out of range: "
            f"{schema.problem_type.value} with classes {schema.classes} needs class indices "
            f"0..{k - 1} in the first column ({int(bad.sum())} rows affected)"
        )


def check_binary_classes_present(labels: np.ndarray, schema: DatasetSchema, what: str) -> None:
    """AUC (the binary tuning metric) needs both classes in a split; say so before training
    rather than after rounds of an undefined metric."""
    if schema.problem_type is not ProblemType.BINARY:
        return
    present = set(np.unique(labels).astype(int).tolist())
    if present != {0, 1}:
        only = schema.classes[present.pop()] if present else "none"
        raise JobFailure(
            f"{what} holds a single class ({only!r}), so AUC (the tuning metric) is undefined and "
            f"the model could not learn to separate the classes; it needs rows of both "
            f"{schema.classes}"
        )
