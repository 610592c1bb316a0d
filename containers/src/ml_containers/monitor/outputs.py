"""What a monitoring run leaves behind: the report files and CloudWatch metric lines.

Both the container (into ``output_path``) and ``orchestrator monitor run --report DIR`` write
the same files, so a report looks the same wherever it ran. The metric lines follow "CloudWatch
Metrics for Bring Your Own Containers" (SageMaker developer guide): one PutMetricData-shaped
JSON object per line under ``/opt/ml/output/metrics/cloudwatch``, which SageMaker publishes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .html import render

VIOLATIONS_FILE = "constraint_violations.json"
STATISTICS_FILE = "statistics.json"
REPORT_FILE = "drift_report.json"
HTML_FILE = "drift_report.html"
METRICS_FILE = "drift_metrics.jsonl"


def write_report(
    report: dict[str, Any], statistics: dict[str, Any] | None, directory: Path
) -> list[Path]:
    """Write the violations, the window's statistics, the JSON report and its HTML page."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {
        VIOLATIONS_FILE: {"violations": report["violations"]},
        REPORT_FILE: report,
    }
    if statistics is not None:
        written[STATISTICS_FILE] = statistics
    paths = []
    for name, document in written.items():
        path = directory / name
        path.write_text(json.dumps(document, indent=2) + "\n")
        paths.append(path)
    html = directory / HTML_FILE
    html.write_text(render(report))
    paths.append(html)
    return paths


def metric_lines(
    report: dict[str, Any], endpoint: str, schedule: str, when: datetime
) -> list[dict[str, Any]]:
    """The run's metrics: PSI per feature (the built-in container's metric name), whether
    anything drifted, how many features did, and how many rows were read."""
    timestamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    dimensions = [
        {"Name": "Endpoint", "Value": endpoint},
        {"Name": "MonitoringSchedule", "Value": schedule},
    ]

    def metric(name: str, value: float, unit: str = "None") -> dict[str, Any]:
        return {
            "MetricName": name,
            "Timestamp": timestamp,
            "Dimensions": dimensions,
            "Value": float(value),
            "Unit": unit,
        }

    lines = [
        metric(f"feature_baseline_drift_{f['name']}", f["psi"])
        for f in [*report["features"], *report["predictions"]]
    ]
    if report["status"] in ("ok", "drift"):
        lines.append(metric("drift_detected", 1.0 if report["status"] == "drift" else 0.0))
        lines.append(metric("drifted_features", len(report["drifted_features"]), "Count"))
    lines.append(metric("rows_analyzed", report["rows"], "Count"))
    return lines


def write_metrics(lines: list[dict[str, Any]], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / METRICS_FILE
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path
