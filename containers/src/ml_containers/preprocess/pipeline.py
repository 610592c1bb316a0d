"""The preprocessing job in two streaming passes, so memory stays flat however large the input.

Pass 1 reads every input CSV in chunks of text, validates each row, drops duplicates, decides
each accepted row's split, writes rejected rows to the quarantine file, appends accepted rows
(trimmed text) to a temporary Arrow file per split and feeds training rows to the transform
fitter. Between the passes the job may fail (rejection rate over the threshold, an empty split,
a single class in training) with the report already written. Pass 2 reads the temporary files
back in chunks, applies the now fitted transform and writes the final label-first CSVs plus the
raw batch-transform input of the test split.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from ..csvio import (
    CsvFormatError,
    MalformedRow,
    csv_field,
    csv_lines,
    iter_text_chunks,
    read_header,
    write_lines,
)
from ..schema import DatasetSchema
from ..transform import FittedTransform, TransformFitter
from ..validation import ValidatedChunk, reason_message, validate_chunk
from .dedupe import SeenHashes, mark_duplicates, row_hashes
from .errors import PreprocessError
from .inputs import check_header, find_input_files, read_schema
from .parts import PartWriter, part_names
from .split import SPLIT_NAMES, TEST, TRAIN, VALIDATION, StratifiedSplitter, assign_splits

# The fitter sees training rows in blocks of this size whatever --chunk-rows is, so its
# floating-point sums and its reservoir sample (and so every output byte) do not depend on it.
FIT_BLOCK_ROWS = 8_192
_FIRST_REASONS = 3
_MALFORMED_TEXT_CHARS = 80


@dataclass(frozen=True)
class PreprocessConfig:
    """Everything one run needs; the CLI fills it from arguments and SageMaker's paths."""

    input_dir: Path
    schema_dir: Path
    output_dir: Path
    rejection_threshold: float = 0.05
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 42
    chunk_rows: int = 100_000
    work_dir: Path | None = None
    train_parts: int = 1  # files the train split is written as (one per training host)


