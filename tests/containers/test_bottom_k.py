"""The transform's mergeable sample: whatever the batches and however items are split between
samples that are merged, it holds exactly the ``k`` items of smallest priority."""

from __future__ import annotations

import numpy as np
import pytest
from ml_containers.bottom_k import BottomK


def _expected(priorities: np.ndarray, values: np.ndarray, k: int) -> dict[int, tuple]:
    order = np.argsort(priorities)[:k]
    return {int(priorities[i]): tuple(np.atleast_1d(values[i])) for i in order}


def _held(sample: BottomK) -> dict[int, tuple]:
    priorities, values = sample.items()
    return {int(p): tuple(np.atleast_1d(v)) for p, v in zip(priorities, values, strict=True)}


@pytest.mark.parametrize("k", [1, 7, 64, 1000])
@pytest.mark.parametrize("width", [None, 3])
def test_the_sample_is_the_k_smallest_priorities_whatever_the_batches(k, width):
    rng = np.random.default_rng(k)
    n = 5000
    priorities = rng.permutation(np.arange(n, dtype=np.uint64) * np.uint64(7919))
    values = rng.normal(size=n if width is None else (n, width))
    one, left, right = BottomK(k, width), BottomK(k, width), BottomK(k, width)
    start = 0
    for size in rng.integers(1, 400, 60):
        stop = min(n, start + int(size))
        one.add(priorities[start:stop], values[start:stop])
        (left if start % 2 else right).add(priorities[start:stop], values[start:stop])
        start = stop
    expected = _expected(priorities[:start], values[:start], k)
    assert _held(one) == expected
    left.merge(right)  # two hosts' samples merged
    assert _held(left) == expected


def test_fewer_items_than_k_are_all_kept():
    sample = BottomK(100)
    sample.add(np.array([5, 3, 9], dtype=np.uint64), np.array([0.5, 0.3, 0.9]))
    assert sorted(sample.values().tolist()) == [0.3, 0.5, 0.9]
