"""The drift statistics: one module, used by the ``monitor`` container and by
``orchestrator monitor run``, so a window is judged the same way locally and on SageMaker.

Per feature, the captured window is compared with the model's baseline (``statistics.json``):

* numeric: the population stability index (PSI) over the baseline's deciles, and the
  two-sample Kolmogorov-Smirnov test against the baseline's sketch;
* categorical: PSI over the categories, and the chi-squared test of homogeneity on the
  baseline's and the window's counts (a 2 x k contingency table, so the baseline's own sampling
  error counts too).

A feature drifts when its PSI reaches the threshold **and** its test is significant: PSI alone
flags small windows by chance (its expected value grows like bins/rows), a test alone flags
shifts too small to matter once windows are large. Missing values take no part in either; they
are judged by completeness. scipy does the tests (it comes with scikit-learn, already in the
image); docs/monitoring.md says why no drift library.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from .statistics import STRING, category_counts, sketch_values

PSI_FLOOR = 1e-4  # a bin's smallest proportion: keeps PSI finite for empty bins
OTHER = "(other)"


@dataclass(frozen=True)
class Thresholds:
    """When a feature drifts; the environment file's ``monitoring:`` section sets them."""

    psi: float = 0.2
    ks_alpha: float = 0.01
    chi2_alpha: float = 0.01
    min_rows: int = 100
    bins: int = 10
    completeness_drop: float = 0.1


@dataclass
class FeatureDrift:
    """One feature's comparison; ``histogram`` is what the HTML report plots."""

    name: str
    kind: str  # "numeric" or "categorical"
    rows: int
    psi: float
    test: str  # "ks" or "chi2"
    statistic: float
    p_value: float
    drifted: bool
    baseline_completeness: float
    completeness: float
    histogram: dict[str, list[Any]] = field(default_factory=dict)
    unknown_values: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two distributions over the same bins (counts or proportions)."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), 0.0)
    a = np.maximum(np.asarray(actual, dtype=np.float64), 0.0)
    if e.sum() == 0 or a.sum() == 0:
        return 0.0
    e = np.maximum(e / e.sum(), PSI_FLOOR)
    a = np.maximum(a / a.sum(), PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def quantile_edges(baseline: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the baseline's quantiles (duplicates merged, so a discrete feature
    gets fewer, never empty-by-construction, bins)."""
    if baseline.size == 0:
        return np.empty(0)
    inner = np.quantile(baseline, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: bin i holds edges[i-1] <= v < edges[i] (the first and last are open)."""
    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)


def numeric_drift(
    name: str, baseline: np.ndarray, current: np.ndarray, thresholds: Thresholds
) -> tuple[float, float, float, dict[str, list[Any]]]:
    """(PSI, KS statistic, KS p-value, histogram) of the present values."""
    edges = quantile_edges(baseline, thresholds.bins)
    expected, actual = bin_counts(baseline, edges), bin_counts(current, edges)
    value = psi(expected, actual)
    if baseline.size == 0 or current.size == 0:
        return value, 0.0, 1.0, {}
    result = scipy_stats.ks_2samp(current, baseline)
    labels = _edge_labels(edges)
    histogram = {
        "labels": labels,
        "baseline": _proportions(expected),
        "current": _proportions(actual),
    }
    return value, float(result.statistic), float(result.pvalue), histogram


def categorical_drift(
    baseline: Mapping[str, int], current: Mapping[str, int]
) -> tuple[float, float, float, dict[str, list[Any]]]:
    """(PSI, chi-squared statistic, p-value, histogram) of two category counts."""
    categories = sorted(set(baseline) | set(current))
    expected = np.array([baseline.get(c, 0) for c in categories], dtype=np.float64)
    actual = np.array([current.get(c, 0) for c in categories], dtype=np.float64)
    value = psi(expected, actual)
    table = np.vstack([expected, actual])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or expected.sum() == 0 or actual.sum() == 0:
        statistic, p_value = 0.0, 1.0
    else:
        result = scipy_stats.chi2_contingency(table, correction=False)
        statistic, p_value = float(result.statistic), float(result.pvalue)
    histogram = {
        "labels": categories,
        "baseline": _proportions(expected),
        "current": _proportions(actual),
    }
    return value, statistic, p_value, histogram


