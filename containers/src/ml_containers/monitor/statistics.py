"""Model Monitor's ``statistics.json`` and ``constraints.json`` for a table of feature columns.

The formats are SageMaker's (developer guide: "Schema for Statistics (statistics.json file)",
"Schema for Constraints (constraints.json file)"), so a baseline written here can be attached
to a model package and read by SageMaker Studio, and the prebuilt container could read it too.

What the KLL sketch holds here: Model Monitor stores a compacted KLL quantile sketch of each
numeric column. We store the exact sorted values when there are at most ``SKETCH_SIZE`` of
them, else ``SKETCH_SIZE`` evenly spaced quantiles: the same role (a quantile summary the
drift tests read back), simpler, and exact for the small tables a demo trains on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT_VERSION = 0
SKETCH_SIZE = 2048
HISTOGRAM_BUCKETS = 10
FRACTIONAL, INTEGRAL, STRING = "Fractional", "Integral", "String"


@dataclass(frozen=True)
class Column:
    """One feature's values: ``numeric`` floats (NaN = missing) or text (None = missing)."""

    name: str
    kind: str  # FRACTIONAL, INTEGRAL or STRING
    values: Any  # np.ndarray of float64 for numbers, list[str | None] for strings


def numeric_column(name: str, values: Sequence[float] | np.ndarray, integral: bool) -> Column:
    return Column(name, INTEGRAL if integral else FRACTIONAL, np.asarray(values, dtype=np.float64))


def string_column(name: str, values: Sequence[str | None]) -> Column:
    return Column(name, STRING, [None if v is None else str(v) for v in values])


def dataset_statistics(columns: Sequence[Column]) -> dict[str, Any]:
    """The ``statistics.json`` document of ``columns`` (all of the same length)."""
    rows = len(columns[0].values) if columns else 0
    return {
        "version": FORMAT_VERSION,
        "dataset": {"item_count": rows},
        "features": [_feature_statistics(column) for column in columns],
    }


def dataset_constraints(statistics: Mapping[str, Any]) -> dict[str, Any]:
    """The ``constraints.json`` Model Monitor's baselining job would suggest for these
    statistics: each feature's type and completeness, non-negativity of numbers, and the
    observed domain of categorical features."""
    features = []
    for feature in statistics["features"]:
        kind = feature["inferred_type"]
        entry: dict[str, Any] = {"name": feature["name"], "inferred_type": kind}
        if kind == STRING:
            section = feature["string_statistics"]
            buckets = section["distribution"]["categorical"]["buckets"]
            entry["completeness"] = _completeness(section["common"])
            entry["string_constraints"] = {"domains": [b["value"] for b in buckets]}
        else:
            section = feature["numerical_statistics"]
            entry["completeness"] = _completeness(section["common"])
            entry["num_constraints"] = {"is_non_negative": bool(section.get("min", 0.0) >= 0)}
        features.append(entry)
    return {
        "version": FORMAT_VERSION,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": 0.1,
                "comparison_method": "Robust",
            },
        },
    }


def sketch_values(feature: Mapping[str, Any]) -> np.ndarray:
    """The sorted values (or quantiles) a numeric feature's sketch holds."""
    data = feature["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"]
    flat = [float(v) for row in data for v in row]
    return np.sort(np.asarray(flat, dtype=np.float64))


def category_counts(feature: Mapping[str, Any]) -> dict[str, int]:
    """``{value: count}`` of a string feature's categorical distribution."""
    buckets = feature["string_statistics"]["distribution"]["categorical"]["buckets"]
    return {str(b["value"]): int(b["count"]) for b in buckets}


def _feature_statistics(column: Column) -> dict[str, Any]:
    if column.kind == STRING:
        return _string_statistics(column)
    values = np.asarray(column.values, dtype=np.float64)
    present = values[~np.isnan(values)]
    common = {"num_present": int(present.size), "num_missing": int(values.size - present.size)}
    section: dict[str, Any] = {"common": common}
    if present.size:
        section.update(
            mean=float(present.mean()),
            sum=float(present.sum()),
            std_dev=float(present.std()),
            min=float(present.min()),
            max=float(present.max()),
        )
    else:
        section.update(mean=0.0, sum=0.0, std_dev=0.0, min=0.0, max=0.0)
    section["distribution"] = {
        "kll": {
            "buckets": _histogram(present),
            "sketch": {
                "parameters": {"c": 0.64, "k": float(SKETCH_SIZE)},
                "data": [_sketch(present)],
            },
        }
    }
    return {"name": column.name, "inferred_type": column.kind, "numerical_statistics": section}


def _string_statistics(column: Column) -> dict[str, Any]:
    counts: dict[str, int] = {}
    missing = 0
    for value in column.values:
        if value is None or value == "":
            missing += 1
        else:
            counts[value] = counts.get(value, 0) + 1
    buckets = [{"value": v, "count": c} for v, c in sorted(counts.items())]
    return {
        "name": column.name,
        "inferred_type": STRING,
        "string_statistics": {
            "common": {"num_present": len(column.values) - missing, "num_missing": missing},
            "distinct_count": float(len(counts)),
            "distribution": {"categorical": {"buckets": buckets}},
        },
    }


def _histogram(present: np.ndarray) -> list[dict[str, float]]:
    """Equal-width buckets between min and max, as Model Monitor draws them."""
    if present.size == 0:
        return []
    low, high = float(present.min()), float(present.max())
    if low == high:
        return [{"lower_bound": low, "upper_bound": high, "count": float(present.size)}]
    counts, edges = np.histogram(present, bins=HISTOGRAM_BUCKETS, range=(low, high))
    return [
        {"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(c)}
        for i, c in enumerate(counts)
    ]


def _sketch(present: np.ndarray) -> list[float]:
    ordered = np.sort(present)
    if ordered.size > SKETCH_SIZE:
        ordered = np.quantile(ordered, np.linspace(0.0, 1.0, SKETCH_SIZE))
    return [float(v) for v in ordered]


def _completeness(common: Mapping[str, Any]) -> float:
    total = float(common["num_present"]) + float(common["num_missing"])
    return 1.0 if total == 0 else float(common["num_present"]) / total


def is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
