"""A uniform sample of fixed size that any number of hosts can build apart and merge exactly.

Each value carries a priority (a seeded 64-bit mix of its row's key, :func:`ml_containers.mixing.
mix64`); the sample is the ``k`` values of smallest priority. Which values those are depends only
on the set of rows, never on their order or on how they were split between hosts, so the union
of per-host samples cut to ``k`` is the sample one host would have kept (a bottom-k sketch). When
fewer than ``k`` values exist the sample holds them all, so a median taken from it is exact.
Memory: at most ``2k`` values and priorities, plus one batch.
"""

from __future__ import annotations

import numpy as np


class BottomK:
    """The ``k`` values of smallest priority among all added (priorities must be distinct)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._priorities = np.empty(0, dtype=np.uint64)
        self._values = np.empty(0, dtype=np.float64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_size = 0
        self._limit: np.uint64 | None = None  # largest kept priority once k are kept

    def add(self, priorities: np.ndarray, values: np.ndarray) -> None:
        if self._limit is not None:
            below = priorities < self._limit
            priorities, values = priorities[below], values[below]
        if priorities.size == 0:
            return
        self._pending.append((priorities, values))
        self._pending_size += priorities.size
        if self._pending_size >= self.k:
            self._compact()

    def merge(self, other: BottomK) -> None:
        priorities, values = other.items()
        self.add(priorities, values)

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """The sample's priorities and values (in no particular order)."""
        self._compact()
        return self._priorities, self._values

    def values(self) -> np.ndarray:
        return self.items()[1]

    def _compact(self) -> None:
        if not self._pending:
            return
        priorities = np.concatenate([self._priorities, *(p for p, _ in self._pending)])
        values = np.concatenate([self._values, *(v for _, v in self._pending)])
        self._pending, self._pending_size = [], 0
        if priorities.size > self.k:
            keep = np.argpartition(priorities, self.k - 1)[: self.k]
            priorities, values = priorities[keep], values[keep]
        if priorities.size == self.k:
            self._limit = priorities.max()
        self._priorities, self._values = priorities, values
