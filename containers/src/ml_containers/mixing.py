"""SplitMix64: a well-tested 64-bit finalizer, used wherever a seeded, order-free number per row
is needed (the split of a regression row, the transform's sample rank of a training row)."""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    z = values + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def mix64(values: np.ndarray, seed: int) -> np.ndarray:
    """Each 64-bit value mixed with the seed by SplitMix64: a bijection, so distinct values stay
    distinct (the transform's sample ranks rows by it, :mod:`ml_containers.transform`)."""
    with np.errstate(over="ignore"):
        seed_key = _splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
        return _splitmix64(np.asarray(values, dtype=np.uint64) ^ seed_key)
