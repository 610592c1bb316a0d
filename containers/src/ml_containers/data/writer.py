"""CSV output for generated data: an unquoted header line, then pyarrow's fast writer.

pyarrow would quote the header and every string; generated values never contain commas,
quotes or newlines, so plain output is valid CSV and reads like what users export.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv

from ..csvio import csv_lines, write_lines


class TableCsvWriter:
    """Appends tables of one schema to a CSV file opened for writing."""

    def __init__(self, handle: IO[bytes], schema: pa.Schema) -> None:
        write_lines(handle, csv_lines([pa.array([name]) for name in schema.names]))
        self._writer = pacsv.CSVWriter(
            handle,
            schema,
            write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"),
        )

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


def write_table_csv(table: pa.Table, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        writer = TableCsvWriter(handle, table.schema)
        writer.write(table)
        writer.close()
