"""Choosing between the compiled trees (:mod:`ml_containers.forest`) and XGBoost, by measurement.

The compiled walker has almost no fixed cost per call (a few microseconds against XGBoost's tens
to hundreds), but on a large, deep model XGBoost's own predictor can walk many rows faster. So
both are timed at load on probe rows, and :class:`SizeDispatch` sends a request to the compiled
trees up to the row count where XGBoost becomes cheaper (for most models: every request).
``SERVE_COMPILED_TREES=0`` switches the compiled trees off.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..forest import NativeForestPredictor, compiled_xgboost_predictor
from ..forest.xgboost_trees import RawPath

log = logging.getLogger("serve")
ENV_SWITCH = "SERVE_COMPILED_TREES"
_SMALL, _LARGE = 1, 1024
Predictor = Callable[[np.ndarray], np.ndarray]


class SizeDispatch:
    """The compiled trees for requests of at most ``max_rows`` rows, XGBoost for larger ones."""

    __slots__ = ("compiled", "library", "max_rows")

    def __init__(self, compiled: Predictor, library: Predictor, max_rows: float) -> None:
        self.compiled = compiled
        self.library = library
        self.max_rows = max_rows

    def __call__(self, features: np.ndarray) -> np.ndarray:
        if features.shape[0] <= self.max_rows:
            return self.compiled(features)
        return self.library(features)


def compiled_or_none(
    booster: Any, iteration_range: tuple[int, int], library: Predictor, width: int
) -> tuple[SizeDispatch | None, str]:
    """A dispatcher using the compiled trees, or None and why (logged) XGBoost stays alone."""
    if os.environ.get(ENV_SWITCH, "1").strip() == "0":
        return None, f"compiled trees switched off (${ENV_SWITCH}=0)"
    probe = np.random.default_rng(0).standard_normal((_LARGE, width)).astype(np.float32)
    probe[0, :] = np.nan  # every value missing: the default branches
    probe[1, ::2] = np.nan
    probe[2:_LARGE:7, 1::3] = np.nan
    compiled, reason = compiled_xgboost_predictor(booster, iteration_range, probe)
    if compiled is None:
        log.warning("predicting with XGBoost: the trees cannot be compiled (%s)", reason)
        return None, reason
    max_rows = crossover_rows(compiled, library, probe)
    return SizeDispatch(compiled, library, max_rows), ""


def fused_raw_path(
    dispatch: SizeDispatch, mean: np.ndarray, scale: np.ndarray, binary: bool, reference: Any
) -> RawPath | None:
    """The one-call path (transform, trees, served layout) for complete all-numeric rows,
    when it answers probe rows exactly as ``reference`` (the model's own path) does."""
    compiled = dispatch.compiled
    if not isinstance(compiled, NativeForestPredictor):
        return None
    path = compiled.raw_path(mean, scale, binary)
    rng = np.random.default_rng(1)
    probe = mean + scale * rng.standard_normal((_LARGE, mean.size)) * 2
    for rows in (probe[:1], probe):
        got, want = path(rows), reference(rows)
        if got is None or got.shape != want.shape or not np.array_equal(got, want):
            log.warning("the fused numeric path differs from the model's own: not used")
            return None
    return path


def crossover_rows(compiled: Predictor, library: Predictor, probe: np.ndarray) -> float:
    """The largest request the compiled trees answer faster (inf: every size), from the
    fixed and per-row costs of both measured on ``probe``."""
    small = probe[:_SMALL]
    fixed_c, fixed_l = _best(compiled, small), _best(library, small)
    per_row_c = max(_best(compiled, probe) - fixed_c, 0.0) / (len(probe) - _SMALL)
    per_row_l = max(_best(library, probe) - fixed_l, 0.0) / (len(probe) - _SMALL)
    if per_row_c <= per_row_l:
        return float("inf")
    return max((fixed_l - fixed_c) / (per_row_c - per_row_l), 0.0)


def _best(predict: Predictor, rows: np.ndarray, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict(rows)
        best = min(best, time.perf_counter() - start)
    return best
