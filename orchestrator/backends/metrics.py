"""The metrics seam: where ``orchestrator monitor run`` puts its CloudWatch datapoints, one
protocol for both backends.

On AWS the datapoints go to CloudWatch with PutMetricData (``backends/aws/metrics.py``); locally
the same datapoints are written as CloudWatch embedded metric format (EMF) lines into a file in
the report's folder, so a local run leaves the same data an AWS run publishes, in the format the
serving container's business metrics already use (docs/monitoring.md).

EMF (CloudWatch User Guide, "Specification: Embedded metric format",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
one JSON object per line whose ``_aws`` member holds ``Timestamp`` (ms since the epoch) and
``CloudWatchMetrics`` (``Namespace``, ``Dimensions``: dimension sets naming root members,
``Metrics``: ``{"Name", "Unit"}``); each value is the root member of its name. A dimension has one
value per line, so the datapoints are grouped by their dimension values, a line per group.

The protocol lives here, not in ``base.py`` (at the 400-line module limit); ``Backend.metrics``
holds one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["EMF_FILE", "Datapoint", "EmfFileSink", "MetricSink", "emf_lines"]

EMF_FILE = "drift_metrics.emf.jsonl"


@dataclass(frozen=True)
class Datapoint:
    """One value of one metric: ``unit`` a CloudWatch StandardUnit, ``dimensions`` (name, value)
    pairs in the order they are declared."""

    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...]
    timestamp: datetime

    def metric_datum(self) -> dict[str, Any]:
        """The PutMetricData ``MetricData`` member."""
        return {
            "MetricName": self.name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
            "Timestamp": self.timestamp,
            "Value": self.value,
            "Unit": self.unit,
        }


@runtime_checkable
class MetricSink(Protocol):
    """Publishes datapoints into a namespace; returns what was done (the report's ``metrics``
    section). A refused publication raises :class:`~orchestrator.errors.UserError`."""

    def publish(
        self, namespace: str, points: Sequence[Datapoint], folder: Path
    ) -> dict[str, Any]: ...


def emf_lines(namespace: str, points: Sequence[Datapoint]) -> list[dict[str, Any]]:
    """The datapoints as EMF events: one per timestamp and set of dimension values."""
    groups: dict[tuple[datetime, tuple[tuple[str, str], ...]], list[Datapoint]] = {}
    for point in points:
        groups.setdefault((point.timestamp, point.dimensions), []).append(point)
    lines = []
    for (when, dimensions), members in groups.items():
        line: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(when.timestamp() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        "Dimensions": [[name for name, _ in dimensions]],
                        "Metrics": [{"Name": p.name, "Unit": p.unit} for p in members],
                    }
                ],
            },
            **dict(dimensions),
        }
        line.update({p.name: p.value for p in members})
        lines.append(line)
    return lines


class EmfFileSink:
    """The local backend's sink: EMF lines in ``<folder>/drift_metrics.emf.jsonl``."""

    def publish(self, namespace: str, points: Sequence[Datapoint], folder: Path) -> dict[str, Any]:
        path = folder / EMF_FILE
        lines = emf_lines(namespace, points)
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        return {
            "published": True,
            "destination": "file",
            "namespace": namespace,
            "datapoints": len(points),
            "file": str(path),
        }
