"""Training rows re-blocked into fixed-size batches for the transform fitter, file by file.

The fitter sees each input file's training rows in blocks of ``FIT_BLOCK_ROWS`` whatever
``--chunk-rows`` is, and a new block starts with each file, so its floating-point sums (and so
every output byte) depend neither on the chunk size nor on which host read which file.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..transform import FittedTransform, TransformFitter

FIT_BLOCK_ROWS = 8_192


class FitFeeder:
    """Buffers rows (with their sample priorities) and feeds the fitter whole blocks."""

    def __init__(self, fitter: TransformFitter, block_rows: int = FIT_BLOCK_ROWS) -> None:
        self.fitter = fitter
        self.block_rows = block_rows
        self._pending: list[tuple[dict[str, Any], np.ndarray | None]] = []
        self._rows = 0

    def add(self, columns: dict[str, Any], rows: int, priorities: np.ndarray | None = None) -> None:
        if rows == 0:
            return
        self._pending.append((columns, priorities))
        self._rows += rows
        while self._rows >= self.block_rows:
            merged, merged_priorities = self._merge()
            self._feed(
                _slice_columns(merged, 0, self.block_rows),
                _cut(merged_priorities, 0, self.block_rows),
            )
            rest = _slice_columns(merged, self.block_rows, self._rows)
            self._pending = [(rest, _cut(merged_priorities, self.block_rows, self._rows))]
            self._rows -= self.block_rows

    def end_file(self, index: int) -> None:
        """The rows added since the last call came from input file ``index``."""
        self._flush()
        self.fitter.end_file(index)

    def finish(self) -> FittedTransform:
        self._flush()
        return self.fitter.finish()

    def _flush(self) -> None:
        if self._rows:
            self._feed(*self._merge())
        self._pending, self._rows = [], 0

    def _merge(self) -> tuple[dict[str, Any], np.ndarray | None]:
        merged: dict[str, Any] = {}
        first = self._pending[0][0]
        for name in first:
            parts = [batch[name] for batch, _ in self._pending]
            if isinstance(parts[0], np.ndarray):
                merged[name] = np.concatenate(parts)
            else:
                merged[name] = pa.concat_arrays(parts)
        priorities = [p for _, p in self._pending]
        if any(p is None for p in priorities):
            return merged, None
        return merged, np.concatenate([p for p in priorities if p is not None])

    def _feed(self, columns: dict[str, Any], priorities: np.ndarray | None) -> None:
        self.fitter.update(columns, priorities)


def _cut(values: np.ndarray | None, start: int, stop: int) -> np.ndarray | None:
    return None if values is None else values[start:stop]


def _slice_columns(columns: dict[str, Any], start: int, stop: int) -> dict[str, Any]:
    return {
        name: values[start:stop]
        if isinstance(values, np.ndarray)
        else values.slice(start, stop - start)
        for name, values in columns.items()
    }
