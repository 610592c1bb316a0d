"""Rows whose key an earlier row already has: found during a host's scan, and rejected with the
same reason whether the earlier row was read by this host or (on several hosts) by another."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..csvio import csv_lines
from ..schema import DatasetSchema
from ..validation import ValidatedChunk, reason_message
from .dedupe import SeenHashes, mark_duplicates, row_hashes


def duplicate_code(schema: DatasetSchema) -> str:
    """The reason code duplicates count under in the report."""
    if schema.id_columns:
        return f"{', '.join(schema.id_columns)}: duplicate id"
    return "duplicate row"


def reject_as_duplicates(
    checked: ValidatedChunk, schema: DatasetSchema, duplicate: np.ndarray
) -> None:
    """Reject the rows in ``duplicate``, naming the repeated ID when the schema has ID columns."""
    if not duplicate.any():
        return
    if schema.id_columns:
        ids = csv_lines([checked.text[name] for name in schema.id_columns])
        label = ", ".join(schema.id_columns)
        messages = reason_message(
            f"{label}: duplicate ID ", ids, " (an earlier row has it; kept the first)"
        )
        checked.add_problem(duplicate, duplicate_code(schema), messages)
    else:
        message = "duplicate row: identical to an earlier row (kept the first)"
        checked.add_problem(duplicate, duplicate_code(schema), pa.array([message] * checked.rows))


def scan_duplicates(
    checked: ValidatedChunk, schema: DatasetSchema, key_columns: list[str], seen: SeenHashes
) -> np.ndarray:
    """Reject accepted rows whose key was seen before; returns each row's key hash (0 for rows
    rejected before this check)."""
    hashes = np.zeros(checked.rows, dtype=np.uint64)
    accepted_rows = np.nonzero(checked.accepted)[0]
    if accepted_rows.size == 0:
        return hashes
    selector = pa.array(checked.accepted)
    keys = [checked.text[name].filter(selector) for name in key_columns]
    accepted_hashes = row_hashes(keys)
    hashes[accepted_rows] = accepted_hashes
    duplicate = np.zeros(checked.rows, dtype=bool)
    duplicate[accepted_rows[mark_duplicates(accepted_hashes, seen)]] = True
    reject_as_duplicates(checked, schema, duplicate)
    return hashes
