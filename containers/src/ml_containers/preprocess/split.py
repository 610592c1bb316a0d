"""Seeded train/validation/test assignment that does not depend on how the input is chunked.

Regression: a row's split is a pure function of (seed, row index): the index is mixed with the
seed by SplitMix64, a well-tested 64-bit finalizer, and read as a uniform number in [0, 1).

Classification is stratified: the k-th accepted row of each class gets the number
``frac(offset_class + k * golden_ratio)``, with a seeded offset per class. That sequence spreads
evenly over [0, 1) for any prefix (discrepancy O(log n / n)), so every split holds its fraction
of every class to within a row or two even for small classes, and each split draws its rows
from the whole file. Both schemes depend only on the input order and the seed, never on
``--chunk-rows``.
"""

from __future__ import annotations

import numpy as np

from ..mixing import mix64

TRAIN, VALIDATION, TEST = 0, 1, 2
SPLIT_NAMES = ("train", "validation", "test")


def uniform_per_row(row_indices: np.ndarray, seed: int) -> np.ndarray:
    """A reproducible uniform number in [0, 1) for each row index."""
    mixed = mix64(row_indices, seed)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _codes(u: np.ndarray, validation_fraction: float, test_fraction: float) -> np.ndarray:
    codes = np.full(u.size, TRAIN, dtype=np.int8)
    codes[u < test_fraction + validation_fraction] = VALIDATION
    codes[u < test_fraction] = TEST
    return codes


def assign_splits(
    row_indices: np.ndarray, seed: int, validation_fraction: float, test_fraction: float
) -> np.ndarray:
    """Split codes (TRAIN, VALIDATION, TEST) for rows identified by their global index."""
    return _codes(uniform_per_row(row_indices, seed), validation_fraction, test_fraction)


_GOLDEN_FRACTION = (5**0.5 - 1) / 2
_CLASS_OFFSET_SALT = 0x5EED_C1A5


class StratifiedSplitter:
    """Stratified split codes for accepted classification rows, fed in input order."""

    def __init__(
        self, num_classes: int, seed: int, validation_fraction: float, test_fraction: float
    ) -> None:
        self.validation_fraction = validation_fraction
        self.test_fraction = test_fraction
        self.seen_per_class = np.zeros(num_classes, dtype=np.int64)
        self.offsets = uniform_per_row(np.arange(num_classes), seed ^ _CLASS_OFFSET_SALT)

    def start_at(self, seen_per_class: np.ndarray) -> None:
        """Continue as if ``seen_per_class`` accepted rows of each class came before (a host
        starting a file that other hosts' files precede, :mod:`.distributed`)."""
        self.seen_per_class = np.asarray(seen_per_class, dtype=np.int64).copy()

    def assign(self, labels: np.ndarray) -> np.ndarray:
        """Split codes for the next accepted rows, given their class indices."""
        labels = np.asarray(labels, dtype=np.int64)
        ordinals = np.empty(labels.size, dtype=np.int64)
        for cls in np.unique(labels):
            rows = np.nonzero(labels == cls)[0]
            ordinals[rows] = self.seen_per_class[cls] + np.arange(rows.size)
            self.seen_per_class[cls] += rows.size
        u = np.mod(self.offsets[labels] + ordinals * _GOLDEN_FRACTION, 1.0)
        return _codes(u, self.validation_fraction, self.test_fraction)