class _FitFeeder:
    """Re-blocks training rows into fixed-size batches for the transform fitter."""

    def __init__(self, fitter: TransformFitter, block_rows: int = FIT_BLOCK_ROWS) -> None:
        self.fitter = fitter
        self.block_rows = block_rows
        self._pending: list[dict[str, Any]] = []
        self._rows = 0

    def add(self, columns: dict[str, Any], rows: int) -> None:
        if rows == 0:
            return
        self._pending.append(columns)
        self._rows += rows
        while self._rows >= self.block_rows:
            merged = self._merge()
            self._feed(_slice_columns(merged, 0, self.block_rows))
            self._pending = [_slice_columns(merged, self.block_rows, self._rows)]
            self._rows -= self.block_rows

    def finish(self) -> FittedTransform:
        if self._rows:
            self._feed(self._merge())
        self._pending, self._rows = [], 0
        return self.fitter.finish()

    def _merge(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for name in self._pending[0]:
            parts = [batch[name] for batch in self._pending]
            if isinstance(parts[0], np.ndarray):
                merged[name] = np.concatenate(parts)
            else:
                merged[name] = pa.concat_arrays(parts)
        return merged

    def _feed(self, columns: dict[str, Any]) -> None:
        self.fitter.update(columns)


def _slice_columns(columns: dict[str, Any], start: int, stop: int) -> dict[str, Any]:
    return {
        name: values[start:stop]
        if isinstance(values, np.ndarray)
        else values.slice(start, stop - start)
        for name, values in columns.items()
    }


class _Report:
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
        if failure is not None:
            data["failure"] = failure
        return data


class _Quarantine:
    """Rejected rows with their original values, where they came from and why."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.columns = columns
        self.handle: IO[bytes] = path.open("wb")
        header = ["source_file", "row", *columns, "reason"]
        write_lines(self.handle, csv_lines([pa.array([name]) for name in header]))

    def write_rows(
        self, source: str, row_numbers: np.ndarray, table: pa.Table, reasons: pa.Array
    ) -> None:
        if not len(row_numbers):
            return
        count = len(row_numbers)
        values = [table.column(name).combine_chunks() for name in self.columns]
        write_lines(
            self.handle,
            csv_lines(
                [
                    pa.array([source] * count, type=pa.string()),
                    pa.array(row_numbers.astype(str), type=pa.string()),
                    *values,
                    reasons,
                ]
            ),
        )

    def write_malformed(self, source: str, rows: list[MalformedRow]) -> None:
        empty = [""] * len(self.columns)
        for row in rows:
            text = row.text[:_MALFORMED_TEXT_CHARS]
            if len(row.text) > _MALFORMED_TEXT_CHARS:
                text += "..."
            where = f"line {row.line}" if row.line is not None else "a line"
            reason = (
                f"malformed row: {where} has {row.actual_fields} fields, the header has "
                f"{row.expected_fields}: {text!r}"
            )
            fields = [source, "", *empty, reason]
            write_lines(self.handle, csv_lines([pa.array([f]) for f in fields]))

    def close(self) -> None:
        self.handle.close()


class _SplitSpool:
    """Accepted rows of one split as trimmed text in a temporary Arrow stream."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.schema = pa.schema([(name, pa.string()) for name in columns])
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pa.ipc.new_stream(self.sink, self.schema)

    def write(self, text: dict[str, pa.Array], mask: np.ndarray) -> None:
        selector = pa.array(mask, type=pa.bool_())
        arrays = [text[name].filter(selector) for name in self.schema.names]
        self.writer.write_batch(pa.record_batch(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()
        self.sink.close()

    def batches(self) -> Iterator[pa.Table]:
        with pa.OSFile(str(self.path), "rb") as source:
            reader = pa.ipc.open_stream(source)
            for batch in reader:
                yield pa.Table.from_batches([batch])


def run_preprocess(config: PreprocessConfig) -> dict[str, Any]:
    """Run the whole job; returns the report. Raises :class:`PreprocessError` on bad input
    (after writing ``report/report.json`` when rows were read)."""
    if config.chunk_rows < 1:
        raise PreprocessError("--chunk-rows must be at least 1")
    schema = read_schema(config.schema_dir)
    files = find_input_files(config.input_dir)
    headers = {}
    for path in files:
        header = read_header_checked(path)
        check_header(header, schema, source=str(path.relative_to(config.input_dir)))
        headers[path] = header
    out = config.output_dir
    for name in ("train", "validation", "test", "transform", "batch", "report"):
        (out / name).mkdir(parents=True, exist_ok=True)
    report = _Report(schema, config)
    with tempfile.TemporaryDirectory(prefix="preprocess-", dir=config.work_dir) as work:
        spools = [
            _SplitSpool(Path(work) / f"{n}.arrows", schema.required_columns()) for n in SPLIT_NAMES
        ]
        fitter = _FitFeeder(TransformFitter(schema, seed=config.seed))
        quarantine = _Quarantine(out / "report" / "quarantine.csv", schema.required_columns())
        try:
            _first_pass(config, schema, files, headers, report, spools, fitter, quarantine)
        finally:
            quarantine.close()
            for spool in spools:
                spool.close()
        failure = _check_after_first_pass(report, config, schema)
        if failure:
            _write_report(out, report.to_dict("failed", failure=failure))
            raise PreprocessError(failure)
        transform = fitter.finish()
        transform.save(out / "transform")
        schema.dump(out / "transform" / "schema.json")
        paths = [out / "train" / name for name in part_names(config.train_parts)]
        _second_pass(schema, transform, spools, out, PartWriter(paths, int(report.splits[TRAIN])))
    result = report.to_dict("succeeded", transform=transform)
    _write_report(out, result)
    return result


def read_header_checked(path: Path) -> list[str]:
    try:
        return read_header(path)
    except CsvFormatError as exc:
        raise PreprocessError(str(exc)) from None


def _first_pass(
    config: PreprocessConfig,
    schema: DatasetSchema,
    files: list[Path],
    headers: dict[Path, list[str]],
    report: _Report,
    spools: list[_SplitSpool],
    fitter: _FitFeeder,
    quarantine: _Quarantine,
) -> None:
    columns = schema.required_columns()
    key_columns = schema.id_columns or columns
    seen = SeenHashes()
    splitter = _make_splitter(config, schema)
    global_row = 0
    for path in files:
        source = str(path.relative_to(config.input_dir))
        malformed: list[MalformedRow] = []
        file_rows = 0
        chunks = iter_text_chunks(path, headers[path], columns, config.chunk_rows, malformed.append)
        try:
            for table in chunks:
                rows = table.num_rows
                checked = validate_chunk(table, schema)
                _reject_duplicates(checked, schema, key_columns, seen)
                splits = splitter(checked, np.arange(global_row, global_row + rows))
                _route_chunk(checked, splits, spools, fitter, report)
                rejected = ~checked.accepted
                if rejected.any():
                    row_numbers = file_rows + 1 + np.nonzero(rejected)[0]
                    reasons = checked.problems.filter(pa.array(rejected))
                    quarantine.write_rows(
                        source, row_numbers, table.filter(pa.array(rejected)), reasons
                    )
                report.rows_in += rows
                report.rows_rejected += checked.rejected
                report.rows_accepted += rows - checked.rejected
                report.reasons.update(checked.reason_counts)
                global_row += rows
                file_rows += rows
                _flush_malformed(malformed, source, quarantine, report)
        except CsvFormatError as exc:
            raise PreprocessError(str(exc)) from None
        _flush_malformed(malformed, source, quarantine, report)
        report.files.append({"file": source, "rows": file_rows})
    report.distinct_keys = len(seen)
    report.dedupe_bytes = seen.nbytes
    report.check_invariant()


def _make_splitter(
    config: PreprocessConfig, schema: DatasetSchema
) -> Callable[[ValidatedChunk, np.ndarray], np.ndarray]:
    """Split codes per chunk row (-1 for rejected rows): stratified by class for
    classification, by row index for regression (see :mod:`.split`)."""
    fractions = (config.validation_fraction, config.test_fraction)
    if schema.problem_type.is_classification:
        stratified = StratifiedSplitter(schema.num_classes, config.seed, *fractions)

        def by_class(checked: ValidatedChunk, row_indices: np.ndarray) -> np.ndarray:
            codes = np.full(checked.rows, -1, dtype=np.int8)
            codes[checked.accepted] = stratified.assign(checked.labels[checked.accepted])
            return codes

        return by_class

    def by_row(checked: ValidatedChunk, row_indices: np.ndarray) -> np.ndarray:
        return assign_splits(row_indices, config.seed, *fractions)

    return by_row


def _flush_malformed(
    malformed: list[MalformedRow], source: str, quarantine: _Quarantine, report: _Report
) -> None:
    if not malformed:
        return
    quarantine.write_malformed(source, malformed)
    report.rows_in += len(malformed)
    report.rows_rejected += len(malformed)
    report.reasons["malformed row"] += len(malformed)
    malformed.clear()


def _reject_duplicates(
    checked: ValidatedChunk, schema: DatasetSchema, key_columns: list[str], seen: SeenHashes
) -> None:
    accepted_rows = np.nonzero(checked.accepted)[0]
    if accepted_rows.size == 0:
        return
    selector = pa.array(checked.accepted)
    keys = [checked.text[name].filter(selector) for name in key_columns]
    duplicate_among_accepted = mark_duplicates(row_hashes(keys), seen)
    duplicate = np.zeros(checked.rows, dtype=bool)
    duplicate[accepted_rows[duplicate_among_accepted]] = True
    if not duplicate.any():
        return
    if schema.id_columns:
        ids = csv_lines([checked.text[name] for name in schema.id_columns])
        label = ", ".join(schema.id_columns)
        messages = reason_message(
            f"{label}: duplicate ID ", ids, " (an earlier row has it; kept the first)"
        )
        checked.add_problem(duplicate, f"{label}: duplicate id", messages)
    else:
        message = "duplicate row: identical to an earlier row (kept the first)"
        checked.add_problem(duplicate, "duplicate row", pa.array([message] * checked.rows))


def _route_chunk(
    checked: ValidatedChunk,
    splits: np.ndarray,
    spools: list[_SplitSpool],
    fitter: _FitFeeder,
    report: _Report,
) -> None:
    for code in (TRAIN, VALIDATION, TEST):
        mask = checked.accepted & (splits == code)
        count = int(mask.sum())
        if not count:
            continue
        spools[code].write(checked.text, mask)
        report.splits[code] += count
        if report.schema.problem_type.is_classification:
            report.class_counts[code] += np.bincount(
                checked.labels[mask], minlength=report.schema.num_classes
            )
        if code == TRAIN:
            fitter.add(checked.feature_columns(mask), count)


def _check_after_first_pass(
    report: _Report, config: PreprocessConfig, schema: DatasetSchema
) -> str | None:
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
            "See report/quarantine.csv for every rejected row, fix the data or the schema, or "
            "raise the threshold."
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


def _second_pass(
    schema: DatasetSchema,
    transform: FittedTransform,
    spools: list[_SplitSpool],
    out: Path,
    train_parts: PartWriter,
) -> None:
    """Transform each split's rows into its label-first CSV (train: into its part files)."""
    raw_columns = [*schema.id_columns, *schema.feature_names]
    batch_handle = (out / "batch" / "batch.csv").open("wb")
    labels_handle = (out / "batch" / "labels.csv").open("wb")
    try:
        for code in (TRAIN, VALIDATION, TEST):
            name = SPLIT_NAMES[code]
            sink = train_parts if code == TRAIN else PartWriter([out / name / f"{name}.csv"], 0)
            for table in spools[code].batches():
                checked = validate_chunk(table, schema)
                if checked.rejected:
                    raise RuntimeError("a row accepted in pass 1 failed validation in pass 2")
                features = transform.apply_columns(checked.feature_columns(), checked.rows)
                sink.write(_label_first_table(schema, checked.labels, features))
                if code == TEST:
                    write_lines(batch_handle, csv_lines([checked.text[c] for c in raw_columns]))
                    write_lines(labels_handle, csv_field(checked.text[schema.target.name]))
            sink.close()
    finally:
        batch_handle.close()
        labels_handle.close()


def _label_first_table(schema: DatasetSchema, labels: np.ndarray, features: np.ndarray) -> pa.Table:
    if schema.problem_type.is_classification:
        label = pa.array(labels.astype(np.int32))
    else:
        label = pa.array(labels.astype(np.float64))
    columns = np.ascontiguousarray(features.T)
    arrays = [label, *(pa.array(columns[i]) for i in range(columns.shape[0]))]
    names = ["label", *(f"f{i}" for i in range(columns.shape[0]))]
    return pa.Table.from_arrays(arrays, names=names)


def _write_report(out: Path, report: dict[str, Any]) -> None:
    path = out / "report" / "report.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
