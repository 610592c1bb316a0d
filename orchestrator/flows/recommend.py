"""``orchestrator recommend``: measure, then choose training and endpoint instances.

Local environments are measured here: the environment's latest Approved version is served by
the real ``serve`` program on the local endpoint and sent its held-out rows (latency, server CPU
and every worker's resident memory), and training time comes from the environment's recorded
executions. An aws environment's model and data live in its account, so it is never measured
from here: it takes the file a local measurement saved (``--measurements``), made on the same
dataset, and its own settings (latency budget, rate, trials, max runtime).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.backends.base import Backend, Progress
from orchestrator.backends.polling import PollSettings
from orchestrator.errors import UserError
from orchestrator.flows.models import dataset_group, resolve
from orchestrator.flows.pipeline import read_dataset_schema
from orchestrator.recommend import catalog as catalog_module
from orchestrator.recommend import endpoint_choice, endpoint_probe, explain, procfs, training_choice
from orchestrator.recommend import measurements as measurements_module
from orchestrator.recommend.measurements import Measurements
from orchestrator.recommend.training_record import from_executions
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.instance_types import allowed

DEFAULT_REQUESTS_PER_SECOND = 10.0


@dataclass(frozen=True)
class RecommendOptions:
    requests_per_second: float | None = None
    rows: int | None = None
    requests: int = 200
    measurements_file: Path | None = None


def measure(
    backend: Backend, config: EnvironmentConfig, options: RecommendOptions, poll: PollSettings,
    progress: Progress,
) -> Measurements:  # fmt: skip
    """Measure the environment's latest Approved version on the local backend."""
    group = dataset_group(backend, config, None)
    try:
        package = resolve(backend, None, group, purpose="measured")
    except UserError:
        raise UserError(
            f"environment {config.name} has no Approved model to measure; train one with "
            f"`orchestrator run --env {config.name}` (or approve a version with "
            "`orchestrator models approve`)"
        ) from None
    uri = package.metadata.get("schema_uri", "")
    schema = read_dataset_schema(backend, uri + "schema.yaml" if uri.endswith("/") else uri)
    cpus = os.cpu_count() or 1
    training = from_executions(backend, config.name, cpus)
    rows = endpoint_probe.held_out_rows(backend, package, schema)
    endpoint = endpoint_probe.measure(
        backend, package, rows, requests=options.requests,
        rows_per_request=config.endpoint.test.rows_per_request, poll=poll, progress=progress,
    )  # fmt: skip
    return Measurements(
        environment=config.name,
        dataset=schema.name,
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=procfs.cpu_model() or platform.machine(),
        cpus=cpus,
        endpoint=endpoint,
        training=training,
    )


def recommend(
    config: EnvironmentConfig, measured: Measurements, options: RecommendOptions
) -> dict[str, Any]:
    """The recommendation for ``config`` from ``measured`` (pure apart from the table)."""
    table = catalog_module.load()
    rate, rate_source = _rate(config, options)
    endpoint_needs = endpoint_choice.EndpointNeeds(
        rate, rate_source, config.endpoint.test.p99_latency_ms
    )
    training_needs = training_choice.TrainingNeeds(
        rows=options.rows or measured.training.rows_in,
        rows_source="--rows" if options.rows else "as measured",
        trials=config.pipeline.tuning.max_jobs,
        parallel_trials=config.pipeline.tuning.max_parallel_jobs,
        max_runtime_seconds=config.pipeline.training.max_runtime_seconds,
    )
    endpoint = endpoint_choice.choose(table, allowed("endpoint"), measured.endpoint, endpoint_needs)
    training = training_choice.choose(table, allowed("training"), measured.training, training_needs)
    notes = []
    if config.region != table.region:
        notes.append(
            f"prices are {table.region}'s; environment {config.name} runs in {config.region}, "
            "where they differ"
        )
    return {
        "environment": config.name,
        "endpoint": {**endpoint.to_dict(), "needs": vars(endpoint_needs)},
        "training": {**training.to_dict(), "needs": vars(training_needs)},
        "explanation": {
            "endpoint": explain.endpoint(endpoint, endpoint_needs, measured),
            "training": explain.training(training, training_needs, measured),
        },
        "measured": {**measured.to_dict(), **measurements_module.derived(measured).to_dict()},
        "assumed": explain.assumptions(measured),
        "prices": {**table.provenance(), "notes": list(table.notes)},
        "notes": notes,
        "complete": endpoint.chosen is not None and training.chosen is not None,
    }


def _rate(config: EnvironmentConfig, options: RecommendOptions) -> tuple[float, str]:
    if options.requests_per_second is not None:
        return options.requests_per_second, "--rps"
    if config.endpoint.expected_requests_per_second is not None:
        return config.endpoint.expected_requests_per_second, "endpoint.expected_requests_per_second"
    return DEFAULT_REQUESTS_PER_SECOND, (
        "assumed: set endpoint.expected_requests_per_second or pass --rps"
    )
