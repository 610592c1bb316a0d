"""Files rows pass through: the quarantine of rejected rows, and temporary Arrow streams of a
split's accepted rows (and, on several hosts, of the rows a host's scan accepted before the
hosts agreed on duplicates, :class:`ScannedSpool`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa

from ..csvio import MalformedRow, csv_lines, write_lines
from ..schema import ColumnType, DatasetSchema
from ..validation import ValidatedChunk

_MALFORMED_TEXT_CHARS = 80

# Columns a ScannedSpool keeps beside the row's cleaned text: its input file (index in this host's
# files), its row number in that file (0-based, well-formed rows), its key hash, its parsed label,
# (prefixes) each numeric feature's parsed value, so routing needs no second parse, and each
# column as written, which the quarantine shows if another host's row turns out to precede it.
FILE_COLUMN, ROW_COLUMN, HASH_COLUMN, LABEL_COLUMN = "__file", "__row", "__hash", "__label"
NUMBER_PREFIX, RAW_PREFIX = "__number:", "__raw:"


class Quarantine:
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


class SplitSpool:
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


class ScannedSpool:
    """A host's accepted rows, parsed, with where they came from and their key hash, kept until
    every host has said which keys it saw first (:mod:`.distributed`)."""

    def __init__(self, path: Path, schema: DatasetSchema) -> None:
        self.path = path
        self.columns = schema.required_columns()
        self.features = schema.features
        self.numbers = [c.name for c in schema.features if c.type is not ColumnType.CATEGORICAL]
        label = pa.int64() if schema.problem_type.is_classification else pa.float64()
        fields = [(name, pa.string()) for name in self.columns]
        fields += [(FILE_COLUMN, pa.int32()), (ROW_COLUMN, pa.int64()), (HASH_COLUMN, pa.uint64())]
        fields += [(LABEL_COLUMN, label)]
        fields += [(NUMBER_PREFIX + name, pa.float64()) for name in self.numbers]
        fields += [(RAW_PREFIX + name, pa.string()) for name in self.columns]
        self.schema = pa.schema(fields)
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pa.ipc.new_stream(self.sink, self.schema)

    def write(
        self,
        table: pa.Table,
        checked: ValidatedChunk,
        file: int,
        rows: np.ndarray,
        hashes: np.ndarray,
    ) -> None:
        """The chunk's accepted rows (``table``: the chunk as read)."""
        mask = checked.accepted
        if not mask.any():
            return
        selector = pa.array(mask, type=pa.bool_())
        arrays = [checked.text[name].filter(selector) for name in self.columns]
        count = int(mask.sum())
        arrays += [
            pa.array(np.full(count, file, dtype=np.int32)),
            pa.array(rows[mask]),
            pa.array(hashes[mask]),
            pa.array(checked.labels[mask], type=self.schema.field(LABEL_COLUMN).type),
        ]
        arrays += [pa.array(checked.numeric[name][mask]) for name in self.numbers]
        raw = table.filter(selector)
        arrays += [raw.column(name).combine_chunks().cast(pa.string()) for name in self.columns]
        self.writer.write_batch(pa.record_batch(arrays, schema=self.schema))

    def chunk(self, batch: pa.RecordBatch) -> tuple[pa.Table, ValidatedChunk]:
        """A spooled batch as read and as the validated chunk it was (every row accepted),
        without parsing the text again."""
        text = {name: batch.column(name) for name in self.columns}
        raw = pa.table({name: batch.column(RAW_PREFIX + name) for name in self.columns})
        return raw, ValidatedChunk(
            rows=batch.num_rows,
            problems=pa.nulls(batch.num_rows, type=pa.string()),
            reason_counts=Counter(),
            numeric={
                name: batch.column(NUMBER_PREFIX + name).to_numpy(zero_copy_only=False)
                for name in self.numbers
            },
            categorical={
                c.name: text[c.name] for c in self.features if c.type is ColumnType.CATEGORICAL
            },
            labels=batch.column(LABEL_COLUMN).to_numpy(zero_copy_only=False),
            text=text,
        )

    def close(self) -> None:
        self.writer.close()
        self.sink.close()

    def batches(self) -> Iterator[pa.RecordBatch]:
        with pa.OSFile(str(self.path), "rb") as source:
            yield from pa.ipc.open_stream(source)
