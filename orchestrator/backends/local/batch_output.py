"""Batch transform's answers assembled into the output (AssembleWith=Line): every answer must
hold exactly one line per record it was sent, since a silent shift would pair predictions with
the wrong rows; with JoinSource=Input each output line is appended to its input record, and the
OutputFilter then picks fields of that joined record (CSV)."""

from __future__ import annotations

import io

from orchestrator.backends.local.batch_input import Chunk
from orchestrator.backends.local.csv_jsonpath import FieldSelector
from orchestrator.backends.local.csv_records import csv_fields, csv_line
from orchestrator.backends.local.serving_errors import BatchTransformError


def write_answer(
    sink: io.BufferedWriter, chunk: Chunk, body: bytes, output_filter: FieldSelector
) -> int:
    """Write the answer ``body`` to ``chunk``'s request; returns the records written."""
    reshapes = chunk.raw_lines is not None or not output_filter.is_identity
    if not reshapes and b"\r" not in body:
        # The answer is written as it is: counting its lines in C is all the check needs.
        if body and not body.endswith(b"\n"):
            body += b"\n"
        _check_line_count(chunk, body.count(b"\n"))
        sink.write(body)
        return chunk.records
    outputs = body.split(b"\n")
    if outputs and outputs[-1] in (b"", b"\r"):
        outputs.pop()
    _check_line_count(chunk, len(outputs))
    if not reshapes:
        sink.write(b"\n".join(o.rstrip(b"\r") for o in outputs) + b"\n")
        return chunk.records
    lines = []
    for offset, output in enumerate(outputs):
        number = chunk.first_line + offset
        fields = csv_fields(output.rstrip(b"\r"), number)
        if chunk.raw_lines is not None:
            fields = csv_fields(chunk.raw_lines[offset], number) + fields
        lines.append(csv_line(output_filter.select(fields, number)))
    sink.write(b"\n".join(lines) + b"\n")
    return chunk.records


def _check_line_count(chunk: Chunk, lines: int) -> None:
    if lines != chunk.records:
        raise BatchTransformError(
            f"the model server returned {lines} lines for the {chunk.records} records on "
            f"{chunk.lines}; batch transform needs exactly one output line per input line "
            "(SplitType=Line, AssembleWith=Line)"
        )
