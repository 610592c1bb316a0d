"""The AWS backend's metric sink: ``monitor run``'s datapoints to CloudWatch with PutMetricData.

Limits, from botocore's CloudWatch service model (``PutMetricData``): the operation's
documentation says "Each request is also limited to no more than 1000 different metrics" and
"Each PutMetricData request is limited to 1 MB in size"; the ``Dimensions`` list of a datum has
``max: 30`` and a ``Dimension``'s ``Value`` ``min: 1, max: 1024``; ``MetricName`` and
``Namespace`` are 1-255 characters. A drift report's datapoints (three per run, one per feature)
have two dimensions each and are well under 1 KB, so batches of 1000 stay far below 1 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestrator.backends.aws.clients import aws_errors
from orchestrator.backends.metrics import Datapoint

MAX_DATA_PER_CALL = 1000  # PutMetricData: "no more than 1000 different metrics" per request
MAX_DIMENSIONS = 30  # botocore: Dimensions max 30
MAX_DIMENSION_VALUE = 1024  # botocore: Dimension.Value max 1024


class CloudWatchMetricSink:
    """Publishes with the caller's credentials; the orchestrator policy allows PutMetricData only
    in the ad-hoc monitoring namespace (``cloudwatch:namespace`` condition, modules/iam)."""

    def __init__(self, cloudwatch: Any) -> None:
        self.cloudwatch = cloudwatch

    def publish(self, namespace: str, points: Sequence[Datapoint], folder: Path) -> dict[str, Any]:
        calls = 0
        for first in range(0, len(points), MAX_DATA_PER_CALL):
            batch = points[first : first + MAX_DATA_PER_CALL]
            data = [_checked(point).metric_datum() for point in batch]
            with aws_errors(f"publish metrics (cloudwatch:PutMetricData, namespace {namespace})"):
                self.cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)
            calls += 1
        return {
            "published": True,
            "destination": "cloudwatch",
            "namespace": namespace,
            "datapoints": len(points),
            "calls": calls,
        }


def _checked(point: Datapoint) -> Datapoint:
    """The datapoint with its dimension values cut to CloudWatch's 1024 characters."""
    if len(point.dimensions) > MAX_DIMENSIONS:
        raise ValueError(f"{point.name} has more than {MAX_DIMENSIONS} dimensions")
    dimensions = tuple((name, value[:MAX_DIMENSION_VALUE]) for name, value in point.dimensions)
    if dimensions == point.dimensions:
        return point
    return Datapoint(point.name, point.value, point.unit, dimensions, point.timestamp)
