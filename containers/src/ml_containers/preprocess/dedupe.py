"""Duplicate detection over a stream of rows with bounded memory.

Each accepted row is reduced to a 64-bit BLAKE2b hash of its key (the ID columns when the
schema names any, else every schema column after trimming); the hashes seen so far live in a few
sorted numpy arrays merged like a log-structured merge tree, so a lookup is a handful of binary
searches and an insert costs amortized O(log n) copies.

Cost: 8 bytes per distinct accepted row (1M rows: 8 MB; 100M rows: 800 MB), plus a transient copy
of the largest run while merging. Two different rows share a hash with probability about
n^2 / 2^65 (for 100M rows, about 3 in 10 000), in which case the later row would be rejected
as a duplicate; that trade is what keeps memory at 8 bytes per row instead of the row itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_FIELD_SEPARATOR = "\x1f"  # ASCII unit separator: never in ordinary CSV text
_NULL_MARKER = "\x00"


def row_hashes(columns: Sequence[pa.Array]) -> np.ndarray:
    """A deterministic 64-bit hash per row of the given string columns (nulls distinct from "")."""
    if not columns:
        raise ValueError("row_hashes needs at least one column")
    rows = len(columns[0])
    if len(columns) == 1:
        joined = pc.fill_null(columns[0], _NULL_MARKER)
    else:
        joined = pc.binary_join_element_wise(
            *columns, _FIELD_SEPARATOR, null_handling="replace", null_replacement=_NULL_MARKER
        )
    blake2b = hashlib.blake2b
    values = joined.cast(pa.binary()).to_pylist()
    return np.fromiter(
        (int.from_bytes(blake2b(v, digest_size=8).digest(), "little") for v in values),
        dtype=np.uint64,
        count=rows,
    )


class SeenHashes:
    """A growing set of 64-bit hashes kept as sorted runs whose sizes at least halve."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(run.size for run in self._runs)

    @property
    def nbytes(self) -> int:
        return sum(run.nbytes for run in self._runs)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        found = np.zeros(hashes.size, dtype=bool)
        for run in self._runs:
            positions = np.searchsorted(run, hashes)
            inside = positions < run.size
            found[inside] |= run[positions[inside]] == hashes[inside]
        return found

    def add(self, hashes: np.ndarray) -> None:
        """Insert hashes that are not yet present (the caller checked with :meth:`contains`)."""
        if hashes.size == 0:
            return
        self._runs.append(np.sort(hashes))
        while len(self._runs) > 1 and self._runs[-2].size <= 2 * self._runs[-1].size:
            newest = self._runs.pop()
            merged = np.concatenate([self._runs.pop(), newest])
            merged.sort(kind="stable")
            self._runs.append(merged)


def mark_duplicates(hashes: np.ndarray, seen: SeenHashes) -> np.ndarray:
    """True for each row whose hash appeared before (earlier in this batch or in ``seen``);
    adds the first occurrences to ``seen``. The first occurrence of a key is always kept."""
    duplicate = seen.contains(hashes)
    unique, first_index = np.unique(hashes, return_index=True)
    repeated_in_batch = np.ones(hashes.size, dtype=bool)
    repeated_in_batch[first_index] = False
    duplicate |= repeated_in_batch
    new = ~seen.contains(unique)
    seen.add(unique[new])
    return duplicate
