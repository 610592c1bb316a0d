"""Seeded train/validation/test assignment that does not depend on how the input is chunked.

A row's split is a pure function of (seed, row index): the index is mixed with the seed by
SplitMix64, a well-tested 64-bit finalizer, and the result read as a uniform number in [0, 1).
Same input and seed give the same split whatever ``--chunk-rows`` is, and adding or fixing
rows elsewhere in the file does not move a row to another split.
"""

from __future__ import annotations

import numpy as np

TRAIN, VALIDATION, TEST = 0, 1, 2
SPLIT_NAMES = ("train", "validation", "test")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    z = values + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def uniform_per_row(row_indices: np.ndarray, seed: int) -> np.ndarray:
    """A reproducible uniform number in [0, 1) for each row index."""
    with np.errstate(over="ignore"):
        seed_key = _splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
        mixed = _splitmix64(np.asarray(row_indices, dtype=np.uint64) ^ seed_key)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def assign_splits(
    row_indices: np.ndarray, seed: int, validation_fraction: float, test_fraction: float
) -> np.ndarray:
    """Split codes (TRAIN, VALIDATION, TEST) for rows identified by their global index."""
    u = uniform_per_row(row_indices, seed)
    codes = np.full(u.size, TRAIN, dtype=np.int8)
    codes[u < test_fraction + validation_fraction] = VALIDATION
    codes[u < test_fraction] = TEST
    return codes
