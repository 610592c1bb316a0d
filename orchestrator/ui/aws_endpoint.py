"""The SageMaker endpoint as the Endpoints page shows it: the live config (variants, weights,
instances) from DescribeEndpoint/DescribeEndpointConfig, and latency and errors of the last hour
from CloudWatch GetMetricData (the ``AWS/SageMaker`` namespace's per-variant metrics, one-minute
periods). Read only; reached through the AWS backend's own clients."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.backends.base import Backend

WINDOW_MINUTES = 60
# (query id, metric, statistic, scale): ModelLatency is in microseconds.
QUERIES = (
    ("latency_average_ms", "ModelLatency", "Average", 0.001),
    ("latency_p99_ms", "ModelLatency", "p99", 0.001),
    ("requests", "Invocations", "Sum", 1.0),
    ("errors_4xx", "Invocation4XXErrors", "Sum", 1.0),
    ("errors_5xx", "Invocation5XXErrors", "Sum", 1.0),
)


def _clients(backend: Backend) -> Any:
    clients = getattr(backend.endpoints, "clients", None)
    if clients is None:
        raise LookupError("this backend's endpoint manager has no AWS clients")
    return clients


def live_config(backend: Backend) -> dict[str, Any]:
    """The endpoint's status, config and variants with their weights, or why there are none."""
    from orchestrator.backends.aws.endpoint_lookups import (
        describe_endpoint,
        describe_endpoint_config,
    )

    sagemaker = _clients(backend).sagemaker
    name = backend.outputs.endpoint_name
    endpoint = describe_endpoint(sagemaker, name)
    if endpoint is None:
        return {"status": None, "note": f"endpoint {name} does not exist yet", "variants": []}
    config_name = str(endpoint.get("EndpointConfigName", ""))
    config = describe_endpoint_config(sagemaker, config_name) or {}
    types = {v["VariantName"]: v for v in config.get("ProductionVariants", [])}
    variants = []
    for variant in endpoint.get("ProductionVariants", []):
        configured = types.get(variant["VariantName"], {})
        variants.append(
            {
                "name": variant["VariantName"],
                "weight": variant.get("CurrentWeight"),
                "desired_weight": variant.get("DesiredWeight"),
                "instances": variant.get("CurrentInstanceCount"),
                "instance_type": configured.get("InstanceType"),
                "serverless": configured.get("ServerlessConfig"),
            }
        )
    return {
        "status": endpoint.get("EndpointStatus"),
        "config": config_name,
        "failure_reason": endpoint.get("FailureReason"),
        "variants": variants,
        "note": None,
    }


def _query(index: int, variant: str, endpoint: str, query: tuple[str, str, str, float]) -> Any:
    dimensions = [
        {"Name": "EndpointName", "Value": endpoint},
        {"Name": "VariantName", "Value": variant},
    ]
    return {
        "Id": f"q{index}",
        "Label": f"{query[0]}|{variant}",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": query[1],
                "Dimensions": dimensions,
            },
            "Period": 60,
            "Stat": query[2],
        },
        "ReturnData": True,
    }


def endpoint_metrics(
    backend: Backend,
    variants: list[str],
    queries_of: tuple[tuple[str, str, str, float], ...] = QUERIES,
) -> dict[str, Any]:
    """Per-minute latency (ms), requests and 4xx/5xx errors of the last hour, every variant
    together (counts summed, latency the highest variant's)."""
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=WINDOW_MINUTES)
    minutes = [start + timedelta(minutes=m) for m in range(WINDOW_MINUTES)]
    queries: list[dict[str, Any]] = []
    kinds: dict[str, tuple[str, str, str, float]] = {}
    for variant in variants:
        for query in queries_of:
            kinds[f"q{len(queries)}"] = query
            queries.append(_query(len(queries), variant, backend.outputs.endpoint_name, query))
    values: dict[str, dict[datetime, float]] = {q[0]: {} for q in QUERIES}  # every key shown
    cloudwatch = _clients(backend).cloudwatch
    request: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
    while queries:
        page = cloudwatch.get_metric_data(**request)
        for result in page.get("MetricDataResults", []):
            name, _metric, stat, scale = kinds[result["Id"]]
            for at, value in zip(
                result.get("Timestamps", []), result.get("Values", []), strict=False
            ):
                minute = at.astimezone(UTC).replace(second=0, microsecond=0)
                old = values[name].get(minute)
                merged = (
                    value * scale
                    if old is None
                    else (old + value * scale if stat == "Sum" else max(old, value * scale))
                )
                values[name][minute] = merged
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    total = int(sum(values["requests"].values()))
    shown = {name: [values[name].get(m) for m in minutes] for name, *_rest in QUERIES}
    return {
        "source": "CloudWatch AWS/SageMaker metrics (GetMetricData, one-minute periods)",
        "requests_total": total,
        "note": None if total else "CloudWatch has no invocation of this endpoint in the last hour",
        "labels": [time.strftime("%H:%M", time.localtime(m.timestamp())) for m in minutes],
        **shown,
    }
