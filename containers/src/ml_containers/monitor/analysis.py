"""One monitoring run: a captured window against a baseline, as a report and violations.

The report is what both the container and the CLI write (``drift_report.json``); its
``violations`` are Model Monitor's ``constraint_violations.json`` entries. A window with no rows
is ``no_data`` and one below ``min_rows`` is ``insufficient_data``: no verdict either way, since
a handful of requests says nothing about a distribution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from .captured import PREDICTION, SCORE, CapturedWindow
from .drift import FeatureDrift, Thresholds, compare_feature, violations_of
from .statistics import STRING, Column, dataset_statistics, numeric_column, string_column

OUTPUT_FEATURES = (PREDICTION, SCORE)


class BaselineError(ValueError):
    """A baseline file is not Model Monitor's statistics/constraints format."""


def baseline_features(statistics: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(input feature names in request order, prediction columns) of a baseline."""
    try:
        names = [str(f["name"]) for f in statistics["features"]]
        for feature in statistics["features"]:
            if feature["inferred_type"] == STRING:
                feature["string_statistics"]["distribution"]["categorical"]["buckets"]
            else:
                feature["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"]
    except (KeyError, TypeError) as exc:
        raise BaselineError(
            f"the baseline statistics are not Model Monitor's statistics.json format (missing "
            f"{exc}); use the statistics.json the model's Evaluate step wrote"
        ) from None
    inputs = [n for n in names if n not in OUTPUT_FEATURES]
    if not inputs:
        raise BaselineError("the baseline statistics list no input feature")
    return inputs, [n for n in names if n in OUTPUT_FEATURES]


def domains(constraints: Mapping[str, Any]) -> dict[str, set[str]]:
    """The categorical domains a constraints.json allows, by feature."""
    try:
        features = constraints["features"]
        return {
            str(f["name"]): {str(v) for v in f["string_constraints"]["domains"]}
            for f in features
            if "string_constraints" in f
        }
    except (KeyError, TypeError) as exc:
        raise BaselineError(
            f"the baseline constraints are not Model Monitor's constraints.json format "
            f"(missing {exc}); use the constraints.json the model's Evaluate step wrote"
        ) from None


def analyze(
    statistics: Mapping[str, Any],
    constraints: Mapping[str, Any],
    window: CapturedWindow,
    thresholds: Thresholds,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """The drift report of ``window`` (read with the baseline's feature names)."""
    inputs, _ = baseline_features(statistics)
    allowed = domains(constraints)
    violations = _column_violations(window, len(inputs))
    features: list[FeatureDrift] = []
    predictions: list[FeatureDrift] = []
    if window.rows >= thresholds.min_rows:
        for feature in statistics["features"]:
            name = str(feature["name"])
            result = compare_feature(feature, window.columns[name], thresholds)
            result.unknown_values = sorted(set(result.unknown_values) - allowed.get(name, set()))
            (predictions if name in OUTPUT_FEATURES else features).append(result)
            violations.extend(violations_of(result, thresholds))
    if window.rows == 0:
        status = "no_data"
    elif window.rows < thresholds.min_rows:
        status = "insufficient_data"
    else:
        status = "drift" if violations else "ok"
    return {
        "status": status,
        "window": {
            "start": _iso(start),
            "end": _iso(end),
            "first_record": _iso(window.first),
            "last_record": _iso(window.last),
        },
        "records": window.records,
        "rows": window.rows,
        "rows_seen": max(window.rows_seen, window.rows),
        "undecodable_records": window.undecodable,
        "thresholds": asdict(thresholds),
        "drifted_features": [f.name for f in features if f.drifted],
        "drifted_predictions": [f.name for f in predictions if f.drifted],
        "features": [f.as_dict() for f in features],
        "predictions": [f.as_dict() for f in predictions],
        "violations": violations,
    }


def window_statistics(statistics: Mapping[str, Any], window: CapturedWindow) -> dict[str, Any]:
    """The window's own ``statistics.json``, with the baseline's feature names and types."""
    columns: list[Column] = []
    for feature in statistics["features"]:
        name, kind = str(feature["name"]), feature["inferred_type"]
        values = window.columns.get(name, [])
        if kind == STRING:
            columns.append(string_column(name, [None if v is None else str(v) for v in values]))
        else:
            columns.append(numeric_column(name, _floats(values), kind == "Integral"))
    return dataset_statistics(columns)


def _column_violations(window: CapturedWindow, width: int) -> list[dict[str, str]]:
    found = []
    for count, check, what in (
        (window.narrow_rows, "missing_column_check", "fewer"),
        (window.wide_rows, "extra_column_check", "more"),
    ):
        if count:
            found.append(
                {
                    "feature_name": "(request)",
                    "constraint_check_type": check,
                    "description": f"{count} captured rows have {what} than the baseline's "
                    f"{width} columns (left out of the comparison)",
                }
            )
    return found


def _floats(values: list[Any]) -> list[float]:
    out = []
    for value in values:
        try:
            out.append(float(value) if value not in (None, "") else float("nan"))
        except (TypeError, ValueError):
            out.append(float("nan"))
    return out


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None
