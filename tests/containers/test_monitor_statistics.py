"""The drift statistics (issue 19) on distributions whose answer is known: PSI by hand, KS and
chi-squared against scipy's definitions, and every rule of the verdict fed its violation (drift
needs PSI *and* significance; unknown categories, completeness, column counts, too few rows)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ml_containers.monitor.analysis import BaselineError, analyze, baseline_features
from ml_containers.monitor.captured import CapturedWindow
from ml_containers.monitor.drift import (
    Thresholds,
    bin_counts,
    categorical_drift,
    compare_feature,
    numeric_drift,
    psi,
    quantile_edges,
)
from ml_containers.monitor.statistics import (
    dataset_constraints,
    dataset_statistics,
    numeric_column,
    string_column,
)

RNG = np.random.default_rng(19)
RULES = Thresholds()


def test_psi_is_zero_for_equal_distributions_and_matches_the_formula() -> None:
    assert psi(np.array([25, 25, 50]), np.array([50, 50, 100])) == 0.0
    expected = sum((a - e) * math.log(a / e) for e, a in [(0.5, 0.2), (0.5, 0.8)])
    assert psi(np.array([0.5, 0.5]), np.array([0.2, 0.8])) == pytest.approx(expected)
    # An empty bin is floored, not infinite.
    assert math.isfinite(psi(np.array([1.0, 0.0]), np.array([0.5, 0.5])))


def test_quantile_bins_split_the_baseline_evenly_and_merge_ties() -> None:
    baseline = np.arange(1000, dtype=float)
    edges = quantile_edges(baseline, 10)
    assert edges.size == 9
    assert bin_counts(baseline, edges).tolist() == [100] * 10
    assert quantile_edges(np.array([1.0] * 50 + [2.0] * 50), 10).tolist() == [1.0, 1.5, 2.0]


def test_ks_and_psi_see_a_shift_and_not_a_resample() -> None:
    baseline = np.sort(RNG.normal(0, 1, 4000))
    same = RNG.normal(0, 1, 500)
    value, _, p_value, histogram = numeric_drift("x", baseline, same, RULES)
    assert value < 0.1 and p_value > 0.01
    assert sum(histogram["baseline"]) == pytest.approx(1) and len(histogram["labels"]) == 10
    value, statistic, p_value, _ = numeric_drift("x", baseline, same + 1.0, RULES)
    assert value > 0.5 and statistic > 0.3 and p_value < 1e-20


def test_chi_squared_sees_changed_proportions_and_not_equal_ones() -> None:
    baseline = {"a": 500, "b": 300, "c": 200}
    value, statistic, p_value, _ = categorical_drift(baseline, {"a": 250, "b": 150, "c": 100})
    assert value == pytest.approx(0.0, abs=1e-9) and statistic == pytest.approx(0.0)
    assert p_value == pytest.approx(1.0)
    value, _, p_value, histogram = categorical_drift(baseline, {"a": 100, "b": 150, "c": 250})
    assert value > 0.5 and p_value < 1e-20
    assert histogram["labels"] == ["a", "b", "c"]


def numeric_feature(values: np.ndarray) -> dict:  # type: ignore[type-arg]
    return dataset_statistics([numeric_column("x", values, integral=False)])["features"][0]


def test_drift_needs_psi_and_significance() -> None:
    feature = numeric_feature(RNG.normal(0, 1, 2000))
    # 8 rows of the same distribution: PSI is large (most bins are empty), the test is not.
    few = compare_feature(feature, list(RNG.normal(0, 1, 8)), RULES)
    assert few.psi >= RULES.psi and few.p_value >= RULES.ks_alpha and not few.drifted
    # A tiny shift on 200k rows: significant, but too small to matter.
    tiny = compare_feature(feature, list(RNG.normal(0.1, 1, 200_000)), RULES)
    assert tiny.p_value < RULES.ks_alpha and tiny.psi < RULES.psi and not tiny.drifted
    both = compare_feature(feature, list(RNG.normal(1.5, 1, 500)), RULES)
    assert both.drifted and both.test == "ks"


def test_categories_outside_the_domain_and_missing_values_are_violations() -> None:
    statistics = dataset_statistics([string_column("c", ["a"] * 600 + ["b"] * 400)])
    feature = statistics["features"][0]
    result = compare_feature(feature, ["a"] * 280 + ["b"] * 150 + ["zzz"] * 10 + [None] * 60, RULES)
    assert result.unknown_values == ["zzz"] and result.completeness == pytest.approx(0.88)
    report = analyze(statistics, dataset_constraints(statistics), window({"c": None}), RULES)
    checks = {v["constraint_check_type"] for v in report["violations"]}
    assert checks == {"categorical_values_check", "completeness_check"}
    assert report["status"] == "drift" and report["drifted_features"] == []


def window(columns: dict) -> CapturedWindow:  # type: ignore[type-arg]
    values = ["a"] * 280 + ["b"] * 150 + ["zzz"] * 10 + [None] * 60
    filled = {name: (values if v is None else v) for name, v in columns.items()}
    return CapturedWindow(columns=filled, rows=len(next(iter(filled.values()))))


def test_rows_of_another_width_are_left_out_and_named() -> None:
    statistics = dataset_statistics([numeric_column("x", RNG.normal(0, 1, 500), False)])
    captured = CapturedWindow(columns={"x": list(RNG.normal(0, 1, 300))}, rows=300)
    captured.narrow_rows, captured.wide_rows = 2, 3
    report = analyze(statistics, dataset_constraints(statistics), captured, RULES)
    checks = [v["constraint_check_type"] for v in report["violations"]]
    assert checks == ["missing_column_check", "extra_column_check"]


def test_no_rows_and_too_few_rows_give_no_verdict() -> None:
    statistics = dataset_statistics([numeric_column("x", RNG.normal(0, 1, 500), False)])
    constraints = dataset_constraints(statistics)
    empty = analyze(statistics, constraints, CapturedWindow(columns={"x": []}), RULES)
    assert empty["status"] == "no_data" and empty["features"] == []
    shifted = list(RNG.normal(5, 1, 50))
    few = analyze(statistics, constraints, CapturedWindow(columns={"x": shifted}, rows=50), RULES)
    assert few["status"] == "insufficient_data" and few["violations"] == []


def test_a_baseline_in_another_format_is_refused_by_name() -> None:
    with pytest.raises(BaselineError, match=r"statistics\.json format"):
        baseline_features({"features": [{"name": "x", "inferred_type": "Fractional"}]})
    with pytest.raises(BaselineError, match="no input feature"):
        baseline_features(dataset_statistics([string_column("_prediction", ["a"])]))
