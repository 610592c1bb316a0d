"""``orchestrator endpoint-test``: does the deployment answer as its evaluation said it would?

The serving version recorded where its held-out rows are (``test_data``: Preprocess's
``batch.csv`` and the row-aligned ``labels.csv``, or their parts from several preprocessing
hosts, read by ``orchestrator/heldout.py``; the split Evaluate scored). The test sends
those rows to the endpoint in CSV requests, computes the version's gate metric from the answers
with the same metric code Evaluate runs, and passes when it is within the environment's
tolerance of the registered value and the p99 request latency is within its budget. A model
that scores differently behind the endpoint than in evaluation (another image, a serving bug,
skewed preprocessing) fails here, before promotion, with exit 1.

Locally an endpoint lives only as long as a command, so the test first serves the
environment's latest Approved version (recorded in the deployment history like any deploy).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from ml_containers.metrics import MetricsError, scalar_metrics
from ml_containers.schema import DatasetSchema, ProblemType

from orchestrator.backends.base import Backend, Progress
from orchestrator.backends.model_registry import ModelPackage, RegistryError
from orchestrator.backends.model_registry import parse_model_package_arn as parse_arn
from orchestrator.backends.polling import PollSettings
from orchestrator.errors import OperationFailed, UserError
from orchestrator.flows.deploy import serve
from orchestrator.flows.models import GroupChoice, resolve
from orchestrator.flows.pipeline import read_dataset_schema
from orchestrator.heldout import package_held_out
from orchestrator.settings.endpoint import EndpointTestSettings


@dataclass(frozen=True)
class EndpointTestResult:
    """What the test measured and whether the deployment passes."""

    endpoint: str
    model: str
    metric: str
    registered: float
    measured: float
    tolerance: float
    rows: int
    requests: int
    p99_latency_ms: float
    latency_budget_ms: float
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "problems": list(self.problems), "passed": self.passed}


def endpoint_test(
    backend: Backend,
    settings: EndpointTestSettings,
    group: GroupChoice,
    poll: PollSettings,
    progress: Progress,
) -> EndpointTestResult:
    """Test the version serving on the environment's endpoint (locally: serve it first)."""
    package = _serving(backend, group, poll, progress)
    schema, metric = _contract(backend, package)
    rows, labels = _held_out(backend, package, schema, settings.max_rows)
    progress(f"sending {len(rows)} held-out rows to {backend.endpoints.endpoint_name}")
    predictions, latencies = _ask(backend, schema, rows, settings.rows_per_request)
    measured = _score(schema, metric, labels, predictions)
    registered = package.metrics.get(metric)
    if registered is None:
        raise UserError(f"{package.group} v{package.version} has no registered {metric} metric")
    p99 = float(np.percentile(latencies, 99))
    problems = []
    if not math.isclose(measured, registered, abs_tol=settings.tolerance):
        problems.append(
            f"{metric} behind the endpoint is {measured:.4f}, the evaluation registered "
            f"{registered:.4f}: off by {abs(measured - registered):.4f}, more than the "
            f"tolerance {settings.tolerance}"
        )
    if p99 > settings.p99_latency_ms:
        problems.append(
            f"p99 request latency is {p99:.1f} ms, over the budget of "
            f"{settings.p99_latency_ms:g} ms (endpoint.test.p99_latency_ms)"
        )
    return EndpointTestResult(
        endpoint=backend.endpoints.endpoint_name,
        model=f"{package.group} v{package.version}",
        metric=metric,
        registered=registered,
        measured=measured,
        tolerance=settings.tolerance,
        rows=len(rows),
        requests=len(latencies),
        p99_latency_ms=round(p99, 1),
        latency_budget_ms=settings.p99_latency_ms,
        problems=tuple(problems),
    )


def _serving(
    backend: Backend, group: GroupChoice, poll: PollSettings, progress: Progress
) -> ModelPackage:
    if backend.serves_after_run:  # a local endpoint lives as long as this command
        package = resolve(backend, None, group, purpose="tested")
        serve(backend, package, poll, progress, "endpoint-test")
        return package
    arn = backend.endpoints.serving()
    if arn is None:
        raise UserError(
            f"nothing serves on endpoint {backend.endpoints.endpoint_name}; deploy a version "
            "first (`orchestrator deploy`)"
        )
    try:
        return backend.registry.get(*parse_arn(arn))
    except RegistryError as exc:
        raise UserError(
            f"the endpoint serves {arn}, which the registry cannot give: {exc}"
        ) from None


def _contract(backend: Backend, package: ModelPackage) -> tuple[DatasetSchema, str]:
    """The version's dataset schema and gate metric, from its registered lineage."""
    uri, metric = package.metadata.get("schema_uri"), package.metadata.get("gate_metric")
    if not uri or not metric:
        raise UserError(
            f"{package.group} v{package.version} records no schema_uri or gate_metric (it was "
            "registered outside the pipeline); deploy a version the pipeline registered"
        )
    return read_dataset_schema(backend, uri + "schema.yaml" if uri.endswith("/") else uri), metric


def _held_out(
    backend: Backend, package: ModelPackage, schema: DatasetSchema, limit: int
) -> tuple[list[str], list[str]]:
    """(the held-out rows without their ID columns, their labels), row-aligned."""
    features, labels = package_held_out(backend, package, schema)
    return features[:limit], labels[:limit]


def _ask(
    backend: Backend, schema: DatasetSchema, rows: list[str], per_request: int
) -> tuple[list[dict[str, Any]], list[float]]:
    predictions: list[dict[str, Any]] = []
    latencies: list[float] = []
    for start in range(0, len(rows), per_request):
        chunk = rows[start : start + per_request]
        body = ("\n".join(chunk) + "\n").encode()
        began = time.perf_counter()
        answer = backend.endpoints.invoke(body, "text/csv", "application/json")
        latencies.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200:
            raise OperationFailed(f"the endpoint answered {answer.status_code}: {answer.body!r}")
        try:
            got = answer.json()["predictions"]
        except (ValueError, KeyError, TypeError):
            raise OperationFailed(
                f"the endpoint's answer is not serve's JSON (a 'predictions' list): "
                f"{answer.body[:200]!r}"
            ) from None
        if len(got) != len(chunk):
            raise OperationFailed(f"the endpoint answered {len(got)} predictions for {len(chunk)}")
        predictions.extend(got)
    return predictions, latencies


def _score(
    schema: DatasetSchema, metric: str, labels: list[str], predictions: list[dict[str, Any]]
) -> float:
    """``metric`` of the endpoint's answers against the labels, as Evaluate computes it."""
    try:
        if schema.problem_type is ProblemType.REGRESSION:
            truth = np.array([float(v) for v in labels])
            answered = np.array([float(p["value"]) for p in predictions])
        else:
            index = {name: i for i, name in enumerate(schema.classes)}
            truth = np.array([index[label] for label in labels])
            answered = np.array(
                [[float(p["probabilities"][c]) for c in schema.classes] for p in predictions]
            )
        value = scalar_metrics(schema.problem_type, truth, answered).get(metric)
    except (KeyError, ValueError, TypeError, MetricsError) as exc:
        raise OperationFailed(
            f"the endpoint's answers cannot be scored against the held-out labels ({exc!r}); "
            "it does not answer in this version's schema"
        ) from None
    if value is None:
        raise UserError(f"metric {metric!r} is not one {schema.problem_type.value} reports")
    return float(value)
