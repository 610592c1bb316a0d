"""Batch transform's input cut into requests (SplitType=Line, BatchStrategy=MultiRecord): whole
lines packed up to the payload limit, each a record, after the InputFilter when there is one.

Records that go to the model as they are, are cut by C in whole blocks (:mod:`.line_blocks`);
a filter or the join needs each record on its own, so those are packed line by line, and the
original lines are kept beside the request when the output joins them back (JoinSource=Input).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from orchestrator.backends.local.csv_jsonpath import FieldSelector
from orchestrator.backends.local.csv_records import csv_fields, csv_line
from orchestrator.backends.local.line_blocks import line_blocks
from orchestrator.backends.local.serving_errors import BatchTransformError


@dataclass(frozen=True)
class Chunk:
    """One request's records: where they start in the input, and what is sent."""

    first_line: int
    raw_lines: list[bytes] | None  # kept only when the output joins the input
    payload: bytes
    records: int

    @property
    def lines(self) -> str:
        """``lines a-b``: the input lines this chunk holds, for error messages."""
        return f"lines {self.first_line}-{self.first_line + self.records - 1}"


def request_chunks(
    source: io.BufferedReader, limit: int, input_filter: FieldSelector, join_input: bool
) -> Iterator[Chunk]:
    """The input packed into requests of at most ``limit`` bytes; a blank line or a record over
    the limit raises :class:`BatchTransformError` naming its line."""
    if input_filter.is_identity and not join_input:
        for block in line_blocks(source, limit):
            yield Chunk(block.first_line, None, block.payload, block.records)
    else:
        yield from _filtered_chunks(source, limit, input_filter, join_input)


def _filtered_chunks(
    source: io.BufferedReader, limit: int, input_filter: FieldSelector, join_input: bool
) -> Iterator[Chunk]:
    """Whole lines packed up to the payload limit, each after the InputFilter."""
    lines: list[bytes] = []
    raw: list[bytes] = []
    size = 0
    first = 1
    for number, line in enumerate(source, start=1):
        record = line.rstrip(b"\r\n")
        if not record.strip():
            raise BatchTransformError(
                f"line {number} of the input is blank; SplitType=Line makes every line a record, "
                "so remove blank lines"
            )
        sent = _filter_input(record, input_filter, number)
        if len(sent) + 1 > limit:
            raise BatchTransformError(
                f"record on line {number} is {len(sent) + 1} bytes, over the {limit} byte payload "
                "limit (MaxPayloadInMB); raise the limit or split the record"
            )
        if size + len(sent) + 1 > limit:
            yield _chunk(first, lines, raw if join_input else None)
            lines, raw, size, first = [], [], 0, number
        lines.append(sent)
        if join_input:
            raw.append(record)
        size += len(sent) + 1
    if lines:
        yield _chunk(first, lines, raw if join_input else None)


def _chunk(first: int, lines: list[bytes], raw: list[bytes] | None) -> Chunk:
    return Chunk(first, raw, b"\n".join(lines) + b"\n", len(lines))


def _filter_input(record: bytes, selector: FieldSelector, number: int) -> bytes:
    if selector.is_identity:
        return record
    return csv_line(selector.select(csv_fields(record, number), number))
