"""The training split written as several part files, so a training job on N hosts can shard it.

SageMaker's ``ShardedByS3Key`` gives each training host a share of a channel's S3 objects, so a
split that is one object reaches one host only. With ``--train-parts K`` (K > 1) the train split
is written as ``train/train-part-00000.csv`` ... ``train-part-<K-1>.csv``: contiguous blocks of
rows of sizes differing by at most one, so the parts concatenated in name order are byte for byte
the ``train.csv`` one part gives. K = 1 keeps ``train/train.csv``.

On P > 1 preprocessing hosts every host writes its own rows under names carrying its index H
(five digits), since SageMaker uploads every host's output folder to the same prefix:
``train/train-part-KKKKK-HHHHH.csv``, ``validation/validation-part-HHHHH.csv``,
``test/test-part-HHHHH.csv``, ``batch/batch-part-HHHHH.csv`` with its row-aligned
``batch/labels-part-HHHHH.csv`` and ``report/quarantine-part-HHHHH.csv``; ``report/report.json``
and ``transform/`` are the same on every host. A split is its parts concatenated in name order.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv

SINGLE_NAME = "train.csv"


def part_names(parts: int, host: int = 0, hosts: int = 1) -> list[str]:
    """The train split's file names on host ``host`` of ``hosts`` for ``parts`` training hosts.
    On several hosts the training host's index comes first (``train-part-KKKKK-HHHHH.csv``): in
    key order the objects run part 0 of every preprocessing host, then part 1, ..., so when
    ``ShardedByS3Key`` hands out contiguous blocks (the local runner) training host k gets part k
    of every preprocessing host, a share of each even when one preprocessing host got no file."""
    if hosts > 1:
        return [f"train-part-{k:05d}-{host:05d}.csv" for k in range(parts)]
    if parts == 1:
        return [SINGLE_NAME]
    return [f"train-part-{k:05d}.csv" for k in range(parts)]


def host_file(stem: str, host: int, hosts: int) -> str:
    """``<stem>.csv`` on one host, ``<stem>-part-HHHHH.csv`` on host H of several."""
    return f"{stem}.csv" if hosts == 1 else f"{stem}-part-{host:05d}.csv"


def quarantine_files(hosts: int) -> str:
    """Where rejected rows are, as a sentence fragment for messages."""
    return "report/quarantine.csv" if hosts == 1 else "report/quarantine-part-*.csv"


class PartWriter:
    """Writes ``total`` label-first rows, given in order in tables, into the files ``paths``
    (contiguous blocks, sizes differing by at most one; one path: every row there)."""

    def __init__(self, paths: list[Path], total: int) -> None:
        parts = len(paths)
        self.paths = paths
        self.bounds = [(k + 1) * total // parts for k in range(parts)]  # end row of each part
        self.part = 0
        self.row = 0  # rows written so far
        self.handle: IO[bytes] = self.paths[0].open("wb")
        self.writer: pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        start = 0
        while start < table.num_rows:
            while self.row >= self.bounds[self.part] and self.part + 1 < len(self.paths):
                self._next_part()
            room = self.bounds[self.part] - self.row
            if self.part + 1 == len(self.paths):
                room = table.num_rows - start  # the last part takes whatever is left
            take = min(room, table.num_rows - start)
            self._write(table.slice(start, take))
            start += take
            self.row += take

    def close(self) -> None:
        while self.part + 1 < len(self.paths):  # parts with no rows still exist, empty
            self._next_part()
        self._close_current()

    def _write(self, table: pa.Table) -> None:
        if self.writer is None:
            options = pacsv.WriteOptions(include_header=False)
            self.writer = pacsv.CSVWriter(self.handle, table.schema, write_options=options)
        self.writer.write_table(table)

    def _close_current(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.handle.close()

    def _next_part(self) -> None:
        self._close_current()
        self.part += 1
        self.handle = self.paths[self.part].open("wb")
