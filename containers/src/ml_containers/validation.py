"""Row validation against a dataset schema, vectorized over a chunk of text columns.

Every cell arrives as text (see :mod:`ml_containers.csvio`), so parsing and checking happen
here, per column and per row: a bad value marks its row rejected with a reason naming the column
and the problem, and the rest of the chunk goes on. The same function parses already-clean rows
(preprocessing's second pass), so "what a valid value is" is decided in exactly one place.

Missing values: an empty cell, or one of :data:`MISSING_TOKENS` (what spreadsheets and pandas
write for "no value"), unless a categorical column lists that token as a category.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import Column, ColumnType, DatasetSchema

MISSING_TOKENS = ("", "NA", "N/A", "na", "n/a", "NaN", "nan", "null", "NULL", "None", "none")
# A plain decimal number: what CSV exporters write. Hex, digit separators, "inf" and "nan" fail.
NUMBER_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_SHOWN_VALUE_CHARS = 40


@dataclass
class ValidatedChunk:
    """One chunk's verdict and parsed values.

    ``problems`` holds one reason string per row (null for accepted rows); ``reason_counts``
    counts problems by code (``"<column>: <problem>"``), so a row with two bad cells counts
    twice there but once in ``rejected``. ``text`` holds each schema column trimmed, with missing
    values as nulls: what the raw outputs (batch file, labels, quarantine) write.
    """

    rows: int
    problems: pa.Array
    reason_counts: Counter[str]
    numeric: dict[str, np.ndarray]
    categorical: dict[str, pa.Array]
    labels: np.ndarray
    text: dict[str, pa.Array]
    accepted: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.accepted = np.asarray(pc.is_null(self.problems).to_numpy(zero_copy_only=False))

    @property
    def rejected(self) -> int:
        return int(self.rows - self.accepted.sum())

    def feature_columns(self, mask: np.ndarray | None = None) -> dict[str, object]:
        """Features in the shape :class:`~ml_containers.transform.TransformFitter` and
        :meth:`~ml_containers.transform.FittedTransform.apply_columns` take, optionally
        restricted to the rows in ``mask``."""
        columns: dict[str, object] = {}
        selector = None if mask is None else pa.array(mask, type=pa.bool_())
        for name, values in self.numeric.items():
            columns[name] = values if mask is None else values[mask]
        for name, array in self.categorical.items():
            columns[name] = array if selector is None else array.filter(selector)
        return columns

    def add_problem(self, mask: np.ndarray, code: str, messages: pa.Array) -> None:
        """Reject the rows in ``mask`` with per-row ``messages`` (used for checks that need state
        across chunks, such as duplicates)."""
        count = int(mask.sum())
        if not count:
            return
        self.reason_counts[code] += count
        self.problems = _append_problem(self.problems, mask, messages)
        self.accepted = np.asarray(pc.is_null(self.problems).to_numpy(zero_copy_only=False))


class _Problems:
    """Collects per-row problem messages for one chunk."""

    def __init__(self, rows: int) -> None:
        self.messages: pa.Array = pa.nulls(rows, type=pa.string())
        self.counts: Counter[str] = Counter()

    def flag(self, mask: np.ndarray, code: str, detail: Callable[[], pa.Array] | str) -> None:
        """Reject the rows in ``mask``; ``detail`` is the message, or builds the per-row messages
        (only called when some row failed, since formatting costs more than checking)."""
        count = int(mask.sum())
        if not count:
            return
        self.counts[code] += count
        self.messages = _append_problem(
            self.messages, mask, detail if isinstance(detail, str) else detail()
        )


def _append_problem(messages: pa.Array, mask: np.ndarray, detail: pa.Array | str) -> pa.Array:
    selector = pa.array(mask, type=pa.bool_())
    detail_array = (
        pa.array([detail] * len(mask), type=pa.string()) if isinstance(detail, str) else detail
    )
    new = pc.if_else(selector, detail_array, pa.scalar(None, pa.string()))
    joined = pc.binary_join_element_wise(messages, new, "; ")
    merged = pc.if_else(pc.is_null(messages), new, pc.if_else(pc.is_null(new), messages, joined))
    return merged


def _shown(values: pa.Array) -> pa.Array:
    """Values quoted and shortened for a reason message."""
    short = pc.utf8_slice_codeunits(values, 0, _SHOWN_VALUE_CHARS)
    return pc.binary_join_element_wise("'", short, "'", "")


def reason_message(prefix: str, values: pa.Array, suffix: str = "") -> pa.Array:
    """Per-row reason text: ``prefix`` + the value quoted and shortened + ``suffix``."""
    return pc.binary_join_element_wise(prefix, _shown(values), suffix, "")


def _bool(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _missing_mask(values: pa.Array, tokens: tuple[str, ...]) -> np.ndarray:
    return _bool(pc.is_in(values, value_set=pa.array(tokens, type=pa.string())))


def _parse_numbers(
    name: str, values: pa.Array, problems: _Problems, what: str = "value"
) -> tuple[np.ndarray, np.ndarray]:
    """Parse trimmed text to float64 (NaN where missing or bad); returns (numbers, missing)."""
    missing = _missing_mask(values, MISSING_TOKENS)
    looks_numeric = _bool(pc.match_substring_regex(values, NUMBER_PATTERN))
    bad = ~missing & ~looks_numeric
    problems.flag(
        bad,
        f"{name}: not a number",
        lambda: reason_message(f"{name}: {what} ", values, " is not a number"),
    )
    selector = pa.array(looks_numeric, type=pa.bool_())
    candidates = pc.if_else(selector, values, pa.scalar(None, pa.string()))
    numbers = np.array(  # a writable copy: bad values are blanked below
        pc.cast(candidates, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    infinite = np.isinf(numbers)
    problems.flag(
        infinite,
        f"{name}: not a number",
        lambda: reason_message(f"{name}: {what} ", values, " is out of float range"),
    )
    numbers[infinite] = np.nan
    return numbers, missing


def _check_numeric(column: Column, values: pa.Array, problems: _Problems) -> np.ndarray:
    name = column.name
    numbers, missing = _parse_numbers(name, values, problems)
    present = ~np.isnan(numbers)
    if column.type is ColumnType.INTEGER:
        fractional = present & (numbers != np.floor(numbers))
        problems.flag(
            fractional,
            f"{name}: not an integer",
            lambda: reason_message(f"{name}: value ", values, " is not an integer"),
        )
    with np.errstate(invalid="ignore"):
        if column.min is not None:
            below = present & (numbers < column.min)
            problems.flag(
                below,
                f"{name}: below minimum",
                lambda: reason_message(
                    f"{name}: value ", values, f" is below the minimum {column.min:g}"
                ),
            )
        if column.max is not None:
            above = present & (numbers > column.max)
            problems.flag(
                above,
                f"{name}: above maximum",
                lambda: reason_message(
                    f"{name}: value ", values, f" is above the maximum {column.max:g}"
                ),
            )
    if not column.nullable:
        problems.flag(
            missing, f"{name}: missing value", f"{name}: missing value (column is not nullable)"
        )
    return numbers


def _check_categorical(
    column: Column, values: pa.Array, problems: _Problems
) -> tuple[pa.Array, np.ndarray]:
    name = column.name
    categories = list(column.categories or [])
    tokens = tuple(t for t in MISSING_TOKENS if t not in categories)
    missing = _missing_mask(values, tokens)
    known = _bool(pc.is_in(values, value_set=pa.array(categories, type=pa.string())))
    unknown = ~missing & ~known
    shown = ", ".join(categories[:10]) + (", ..." if len(categories) > 10 else "")
    problems.flag(
        unknown,
        f"{name}: unknown category",
        lambda: reason_message(f"{name}: category ", values, f" is not one of [{shown}]"),
    )
    if not column.nullable:
        problems.flag(
            missing, f"{name}: missing value", f"{name}: missing value (column is not nullable)"
        )
    cleaned = pc.if_else(pa.array(missing, type=pa.bool_()), pa.scalar(None, pa.string()), values)
    return cleaned, missing


def _check_target(schema: DatasetSchema, values: pa.Array, problems: _Problems) -> np.ndarray:
    """Labels: class indices (-1 when invalid) for classification, float values for regression."""
    name = schema.target.name
    if schema.problem_type.is_classification:
        classes = schema.classes
        tokens = tuple(t for t in MISSING_TOKENS if t not in classes)
        missing = _missing_mask(values, tokens)
        problems.flag(missing, f"{name}: missing target", f"{name}: missing target value")
        codes = pc.index_in(values, value_set=pa.array(classes, type=pa.string()))
        labels = np.asarray(codes.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        unknown = ~missing & (labels < 0)
        shown = ", ".join(classes[:10]) + (", ..." if len(classes) > 10 else "")
        problems.flag(
            unknown,
            f"{name}: unknown class",
            lambda: reason_message(
                f"{name}: target ", values, f" is not one of the classes [{shown}]"
            ),
        )
        return labels
    numbers, missing = _parse_numbers(name, values, problems, what="target")
    problems.flag(missing, f"{name}: missing target", f"{name}: missing target value")
    return numbers


def validate_chunk(table: pa.Table, schema: DatasetSchema) -> ValidatedChunk:
    """Parse and check one chunk of text columns (every schema column present, as strings).

    Checks per row: numbers parse (and are integers for integer columns), values within min/max,
    categories allowed, no missing value in a non-nullable column, ID present, target present
    and a known class (classification) or a number (regression). Duplicates need state across
    chunks and are checked by the caller (see ``ml_containers.preprocess.dedupe``).
    """
    rows = table.num_rows
    problems = _Problems(rows)
    text: dict[str, pa.Array] = {}
    numeric: dict[str, np.ndarray] = {}
    categorical: dict[str, pa.Array] = {}

    def trimmed(name: str) -> pa.Array:
        column = table.column(name)
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        return pc.utf8_trim_whitespace(pc.fill_null(array, ""))

    for id_column in schema.id_columns:
        values = trimmed(id_column)
        missing = _missing_mask(values, ("",))
        problems.flag(missing, f"{id_column}: missing id", f"{id_column}: missing ID value")
        text[id_column] = pc.if_else(
            pa.array(missing, type=pa.bool_()), pa.scalar(None, pa.string()), values
        )
    for column in schema.features:
        values = trimmed(column.name)
        if column.type is ColumnType.CATEGORICAL:
            cleaned, _ = _check_categorical(column, values, problems)
            categorical[column.name] = cleaned
            text[column.name] = cleaned
        else:
            numbers = _check_numeric(column, values, problems)
            numeric[column.name] = numbers
            missing = _missing_mask(values, MISSING_TOKENS)
            text[column.name] = pc.if_else(
                pa.array(missing, type=pa.bool_()), pa.scalar(None, pa.string()), values
            )
    target_values = trimmed(schema.target.name)
    labels = _check_target(schema, target_values, problems)
    text[schema.target.name] = target_values
    return ValidatedChunk(
        rows=rows,
        problems=problems.messages,
        reason_counts=problems.counts,
        numeric=numeric,
        categorical=categorical,
        labels=labels,
        text=text,
    )


def validate_columns(columns: Mapping[str, list[str]], schema: DatasetSchema) -> ValidatedChunk:
    """Convenience for small in-memory data (tests, the orchestrator's pre-flight checks)."""
    table = pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()})
    return validate_chunk(table, schema)
