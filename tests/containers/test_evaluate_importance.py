"""Permutation importance (``evaluate/importance.py``) on models whose answer is known: a model
that reads only some columns must give the others exactly zero, in the gate's direction."""

from __future__ import annotations

import numpy as np
from ml_containers.evaluate.gate import Gate
from ml_containers.evaluate.importance import MAX_ROWS, permutation_importance
from ml_containers.schema import ProblemType

RNG = np.random.default_rng(7)
FEATURES = RNG.normal(size=(600, 4))
NAMES = ["signal", "weak", "unused_a", "unused_b"]


def regression_model(features: np.ndarray) -> np.ndarray:
    return 3.0 * features[:, 0] + 0.3 * features[:, 1]


def binary_model(features: np.ndarray) -> np.ndarray:
    positive = 1.0 / (1.0 + np.exp(-(4.0 * features[:, 0] + 0.4 * features[:, 1])))
    return np.column_stack([1.0 - positive, positive])


def by_name(report: dict) -> dict[str, dict]:
    return {entry["feature"]: entry for entry in report["features"]}


def test_an_error_metric_ranks_the_columns_the_model_reads_and_zeroes_the_rest() -> None:
    labels = regression_model(FEATURES)
    gate = Gate("rmse", 1.0, higher_is_better=False)
    report = permutation_importance(
        ProblemType.REGRESSION, regression_model, FEATURES, labels, NAMES, gate
    )
    found = by_name(report)
    assert [entry["feature"] for entry in report["features"]][:2] == ["signal", "weak"]
    assert found["signal"]["mean"] > found["weak"]["mean"] > 0  # rmse grows: positive worsening
    assert found["unused_a"] == {"feature": "unused_a", "mean": 0.0, "std": 0.0}
    assert found["unused_b"]["mean"] == 0.0
    assert report["baseline"] == 0.0 and report["metric"] == "rmse"


def test_a_score_metric_counts_a_fall_as_worsening() -> None:
    labels = (FEATURES[:, 0] + 0.1 * FEATURES[:, 1] > 0).astype(np.int64)
    gate = Gate("auc", 0.5, higher_is_better=True)
    report = permutation_importance(ProblemType.BINARY, binary_model, FEATURES, labels, NAMES, gate)
    found = by_name(report)
    assert found["signal"]["mean"] > 0.3  # AUC falls towards 0.5 without the signal
    assert found["unused_a"]["mean"] == found["unused_b"]["mean"] == 0.0
    assert report["features"][0]["feature"] == "signal"


def test_the_same_inputs_give_the_same_figures() -> None:
    labels = regression_model(FEATURES)
    gate = Gate("rmse", 1.0, higher_is_better=False)
    once = permutation_importance(
        ProblemType.REGRESSION, regression_model, FEATURES, labels, NAMES, gate
    )
    again = permutation_importance(
        ProblemType.REGRESSION, regression_model, FEATURES, labels, NAMES, gate
    )
    assert once == again


def test_a_large_test_split_is_sampled_to_a_fixed_size() -> None:
    features = RNG.normal(size=(MAX_ROWS + 500, 4))
    calls: list[int] = []

    def counting(rows: np.ndarray) -> np.ndarray:
        calls.append(len(rows))
        return regression_model(rows)

    gate = Gate("mae", 1.0, higher_is_better=False)
    report = permutation_importance(
        ProblemType.REGRESSION, counting, features, regression_model(features), NAMES, gate
    )
    assert report["rows"] == MAX_ROWS
    assert set(calls) == {MAX_ROWS}
    assert len(calls) == 1 + len(NAMES) * report["repeats"]
