"""The fitted feature transform: imputation, scaling and one-hot encoding, fitted on the training
split only and applied identically in training, evaluation and serving.

It is persisted as plain JSON (never pickle), so a model artifact can be loaded from untrusted
storage without executing anything, and it is applied with numpy alone so single-row serving
stays cheap. Fitting streams: memory is bounded whatever the number of training rows (medians
come from a fixed-size seeded sample), and fitters on several hosts merge exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .bottom_k import BottomK
from .mixing import mix64
from .schema import ColumnType, DatasetSchema

TRANSFORM_FILE = "transform.json"
FORMAT_VERSION = 1
RESERVOIR_SIZE = 100_000


class NumericStats:
    """Count, sum and sum of squares of one numeric column per input file, added up in file order
    at the end, so hosts holding different files add them exactly as one host would."""

    def __init__(self) -> None:
        self.count = 0  # the current file's
        self.total = 0.0
        self.total_sq = 0.0
        self.files: dict[int, tuple[int, float, float]] = {}

    def update(self, values: np.ndarray) -> None:
        values = values[~np.isnan(values)]
        if values.size == 0:
            return
        self.count += values.size
        self.total += float(values.sum())
        self.total_sq += float(np.square(values).sum())

    def end_file(self, index: int) -> None:
        if self.count:
            self.files[index] = (self.count, self.total, self.total_sq)
        self.count, self.total, self.total_sq = 0, 0.0, 0.0

    def result(self, sampled: np.ndarray) -> dict[str, float]:
        """The column's impute value (the median of its ``sampled`` values), mean and scale."""
        count, total, total_sq = 0, 0.0, 0.0
        for index in sorted(self.files):  # file order, whichever host read which file
            file_count, file_total, file_total_sq = self.files[index]
            count += file_count
            total += file_total
            total_sq += file_total_sq
        if count == 0:
            return {"impute": 0.0, "mean": 0.0, "scale": 1.0}
        mean = total / count
        variance = max(total_sq / count - mean * mean, 0.0)
        std = float(np.sqrt(variance))
        present = sampled[~np.isnan(sampled)]
        return {
            # the sample's rows may hold none of a sparse column's values: its mean stands in
            "impute": float(np.median(present)) if present.size else float(mean),
            "mean": float(mean),
            "scale": std if std > 1e-12 else 1.0,
        }


class TransformFitter:
    """Accumulates training rows batch by batch, then yields a :class:`FittedTransform`.

    Rows come with a priority each (distinct per row; preprocess mixes the row's key hash with the
    seed) that decides which rows the medians are taken from (one sample of whole rows, so one
    priority serves every numeric column), and are grouped by input file (:meth:`end_file`), so
    fitters on several hosts can be merged (:meth:`absorb`) into exactly the fit one host makes.
    Without priorities a row's position among the rows fed so far stands in for its key.
    """

    def __init__(self, schema: DatasetSchema, seed: int = 0) -> None:
        self.schema = schema
        self.seed = seed
        self._numeric = {
            c.name: NumericStats() for c in schema.features if c.type is not ColumnType.CATEGORICAL
        }
        self._sample = BottomK(RESERVOIR_SIZE, width=len(self._numeric))
        self._counts = {
            c.name: np.zeros(len(c.categories or []), dtype=np.int64)
            for c in schema.features
            if c.type is ColumnType.CATEGORICAL
        }
        self.rows = 0
        self._last_file = -1

    def update(self, columns: Mapping[str, Any], priorities: np.ndarray | None = None) -> None:
        """Add a batch of validated training rows: numeric columns as float arrays (NaN = missing),
        categorical columns as arrays/lists of strings (None = missing)."""
        sizes = set()
        numbers = []
        for name, stats in self._numeric.items():
            values = np.asarray(columns[name], dtype=np.float64)
            stats.update(values)
            numbers.append(values)
            sizes.add(values.size)
        if numbers:
            if priorities is None:
                positions = np.arange(self.rows, self.rows + numbers[0].size, dtype=np.uint64)
                priorities = mix64(positions, self.seed)
            self._sample.add(priorities, np.column_stack(numbers))
        for column in self.schema.features:
            if column.type is ColumnType.CATEGORICAL:
                codes = category_codes(columns[column.name], column.categories or [])
                sizes.add(codes.size)
                valid = codes[codes >= 0]
                self._counts[column.name] += np.bincount(
                    valid, minlength=len(column.categories or [])
                )
        self.rows += max(sizes) if sizes else 0

    def end_file(self, index: int) -> None:
        """The rows fed since the last call came from input file ``index`` (global file order)."""
        for stats in self._numeric.values():
            stats.end_file(index)
        self._last_file = max(self._last_file, index)

    def absorb(self, other: TransformFitter) -> None:
        """Merge another host's fitter (it read other files); the result does not depend on the
        order hosts are absorbed in."""
        for name, stats in self._numeric.items():
            stats.files.update(other._numeric[name].files)
        self._sample.merge(other._sample)
        for name, counts in self._counts.items():
            counts += other._counts[name]
        self.rows += other.rows
        self._last_file = max(self._last_file, other._last_file)

    def finish(self) -> FittedTransform:
        self.end_file(self._last_file + 1)  # rows fed without end_file form a last file
        sampled = self._sample.values()
        position = {name: j for j, name in enumerate(self._numeric)}
        columns: list[dict[str, Any]] = []
        for column in self.schema.features:
            if column.type is ColumnType.CATEGORICAL:
                categories = list(column.categories or [])
                counts = self._counts[column.name]
                columns.append(
                    {
                        "name": column.name,
                        "kind": "categorical",
                        "categories": categories,
                        "impute": categories[int(np.argmax(counts))]
                        if counts.sum()
                        else categories[0],
                    }
                )
            else:
                columns.append(
                    {
                        "name": column.name,
                        "kind": "numeric",
                        **self._numeric[column.name].result(sampled[:, position[column.name]]),
                    }
                )
        return FittedTransform(columns=columns, fitted_rows=self.rows)


