"""The CloudWatch metrics of one ``orchestrator monitor run`` (docs/monitoring.md).

Published through the backend's :class:`~orchestrator.backends.metrics.MetricSink` (CloudWatch
on AWS, EMF lines beside the report locally) into the project's own namespace
``MLOps/ModelMonitor``, named like the serving container's ``MLOps/Serving`` and dimensioned like
it (``EndpointName``): never Model Monitor's ``aws/sagemaker/Endpoints/data-metrics``, where the
``<endpoint>-drift`` schedule publishes and its alarm watches, so a person's ad-hoc run of any
window can never raise or clear the scheduled alarm. The orchestrator's IAM policy allows
PutMetricData in exactly this namespace (``cloudwatch:namespace`` condition, modules/iam).

The metric names and meanings are the ``monitor`` container's (``ml_containers.monitor.outputs``):
``drift_detected`` (1 when the run's status is ``drift``, exit 1), ``drifted_features`` (count)
and ``rows_analyzed``; a feature's PSI is ``feature_psi`` with a ``Feature`` dimension (the
container names a metric per feature, which a dashboard cannot search by dimension).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from ml_containers.monitor.outputs import REPORT_FILE

from orchestrator.backends.base import Backend
from orchestrator.backends.metrics import Datapoint
from orchestrator.errors import OperationFailed, UserError

NAMESPACE = "MLOps/ModelMonitor"
ENDPOINT_DIMENSION = "EndpointName"
FEATURE_DIMENSION = "Feature"
PERMISSION = f"cloudwatch:PutMetricData with cloudwatch:namespace {NAMESPACE}"


class MetricsNotPublished(OperationFailed):
    """The report was written but its metrics were not published (exit 1)."""


def drift_datapoints(report: dict[str, Any], endpoint: str, when: datetime) -> list[Datapoint]:
    """The run's datapoints, all at ``when`` (the run's time: CloudWatch refuses datapoints
    older than two weeks, and a window may be older)."""
    base = ((ENDPOINT_DIMENSION, endpoint),)
    drift = 1.0 if report["status"] == "drift" else 0.0
    points = [
        Datapoint("drift_detected", drift, "None", base, when),
        Datapoint("drifted_features", float(len(report["drifted_features"])), "Count", base, when),
        Datapoint("rows_analyzed", float(report["rows"]), "Count", base, when),
    ]
    for feature in [*report["features"], *report["predictions"]]:
        psi = feature.get("psi")
        if isinstance(psi, int | float) and math.isfinite(psi):  # CloudWatch refuses NaN
            dimensions = (*base, (FEATURE_DIMENSION, str(feature["name"])))
            points.append(Datapoint("feature_psi", float(psi), "None", dimensions, when))
    return points


def publish(
    backend: Backend, report: dict[str, Any], folder: Path, when: datetime
) -> dict[str, Any]:
    """Publish the report's datapoints; what was done, for the report's ``metrics`` section.
    A refusal raises :class:`MetricsNotPublished` naming the permission (the report stays)."""
    points = drift_datapoints(report, backend.outputs.endpoint_name, when)
    try:
        return backend.metrics.publish(NAMESPACE, points, folder)
    except (UserError, OSError) as exc:
        raise MetricsNotPublished(
            f"the drift report is in {folder}, but its metrics were not published: {exc}. "
            f"`monitor run` needs {PERMISSION} (statement PublishAdHocDriftMetrics of the "
            "stack's orchestrator policy, terraform/modules/iam); attach that policy, or pass "
            "--no-metrics to skip publishing"
        ) from None


def publish_with_report(
    backend: Backend, report: dict[str, Any], folder: Path, when: datetime, enabled: bool
) -> None:
    """After the report files are written: publish (unless ``--no-metrics``), then record what
    was done as the report's ``metrics`` section, in ``drift_report.json`` too, also when
    publishing failed (the report is kept and the error re-raised)."""
    if not enabled:
        report["metrics"] = {"published": False, "reason": "--no-metrics"}
    else:
        try:
            report["metrics"] = publish(backend, report, folder, when)
        except MetricsNotPublished as exc:
            report["metrics"] = {"published": False, "namespace": NAMESPACE, "error": str(exc)}
            _rewrite(report, folder)
            raise
    _rewrite(report, folder)


def _rewrite(report: dict[str, Any], folder: Path) -> None:
    (folder / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n")
