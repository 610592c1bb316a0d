"""One CSV record as its list of fields, and back: how batch transform's DataProcessing filters
and the deploy health check see a line. The standard ``csv`` module does the quoting both ways,
so a field holding a comma or a quote survives a filter unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from orchestrator.backends.local.serving_errors import BatchTransformError


def csv_fields(record: bytes, line_number: int) -> list[str]:
    """The fields of one record (a line without its line end); the error names the line."""
    try:
        return next(csv.reader([record.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise BatchTransformError(
            f"line {line_number} is not a valid UTF-8 CSV record ({exc}); fix the input file"
        ) from None


def csv_line(fields: Sequence[str]) -> bytes:
    """One record written as CSV, quoted where needed, without a line end."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue().encode()
