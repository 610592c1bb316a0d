"""Chunked CSV reading and writing with pyarrow, for inputs far larger than memory.

Reading keeps every cell as text: a table's values are parsed by the schema afterwards, so one
bad cell rejects one row instead of failing the whole file (pyarrow's typed reader would stop at
the first unparseable value). Rows with the wrong number of fields are handed to a callback
instead of aborting the read, for the same reason.

Writing text columns goes through :func:`csv_lines` because pyarrow's CSV writer quotes every
string; batch-transform inputs and label files must stay plain ``1.5,abc`` lines that a
line-splitting consumer (SageMaker's ``SplitType=Line``) and the serving CSV parser read as is.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# pyarrow's streaming reader parses one block at a time but reads a few dozen blocks ahead, so
# the block size bounds memory: 128 KiB blocks keep the read-ahead near 4 MiB and still parse at
# hundreds of MB/s. Wide tables get larger blocks (a row must fit in one block).
READ_BLOCK_BYTES = 128 << 10
_BLOCK_BYTES_PER_HEADER_BYTE = 64
_NEEDS_QUOTES = r'[",\r\n]|^\s|\s$'


class CsvFormatError(ValueError):
    """A file is not a readable CSV (empty, no header, undecodable); the message names the file."""


@dataclass(frozen=True)
class MalformedRow:
    """A line whose field count differs from the header's, skipped by the reader."""

    line: int | None
    expected_fields: int
    actual_fields: int
    text: str


def read_header(path: Path) -> list[str]:
    """The column names in the first line of ``path`` (CSV quoting rules, UTF-8, BOM tolerated)."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"{path} is not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except OSError as exc:
        raise CsvFormatError(f"cannot read {path}: {exc.strerror}") from None
    except csv.Error as exc:
        raise CsvFormatError(f"{path}: the header line is not valid CSV ({exc})") from None
    if not header or all(not name.strip() for name in header):
        raise CsvFormatError(
            f"{path} is empty or its first line is blank; the first line must be a header naming "
            "the columns"
        )
    return header


def iter_text_chunks(
    path: Path,
    header: Sequence[str],
    columns: Sequence[str],
    chunk_rows: int,
    on_malformed: Callable[[MalformedRow], None] | None = None,
) -> Iterator[pa.Table]:
    """Stream ``columns`` of ``path`` as tables of exactly ``chunk_rows`` rows (the last may be
    shorter), every value a non-null string (empty cells are ``""``).

    ``header`` is the file's header (from :func:`read_header`); passing it lets every column be
    declared a string before pyarrow sees any data. Malformed lines go to ``on_malformed`` and are
    skipped; without a callback they raise :class:`CsvFormatError`.
    """

    def handle_invalid(row: pacsv.InvalidRow) -> str:
        if on_malformed is None:
            return "error"
        on_malformed(
            MalformedRow(
                line=row.number,
                expected_fields=row.expected_columns,
                actual_fields=row.actual_columns,
                text=row.text,
            )
        )
        return "skip"

    header_bytes = len(",".join(header).encode())
    block_size = max(READ_BLOCK_BYTES, header_bytes * _BLOCK_BYTES_PER_HEADER_BYTE)
    read_options = pacsv.ReadOptions(
        column_names=list(header), skip_rows=1, block_size=block_size, use_threads=False
    )
    parse_options = pacsv.ParseOptions(invalid_row_handler=handle_invalid)
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        include_columns=list(columns),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with Path(path).open("rb") as handle:
        try:
            reader = pacsv.open_csv(
                pa.PythonFile(handle, mode="r"),
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return
            raise CsvFormatError(f"{path}: cannot parse CSV: {exc}") from None
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise CsvFormatError(f"{path}: cannot parse CSV: {exc}") from None
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= chunk_rows:
                table = pa.Table.from_batches(pending, schema=reader.schema)
                yield table.slice(0, chunk_rows).combine_chunks()
                rest = table.slice(chunk_rows)
                pending = rest.to_batches()
                pending_rows = rest.num_rows
        if pending_rows:
            yield pa.Table.from_batches(pending, schema=reader.schema).combine_chunks()


def csv_field(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Render string values as CSV fields: quoted only when needed, nulls as empty fields."""
    values = pc.fill_null(values, "")
    needs_quotes = pc.match_substring_regex(values, _NEEDS_QUOTES)
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    result = pc.if_else(needs_quotes, quoted, values)
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def csv_lines(columns: Sequence[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """One CSV line (without the newline) per row from string columns."""
    fields = [csv_field(column) for column in columns]
    if len(fields) == 1:
        return fields[0]
    return pc.binary_join_element_wise(*fields, ",")


def write_lines(handle: IO[bytes], lines: pa.Array) -> None:
    """Append ``lines`` to a binary file, each followed by ``\\n``."""
    if len(lines):
        handle.write(("\n".join(lines.to_pylist()) + "\n").encode("utf-8"))
