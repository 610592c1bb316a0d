"""The job's counts (``report/report.json``) and the checks they must pass before outputs are
written. On several hosts each host counts what it read and the counts are added up
(:meth:`Report.absorb`), so every host holds, checks and writes the same report."""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from ..schema import DatasetSchema
from .parts import quarantine_files
from .split import SPLIT_NAMES, TRAIN

if TYPE_CHECKING:
    from .pipeline import PreprocessConfig

_FIRST_REASONS = 3


class Report:
    """Counts that end up in ``report/report.json``."""

    def __init__(self, schema: DatasetSchema, config: PreprocessConfig) -> None:
        self.schema = schema
        self.config = config
        self.rows_in = 0
        self.rows_accepted = 0
        self.rows_rejected = 0
        self.reasons: Counter[str] = Counter()
        self.files: list[dict[str, Any]] = []
        self.splits = np.zeros(3, dtype=np.int64)
        self.class_counts = np.zeros((3, max(schema.num_classes, 1)), dtype=np.int64)
        self.distinct_keys = 0
        self.dedupe_bytes = 0
        self.hosts = 1

    def absorb(self, other: Report) -> None:
        """Add another host's counts (it read other files); ``dedupe_bytes`` is per host, so the
        largest is kept. Files stay in global order."""
        self.rows_in += other.rows_in
        self.rows_accepted += other.rows_accepted
        self.rows_rejected += other.rows_rejected
        self.reasons.update(other.reasons)
        self.files = sorted([*self.files, *other.files], key=lambda f: PurePosixPath(f["file"]))
        self.splits += other.splits
        self.class_counts += other.class_counts
        self.distinct_keys += other.distinct_keys
        self.dedupe_bytes = max(self.dedupe_bytes, other.dedupe_bytes)
        self.hosts += other.hosts

    def reject_duplicates(self, code: str, count: int) -> None:
        """Rows counted as accepted (and as first of their key) by their host's scan that an
        earlier host's row duplicates."""
        self.rows_accepted -= count
        self.rows_rejected += count
        self.reasons[code] += count
        self.distinct_keys -= count

    def check_invariant(self) -> None:
        if self.rows_in != self.rows_accepted + self.rows_rejected:
            raise RuntimeError(
                f"row accounting broken: rows_in {self.rows_in} != accepted "
                f"{self.rows_accepted} + rejected {self.rows_rejected}"
            )
        if int(self.splits.sum()) != self.rows_accepted:
            raise RuntimeError("row accounting broken: split counts do not add up to accepted")

    @property
    def rejection_rate(self) -> float:
        return self.rows_rejected / self.rows_in if self.rows_in else 0.0

    def first_reasons(self) -> str:
        top = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))[:_FIRST_REASONS]
        return ", ".join(f"{code} ({count})" for code, count in top) or "none"

    def to_dict(self, status: str, failure: str | None = None, transform: Any = None) -> dict:
        schema, config = self.schema, self.config
        data: dict[str, Any] = {
            "status": status,
            "schema": schema.name,
            "problem_type": schema.problem_type.value,
            "seed": config.seed,
            "validation_fraction": config.validation_fraction,
            "test_fraction": config.test_fraction,
            "rejection_threshold": config.rejection_threshold,
            "input_files": self.files,
            "rows_in": self.rows_in,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "rejection_rate": round(self.rejection_rate, 6),
            "reasons": dict(sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))),
            "splits": {name: int(n) for name, n in zip(SPLIT_NAMES, self.splits, strict=True)},
            "duplicate_check": {
                "key": "id_columns" if schema.id_columns else "all schema columns",
                "distinct_keys": self.distinct_keys,
                "hash_memory_bytes": self.dedupe_bytes,
            },
        }
        if schema.problem_type.is_classification:
            data["class_counts"] = {
                name: dict(zip(schema.classes, (int(c) for c in counts), strict=True))
                for name, counts in zip(SPLIT_NAMES, self.class_counts, strict=True)
            }
        if transform is not None:
            data["transform"] = {
                "fitted_rows": transform.fitted_rows,
                "input_columns": len(transform.input_names),
                "output_features": transform.n_outputs,
            }
        if self.hosts > 1:
            data["hosts"] = self.hosts
        if failure is not None:
            data["failure"] = failure
        return data


def check_after_scan(report: Report, config: PreprocessConfig, schema: DatasetSchema) -> str | None:
    """The reason the job cannot go on, or None."""
    if report.rows_in == 0:
        return (
            "the input CSV files have a header but no data rows; provide at least a few hundred "
            "rows so that train, validation and test splits are not empty"
        )
    if report.rejection_rate > config.rejection_threshold:
        return (
            f"{report.rows_rejected} of {report.rows_in} rows were rejected "
            f"({report.rejection_rate:.2%}), above --rejection-threshold "
            f"{config.rejection_threshold:g}; most frequent reasons: {report.first_reasons()}. "
            f"See {quarantine_files(report.hosts)} for every rejected row, fix the data or the "
            "schema, or raise the threshold."
        )
    empty = [name for name, n in zip(SPLIT_NAMES, report.splits, strict=True) if n == 0]
    if empty:
        return (
            f"the {', '.join(empty)} split(s) are empty: {report.rows_accepted} accepted rows are "
            f"too few for validation fraction {config.validation_fraction:g} and test fraction "
            f"{config.test_fraction:g}; provide more rows or change the fractions"
        )
    if schema.problem_type.is_classification:
        present = [
            cls for cls, n in zip(schema.classes, report.class_counts[TRAIN], strict=True) if n
        ]
        if len(present) < 2:
            return (
                f"the training split has a single class ({present[0]!r}, "
                f"{report.splits[TRAIN]} rows) in target {schema.target.name!r}; a classifier "
                "needs at least two classes: check the target column, the schema's classes and "
                "the data"
            )
    return None
