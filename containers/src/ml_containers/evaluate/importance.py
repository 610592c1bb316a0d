"""Feature importance for the evaluation report: permutation importance on the test split.

Why permutation and not the model's own scores: the bundle may hold XGBoost, a scikit-learn
estimator (skops) or an ONNX graph, and only XGBoost reports per-feature gain. Shuffling one
column of the test features and measuring how much the run's gate metric worsens works for
every format and every problem type, and it measures what the gate measures, on data the model
never saw (Breiman 2001; scikit-learn's ``permutation_importance`` computes the same quantity).

The sample is capped at ``MAX_ROWS`` rows and each column is shuffled ``REPEATS`` times with a
fixed seed, so the figure is the same on a rerun and costs at most
``features * REPEATS`` predictions of ``MAX_ROWS`` rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..metrics import scalar_metrics
from ..schema import ProblemType
from .gate import Gate

MAX_ROWS = 2000
REPEATS = 3
SEED = 0

Predict = Callable[[np.ndarray], np.ndarray]


def _worsening(gate: Gate, baseline: float, value: float) -> float:
    """How much ``value`` is worse than ``baseline`` in the gate's direction (negative: better)."""
    return baseline - value if gate.higher_is_better else value - baseline


def permutation_importance(
    problem_type: ProblemType,
    predict: Predict,
    features: np.ndarray,
    labels: np.ndarray,
    feature_names: list[str],
    gate: Gate,
) -> dict[str, Any]:
    """Per feature, the mean and standard deviation of the gate metric's worsening when that
    feature's column is shuffled; features sorted by mean, most important first. The labels
    never change, so a metric the baseline can compute the shuffled runs can compute too (the
    caller has already turned a single-class test split into a job failure)."""
    rng = np.random.default_rng(SEED)
    if labels.size > MAX_ROWS:
        rows = np.sort(rng.choice(labels.size, size=MAX_ROWS, replace=False))
        features, labels = features[rows], labels[rows]
    baseline = scalar_metrics(problem_type, labels, predict(features))[gate.metric]
    found: list[tuple[float, float, str]] = []
    shuffled = np.array(features, copy=True)  # one copy; each column is put back after its turn
    for column, name in enumerate(feature_names):
        worsening = []
        for _ in range(REPEATS):
            shuffled[:, column] = rng.permutation(features[:, column])
            value = scalar_metrics(problem_type, labels, predict(shuffled))[gate.metric]
            worsening.append(_worsening(gate, baseline, value))
        shuffled[:, column] = features[:, column]
        found.append(
            (round(float(np.mean(worsening)), 6), round(float(np.std(worsening)), 6), name)
        )
    found.sort(key=lambda entry: (-entry[0], entry[2]))
    return {
        "method": "permutation",
        "metric": gate.metric,
        "baseline": round(float(baseline), 6),
        "rows": int(labels.size),
        "repeats": REPEATS,
        "features": [{"feature": name, "mean": mean, "std": std} for mean, std, name in found],
    }
