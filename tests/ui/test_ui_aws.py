"""The Endpoints page's AWS side on moto: no endpoint yet is said so (no metrics invented), and
the last hour's latency, requests and errors come from CloudWatch GetMetricData per variant
(ModelLatency in microseconds shown as milliseconds)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orchestrator"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
from conformance_kit import aws_on_moto

from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.ui.aws_endpoint import QUERIES, endpoint_metrics
from orchestrator.ui.endpoints import endpoints_page


def test_no_endpoint_yet_is_said_and_cloudwatch_metrics_are_read(tmp_path: Path) -> None:
    with aws_on_moto(tmp_path) as backend:
        config = SimpleNamespace(name="dev", state_dir=tmp_path / "state")
        page = endpoints_page(backend, cast(EnvironmentConfig, config))
        assert page["live"]["status"] is None
        assert "does not exist yet" in page["live"]["note"]
        assert page["metrics"] is None and page["history"] == []
        monitoring = page["monitoring"]  # the schedule deploy converges, no report here yet
        assert monitoring["schedule"] == f"{backend.outputs.endpoint_name}-drift"
        assert (
            monitoring["reports"] == []
            and "orchestrator monitor run --env dev" in (monitoring["note"])
        )

        cloudwatch = boto3.client("cloudwatch", region_name=backend.endpoints.clients.region)
        at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
        dimensions = [
            {"Name": "EndpointName", "Value": backend.outputs.endpoint_name},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ]
        for name, value in (("ModelLatency", 12000.0), ("Invocations", 7.0),
                            ("Invocation5XXErrors", 1.0)):  # fmt: skip
            cloudwatch.put_metric_data(
                Namespace="AWS/SageMaker",
                MetricData=[{"MetricName": name, "Dimensions": dimensions, "Timestamp": at,
                             "Value": value}],
            )  # fmt: skip
        # moto's GetMetricData computes no percentiles, so p99 is left out here.
        no_percentiles = tuple(q for q in QUERIES if not q[2].startswith("p"))
        metrics = endpoint_metrics(backend, ["AllTraffic"], no_percentiles)
    assert metrics["requests_total"] == 7 and metrics["note"] is None
    assert len(metrics["labels"]) == 60
    assert 12.0 in metrics["latency_average_ms"]
    assert 1.0 in metrics["errors_5xx"]
    assert set(metrics["latency_p99_ms"]) == {None}  # not asked for: no value, none invented