def compare_feature(
    feature: Mapping[str, Any], values: Sequence[Any], thresholds: Thresholds
) -> FeatureDrift:
    """One baseline feature (a ``statistics.json`` entry) against the window's raw values."""
    name = str(feature["name"])
    if feature["inferred_type"] == STRING:
        common = feature["string_statistics"]["common"]
        texts = [None if v is None or v == "" else str(v) for v in values]
        present = [t for t in texts if t is not None]
        counts: dict[str, int] = {}
        for text in present:
            counts[text] = counts.get(text, 0) + 1
        known = category_counts(feature)
        value, statistic, p_value, histogram = categorical_drift(known, counts)
        drifted = value >= thresholds.psi and p_value < thresholds.chi2_alpha
        unknown = sorted(set(counts) - set(known))
        kind, test = "categorical", "chi2"
    else:
        common = feature["numerical_statistics"]["common"]
        numbers = _as_floats(values)
        present_numbers = numbers[~np.isnan(numbers)]
        present = list(present_numbers)
        value, statistic, p_value, histogram = numeric_drift(
            name, sketch_values(feature), present_numbers, thresholds
        )
        drifted = value >= thresholds.psi and p_value < thresholds.ks_alpha
        unknown, kind, test = [], "numeric", "ks"
    return FeatureDrift(
        name=name,
        kind=kind,
        rows=len(values),
        psi=round(value, 6),
        test=test,
        statistic=round(statistic, 6),
        p_value=float(f"{p_value:.6g}"),
        drifted=bool(drifted),
        baseline_completeness=_completeness(common),
        completeness=round(len(present) / len(values), 6) if len(values) else 1.0,
        histogram=histogram,
        unknown_values=unknown,
    )


def violations_of(result: FeatureDrift, thresholds: Thresholds) -> list[dict[str, str]]:
    """Model Monitor's violation entries (``constraint_violations.json``) for one feature."""
    found = []
    if result.drifted:
        found.append(
            _violation(
                result.name,
                "baseline_drift_check",
                f"PSI {result.psi:.4g} >= {thresholds.psi:g} and {result.test} p-value "
                f"{result.p_value:.3g} < {_alpha(result, thresholds):g}",
            )
        )
    if result.unknown_values:
        shown = ", ".join(result.unknown_values[:5])
        found.append(
            _violation(
                result.name,
                "categorical_values_check",
                f"values outside the baseline's domain: {shown}",
            )
        )
    if result.completeness < result.baseline_completeness - thresholds.completeness_drop:
        found.append(
            _violation(
                result.name,
                "completeness_check",
                f"completeness {result.completeness:.3f} is below the baseline's "
                f"{result.baseline_completeness:.3f} by more than {thresholds.completeness_drop:g}",
            )
        )
    return found


def _violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def _alpha(result: FeatureDrift, thresholds: Thresholds) -> float:
    return thresholds.ks_alpha if result.test == "ks" else thresholds.chi2_alpha


def _as_floats(values: Sequence[Any]) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        if value is None or value == "":
            continue
        try:
            out[i] = float(value)
        except (TypeError, ValueError):
            continue
    out[~np.isfinite(out)] = np.nan
    return out


def _proportions(counts: np.ndarray) -> list[float]:
    total = float(counts.sum())
    return [round(float(c) / total, 6) if total else 0.0 for c in counts]


def _edge_labels(edges: np.ndarray) -> list[str]:
    if edges.size == 0:
        return ["all"]
    shown = [f"{e:.4g}" for e in edges]
    inner = [f"{a}-{b}" for a, b in itertools.pairwise(shown)]
    return [f"< {shown[0]}", *inner, f">= {shown[-1]}"]


def _completeness(common: Mapping[str, Any]) -> float:
    total = float(common["num_present"]) + float(common["num_missing"])
    return 1.0 if total == 0 else round(float(common["num_present"]) / total, 6)
