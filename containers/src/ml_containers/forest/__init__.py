"""Tree ensembles predicted by compiled native code instead of the model library's own call.

:func:`compiled_xgboost_predictor` turns an XGBoost booster into a :class:`NativeForestPredictor`
(the trees as data, walked by a small C library compiled once per machine, see :mod:`.native`)
and proves it against ``inplace_predict`` before anyone uses it: every probe row must agree
within :data:`TOLERANCE` (in practice the answers are bit for bit the same). When the model
cannot be compiled (no C compiler, an objective or split type the walker does not replicate, a
mismatch) it returns the reason instead, and the caller keeps XGBoost.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .native import NativeUnavailable
from .xgboost_trees import NativeForestPredictor, Unsupported, forest_from_booster

TOLERANCE = 1e-6  # absolute, or relative to values above 1 in magnitude

__all__ = ["TOLERANCE", "NativeForestPredictor", "compiled_xgboost_predictor", "max_difference"]


def max_difference(got: np.ndarray, want: np.ndarray) -> float:
    """The largest difference, scaled by the value's magnitude where it exceeds 1."""
    got64 = np.asarray(got, dtype=np.float64)
    want64 = np.asarray(want, dtype=np.float64)
    if got64.shape != want64.shape:
        return float("inf")
    if got64.size == 0:
        return 0.0
    scale = np.maximum(1.0, np.abs(want64))
    difference = np.abs(got64 - want64) / scale
    return float(np.nanmax(np.where(np.isnan(got64) & np.isnan(want64), 0.0, difference)))


def compiled_xgboost_predictor(
    booster: Any, iteration_range: tuple[int, int], probe: np.ndarray
) -> tuple[NativeForestPredictor | None, str]:
    """The compiled predictor and "", or None and why it is not used."""
    try:
        predictor = NativeForestPredictor(forest_from_booster(booster, iteration_range))
    except (Unsupported, NativeUnavailable) as exc:
        return None, str(exc)
    except Exception as exc:  # an unexpected model file layout: XGBoost stays in charge
        return None, f"{type(exc).__name__}: {exc}"
    probe = np.ascontiguousarray(probe, dtype=np.float32)
    want = booster.inplace_predict(probe, iteration_range=iteration_range, validate_features=False)
    for rows in (probe[:1], probe):
        difference = max_difference(predictor(rows), want[: len(rows)])
        if not difference <= TOLERANCE:
            return None, f"its predictions differ from XGBoost's by {difference:.3g} on probe rows"
    return predictor, ""