def category_codes(values: Any, categories: list[str]) -> np.ndarray:
    """Index of each value in ``categories``; -1 for missing or unknown values."""
    array = (
        values
        if isinstance(values, pa.Array | pa.ChunkedArray)
        else pa.array([None if v is None else str(v) for v in values], type=pa.string())
    )
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    codes = pc.index_in(array, value_set=pa.array(categories, type=pa.string()))
    return np.asarray(codes.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


class FittedTransform:
    """Applies the fitted imputation, scaling and encoding; serializes to JSON."""

    def __init__(self, columns: list[dict[str, Any]], fitted_rows: int = 0) -> None:
        self.columns = columns
        self.fitted_rows = fitted_rows
        self.output_names: list[str] = []
        for column in columns:
            if column["kind"] == "categorical":
                self.output_names += [f"{column['name']}={c}" for c in column["categories"]]
            else:
                self.output_names.append(column["name"])
        self.numeric_only = all(c["kind"] == "numeric" for c in columns)
        numeric = [c for c in columns if c["kind"] == "numeric"]
        self._impute = np.array([c["impute"] for c in numeric], dtype=np.float64)
        self._mean = np.array([c["mean"] for c in numeric], dtype=np.float64)
        self._scale = np.array([c["scale"] for c in numeric], dtype=np.float64)

    @property
    def input_names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    def apply_numeric_matrix(self, raw: np.ndarray) -> np.ndarray:
        """Fast path for all-numeric schemas: ``raw`` is (rows, features) float, NaN = missing."""
        if not self.numeric_only:
            raise ValueError("apply_numeric_matrix needs an all-numeric schema; use apply_columns")
        raw = np.asarray(raw, dtype=np.float64)
        filled = np.where(np.isnan(raw), self._impute, raw)
        return ((filled - self._mean) / self._scale).astype(np.float32)

    def apply_columns(self, columns: Mapping[str, Any], rows: int) -> np.ndarray:
        """General path: numeric columns as floats (NaN = missing), categorical as strings
        (None = missing; unknown categories encode as all zeros)."""
        out = np.zeros((rows, self.n_outputs), dtype=np.float32)
        at = 0
        for column in self.columns:
            values = columns[column["name"]]
            if column["kind"] == "numeric":
                x = np.asarray(values, dtype=np.float64)
                x = np.where(np.isnan(x), column["impute"], x)
                out[:, at] = (x - column["mean"]) / column["scale"]
                at += 1
            else:
                categories = column["categories"]
                array = (
                    values
                    if isinstance(values, pa.Array | pa.ChunkedArray)
                    else pa.array([None if v is None else str(v) for v in values], type=pa.string())
                )
                array = pc.fill_null(array, column["impute"])
                codes = category_codes(array, categories)
                known = codes >= 0
                out[np.nonzero(known)[0], at + codes[known]] = 1.0
                at += len(categories)
        return out

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "fitted_rows": self.fitted_rows,
            "columns": self.columns,
        }

    def save(self, directory: Path) -> Path:
        path = Path(directory) / TRANSFORM_FILE
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedTransform:
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported transform format_version {data.get('format_version')!r}")
        return cls(columns=list(data["columns"]), fitted_rows=int(data.get("fitted_rows", 0)))

    @classmethod
    def load(cls, directory_or_file: Path) -> FittedTransform:
        path = Path(directory_or_file)
        if path.is_dir():
            path = path / TRANSFORM_FILE
        return cls.from_dict(json.loads(path.read_text()))
