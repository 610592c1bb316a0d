"""Pre-flight checks of a CSV against a schema, for callers outside the Processing job.

The orchestrator calls :func:`check_csv` before any training starts, so a CSV that does not match
its schema gets a clear error in seconds instead of a failed job; it runs exactly the checks the
job runs (header, every row's values, duplicates), on all rows or the first ``max_rows``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..csvio import CsvFormatError, MalformedRow, iter_text_chunks, read_header
from ..schema import DatasetSchema
from ..validation import validate_chunk
from .dedupe import SeenHashes, mark_duplicates, row_hashes
from .errors import PreprocessError
from .inputs import check_header

_KEPT_EXAMPLES = 5


@dataclass
class CsvCheck:
    """What :func:`check_csv` found: row counts, problems by reason code and a few examples."""

    rows_checked: int = 0
    rows_rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def rejection_rate(self) -> float:
        return self.rows_rejected / self.rows_checked if self.rows_checked else 0.0


def check_csv(
    path: Path, schema: DatasetSchema, max_rows: int | None = None, chunk_rows: int = 50_000
) -> CsvCheck:
    """Check a CSV's header and rows against ``schema``.

    Raises :class:`PreprocessError` when the file is unreadable or a required column is missing;
    otherwise returns the counts, leaving the decision (e.g. "most rows have a wrong type") to
    the caller.
    """
    path = Path(path)
    try:
        header = read_header(path)
    except CsvFormatError as exc:
        raise PreprocessError(str(exc)) from None
    check_header(header, schema, source=str(path))
    result = CsvCheck()
    malformed: list[MalformedRow] = []
    seen = SeenHashes()
    key_columns = schema.id_columns or schema.required_columns()
    columns = schema.required_columns()
    try:
        for table in iter_text_chunks(path, header, columns, chunk_rows, malformed.append):
            if max_rows is not None:
                table = table.slice(0, max(max_rows - result.rows_checked, 0))
            checked = validate_chunk(table, schema)
            accepted = pa.array(checked.accepted)
            if checked.accepted.any():
                keys = [checked.text[name].filter(accepted) for name in key_columns]
                duplicate_sub = mark_duplicates(row_hashes(keys), seen)
                duplicate = checked.accepted.copy()
                duplicate[duplicate] = duplicate_sub
                checked.add_problem(duplicate, "duplicate", pa.array(["duplicate"] * checked.rows))
            result.rows_checked += checked.rows
            result.rows_rejected += checked.rejected
            result.reasons.update(checked.reason_counts)
            room = _KEPT_EXAMPLES - len(result.examples)
            if room > 0 and checked.rejected:
                problems = checked.problems.drop_null().slice(0, room).to_pylist()
                result.examples.extend(problems)
            if max_rows is not None and result.rows_checked >= max_rows:
                break
    except CsvFormatError as exc:
        raise PreprocessError(str(exc)) from None
    result.rows_checked += len(malformed)
    result.rows_rejected += len(malformed)
    if malformed:
        result.reasons["malformed row"] += len(malformed)
    return result
